"""Replaces personal data with placeholders before text leaves this machine, and puts it back after.

A worker types what a citizen tells them: names, phone numbers, addresses, dates of birth, NHS and
bank numbers. When a reply is drafted by a language model that is *not* running on this machine,
that text must not carry the citizen's personal data with it. ``Redactor.redact`` swaps each piece
for a numbered placeholder (``[NAME_1]``, ``[PHONE_1]``, ``[EMAIL_1]``, ``[NINO_1]``, ``[NHS_1]``,
``[DOB_1]``, ``[ADDRESS_1]``, ``[POSTCODE_1]``, ``[SORTCODE_1]``, ``[ACCOUNT_1]``, ``[CARD_1]``)
and records what each stands for; ``Redactor.restore`` puts the originals back into the model's
answer before the worker sees it. Passing the same mapping on every turn gives the same person the
same placeholder for the whole conversation, so the model can follow who is who without ever
learning their name.

Finding personal data is Presidio's job, on spaCy's small English model, with UK recognisers and a
name recogniser that reads lower-case names from cues and name lists (``helpmate.assistant.pii``).
Hand-written rules stop there: this module only decides what must stay and hands out placeholders.

``keep`` lists text that must survive untouched, compared case-insensitively (phone numbers by
their digits): the names, phones, emails and web addresses of the records in the plan and the
library's area and place names, which the model has to be able to cite. Anything found inside a
kept phrase is left; a name found across one keeps only its part outside it.

Limits: this lowers the risk of personal data leaving the machine; it is not a guarantee. Measured
on ``evals/pii.yaml`` (see ``bench/redact.py``) it misses 4 of 247 items, names that are ordinary
words with nothing around them to say they are names ("Cliff at 10 bridge street", "Mark the
worker"), a first name missing from the name lists ("Will"), and a date of birth cued in Polish; it
cannot read names in scripts other than Latin. It does not replace the worker's judgement about
what to type.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from helpmate.assistant.pii.analyzer import KINDS as _ENTITY_KINDS

KINDS = ("NAME", "PHONE", "EMAIL", "NINO", "NHS", "DOB", "ADDRESS", "POSTCODE", "SORTCODE", "ACCOUNT", "CARD")

_PLACEHOLDER_KEY = re.compile(r"^\[([A-Z]+)_(\d+)\]$")
_KIND_ALT = "|".join(KINDS)
_RESTORE = re.compile(
    rf"\[{{1,2}}\s*(?P<k1>{_KIND_ALT})[\s_-]*(?P<n1>\d+)\s*\]{{0,2}}"
    rf"|\{{{{1,2}}\s*(?P<k2>{_KIND_ALT})[\s_-]*(?P<n2>\d+)\s*\}}{{1,2}}"
    rf"|<\s*(?P<k3>{_KIND_ALT})[\s_-]*(?P<n3>\d+)\s*>"
    rf"|(?<![A-Za-z0-9_])(?P<k4>{_KIND_ALT})(?P<sep>[ _-]?)(?P<n4>\d+)(?!\d)",
    re.I,
)
_TITLE = re.compile(r"^(?:mr|mrs|ms|miss|mx|dr|prof|rev|revd|sir|dame)\.?\s+", re.I)


@dataclass
class Redaction:
    text: str  # the redacted text
    mapping: dict[str, str] = field(default_factory=dict)  # placeholder -> original


@dataclass(order=True)
class _Span:
    start: int
    end: int
    kind: str = field(compare=False)
    score: float = field(default=1.0, compare=False)
    placeholder: str = field(default="", compare=False)


def _phone_digits(text: str) -> str | None:
    """The national significant number of a UK phone number, or None if it is not one."""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and text.lstrip().startswith("+"):
        digits = digits[2:]
    if digits.startswith("0"):
        digits = digits[1:]
    if len(digits) not in (9, 10) or digits[0] not in "1235789":
        return None
    return digits


def _normal(kind: str, original: str) -> str:
    """The form two mentions of the same thing share: '07700 900123' and '07700900123' are one."""
    if kind == "PHONE":
        return _phone_digits(original) or re.sub(r"\D", "", original)
    if kind in ("NHS", "SORTCODE", "ACCOUNT", "CARD"):
        return re.sub(r"\D", "", original)
    if kind in ("POSTCODE", "NINO"):
        return re.sub(r"\s", "", original).upper()
    if kind == "DOB" and re.fullmatch(r"[\d/.-]+", original):
        return "/".join(str(int(part)) for part in re.split(r"[/.-]", original) if part)
    text = original.casefold().replace(".", " ").replace(",", " ")
    return " ".join(text.split())


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    parts = sorted({p.strip() for p in phrases if len(p.strip()) >= 2}, key=len, reverse=True)
    if not parts:
        return None
    alternation = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in parts)
    return re.compile(rf"(?<![\w])(?:{alternation})(?![\w])", re.I)


def _merge_names(found: list[_Span]) -> list[_Span]:
    """Overlapping names are one name: spaCy's "Nowicki" and the rules' "Ivy Nowicki"."""
    names = sorted((s for s in found if s.kind == "NAME"), key=lambda s: s.start)
    merged: list[_Span] = []
    for span in names:
        if merged and span.start < merged[-1].end:
            last = merged[-1]
            last.end, last.score = max(last.end, span.end), max(last.score, span.score)
        else:
            merged.append(_Span(span.start, span.end, "NAME", span.score))
    return merged + [s for s in found if s.kind != "NAME"]


class _Index:
    """Placeholders already given out, so the same thing keeps its placeholder."""

    def __init__(self, mapping: dict[str, str], ordinary: Callable[[str], bool]) -> None:
        self.mapping = mapping
        self.ordinary = ordinary  # True for a word that is not only a name ("grace", "price")
        self.by_key: dict[tuple[str, str], str] = {}
        self.counts = dict.fromkeys(KINDS, 0)
        for placeholder, original in mapping.items():
            match = _PLACEHOLDER_KEY.match(placeholder)
            if not match:
                continue
            kind, number = match.group(1), int(match.group(2))
            self.counts[kind] = max(self.counts.get(kind, 0), number)
            self._remember(kind, original, placeholder)

    def _remember(self, kind: str, original: str, placeholder: str) -> None:
        self.by_key.setdefault((kind, _normal(kind, original)), placeholder)
        if kind == "NAME":  # "Okafor" for "Mrs Okafor", "Ahmed" for "Ahmed Hassan"
            for part in _TITLE.sub("", original).split():
                if len(part) >= 3 and not self.ordinary(part.lower()):
                    self.by_key.setdefault((kind, _normal(kind, part)), placeholder)

    def placeholder(self, kind: str, original: str) -> str:
        key = (kind, _normal(kind, original))
        if key not in self.by_key:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            placeholder = f"[{kind}_{self.counts[kind]}]"
            self.mapping[placeholder] = original
            self._remember(kind, original, placeholder)
        return self.by_key[key]

    def name_aliases(self) -> list[tuple[str, str, bool]]:
        """Known names and their parts, with whether to match them in any case: "Rose" only as
        written (the flower is a word), "okafor" in any case."""
        aliases: dict[str, tuple[str, bool]] = {}
        for placeholder, original in self.mapping.items():
            if not placeholder.startswith("[NAME_"):
                continue
            bare = _TITLE.sub("", original)
            parts = [p for p in bare.split() if len(p) >= 3 and not self.ordinary(p.lower())]
            for form in (original, bare, *(parts if " " in bare else [])):
                form = " ".join(form.split())
                if len(form) >= 3:
                    any_case = " " in form or not self.ordinary(form.lower())
                    aliases.setdefault(form, (placeholder, any_case))
        ordered = sorted(aliases.items(), key=lambda item: len(item[0]), reverse=True)
        return [(form, placeholder, any_case) for form, (placeholder, any_case) in ordered]


class Redactor:
    """Finds personal data in free text and swaps it for placeholders (see the module docstring).

    Building one is cheap; the first ``redact`` loads Presidio and spaCy once for the process
    (see ``pii/analyzer.py`` for the cost) and raises ``HelpmateError`` saying what to install if they are missing.
    """

    def __init__(self, keep: Iterable[str] = ()) -> None:
        kept = [k for k in keep if k and k.strip()]
        self._keep_phones = {d for k in kept if (d := _phone_digits(k)) and len(re.sub(r"\D", "", k)) >= 9}
        self._keep_text = [" ".join(k.casefold().split()) for k in kept]
        self._protect = _phrase_pattern(kept)

    # ------------------------------------------------------------------------------ public
    def redact(self, text: str, mapping: dict[str, str] | None = None) -> Redaction:
        """Replace personal data in ``text``; ``mapping`` (extended in place) carries across turns."""
        mapping = {} if mapping is None else mapping
        out: list[str] = []
        last = 0
        for span in self._find(text, mapping):
            out.append(text[last : span.start])
            out.append(span.placeholder)
            last = span.end
        out.append(text[last:])
        return Redaction(text="".join(out), mapping=mapping)

    def find(self, text: str) -> list[tuple[int, int, str]]:
        """What ``redact`` would replace in ``text`` on a first turn: (start, end, kind), in order."""
        return [(s.start, s.end, s.kind) for s in self._find(text, {})]

    def _find(self, text: str, mapping: dict[str, str]) -> list[_Span]:
        if not text.strip():
            return []
        from helpmate.assistant.pii.analyzer import get_analyzer

        analyzer, lexicon = get_analyzer()
        protected = [m.span() for m in self._protect.finditer(text)] if self._protect else []
        results = analyzer.analyze(text=text, language="en", entities=list(_ENTITY_KINDS))
        found: list[_Span] = []
        for result in results:
            kind = _ENTITY_KINDS[result.entity_type]
            for start, end in self._outside_kept(
                text, result.start, result.end, kind, protected, lexicon.is_name
            ):
                found.append(_Span(start, end, kind, result.score))
        spans: list[_Span] = []
        # The longer finding wins an overlap: a phone number that happens to pass the NHS check
        # digit ("+44 (0)117 496 0000"), a card number whose digits look like an account number.
        for span in sorted(_merge_names(found), key=lambda s: (s.start - s.end, -s.score)):
            self._add(spans, span)

        index = _Index(mapping, lexicon.is_word)
        for span in sorted(spans):
            span.placeholder = index.placeholder(span.kind, text[span.start : span.end])

        # Later mentions of a name already known, in this text or an earlier turn.
        for alias, placeholder, any_case in index.name_aliases():
            words = r"\s+".join(re.escape(w) for w in alias.split())
            for m in re.finditer(rf"(?<![\w'’-]){words}(?![\w-])", text, re.I if any_case else 0):
                if not any(m.start() < e and s < m.end() for s, e in protected):
                    self._add(spans, _Span(*m.span(), "NAME", 0.0, placeholder))
        return sorted(spans)

    @staticmethod
    def restore(text: str, mapping: dict[str, str]) -> str:
        """Put the originals back, including placeholders a model wrote as "[Name_1]" or "NAME_1"."""

        def replace(m: re.Match[str]) -> str:
            i = next(i for i in "1234" if m.group(f"k{i}"))
            kind, number = m.group(f"k{i}"), m.group(f"n{i}")
            if i == "4" and m.group("sep") != "_" and not kind.isupper():
                return m.group()  # a bare "Name 1" is too likely to be ordinary words
            return mapping.get(f"[{kind.upper()}_{int(number)}]", m.group())

        return _RESTORE.sub(replace, text)

    # ------------------------------------------------------------------------------ helpers
    @staticmethod
    def _add(spans: list[_Span], span: _Span) -> None:
        """Adds ``span`` unless it overlaps one already taken (stronger findings come first)."""
        if span.start < span.end and not any(span.start < s.end and s.start < span.end for s in spans):
            spans.append(span)

    def _outside_kept(
        self,
        text: str,
        start: int,
        end: int,
        kind: str,
        protected: list[tuple[int, int]],
        listed: Callable[[str], bool],
    ) -> list[tuple[int, int]]:
        """The part of a finding that may be replaced. A number or an address is left when it lies
        within a kept phrase, loses a kept phrase at its edge, and is replaced whole when a kept
        phrase lies inside it ("17b northgate road" is an address though Northgate is a place). A name keeps only its words outside kept
        phrases, and, when it touched one, only if a word left is a known first name or surname
        ("Steve" of "Steve Tanyard Centre", but nothing of "Smokefree Wrenford")."""
        found = text[start:end]
        if kind == "PHONE" and _phone_digits(found) in self._keep_phones:
            return []
        touching = [(s, e) for s, e in protected if start < e and s < end]
        if kind != "NAME":
            if any(s <= start and end <= e for s, e in touching) or self._kept(found):
                return []
            for s, e in touching:  # a kept place at the edge stays: "14 church walk" of "... st annes"
                if s <= start < e:
                    start = e
                elif s < end <= e:
                    end = s
            if touching:
                piece = text[start:end]
                stripped = piece.strip(" \t,;:()-")
                if not stripped:
                    return []
                start += piece.index(stripped)
                end = start + len(stripped)
            return [(start, end)]
        pieces = [(start, end)]
        for s, e in touching:
            pieces = [p for a, b in pieces for p in ((a, min(b, s)), (max(a, e), b))]
        out = []
        for a, b in pieces:
            piece = text[a:b]
            stripped = piece.strip(" \t,;:()'’-")
            words = re.findall(r"[^\W\d_]+", stripped)
            if words and (not touching or any(listed(w.lower()) for w in words)):
                offset = a + piece.index(stripped)
                out.append((offset, offset + len(stripped)))
        return out

    def _kept(self, found: str) -> bool:
        """True when ``found`` is part of a kept entry, e.g. the street of a directory address."""
        needle = " ".join(found.casefold().split())
        return any(re.search(rf"(?<!\w){re.escape(needle)}(?!\w)", kept) for kept in self._keep_text)
