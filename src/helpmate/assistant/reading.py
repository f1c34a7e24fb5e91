"""One reading of what the worker says, built once per message and passed down.

``Reader.read`` repairs the text once (quotes and mojibake, with ftfy), splits it into sentences,
clauses and phrases, and notes everything later steps need: the tokens; per phrase the needs its
words name, whether it puts something in the past or denies it, the signals that a need is over
(a recovery, "she isn't lonely"); the person's age, gender, area and locality, household and
caring, what matters to them and their strengths. Safeguarding, need detection, the profile, the
questions and the reasons all read from a ``Reading``; none of them looks at the raw text again.

A conversation is read message by message: ``Reading.join`` puts the readings of its messages
together without reading anything twice. What depends on the whole conversation (a person's age
stated in an earlier message, "she isn't lonely" said once for the whole conversation) is resolved
from the parts.

Three levels, each defined once in helpmate/data/language/reading.yaml: sentences; clauses (a
contrast or a new statement about the person: safeguarding and the profile read clause by clause,
so a "no" in one never reaches a risk in the next); phrases (every comma and "and": needs are found
phrase by phrase).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from helpmate.assistant.lexicon import Lexicon, lexicon
from helpmate.assistant.profile import Profile
from helpmate.index.text import tokenize
from helpmate.knowledge.places import Gazetteer
from helpmate.knowledge.records import Area, Need
from helpmate.knowledge.text import fix_mojibake

MAX_PHRASES = 8
"""Need detection embeds the last eight phrases of a situation (the newest words count most)."""
SHORT_WORDS = 14
"""What matters and strengths are shown to the worker cut to this many words."""


@dataclass(frozen=True)
class Sentence:
    text: str
    tokens: tuple[str, ...]
    signals: frozenset[str]
    """Names of the signals (``signals`` in reading.yaml) the sentence holds."""
    relapse: bool
    """It speaks of a relapse or a new habit, which keeps a recovered problem."""


@dataclass(frozen=True)
class Clause:
    text: str
    sentence: int


@dataclass(frozen=True)
class Phrase:
    text: str
    sentence: int
    tokens: tuple[str, ...]
    signals: frozenset[str]
    past_or_denied: bool
    in_use: bool
    """Someone is using now ("but his son is using crack"): recoveries in its sentence do not end it."""


@dataclass(frozen=True)
class ProfileItem:
    text: str
    """What is shown (the span, cut to ``SHORT_WORDS`` words)."""
    span: str
    """The whole span in lower case, to leave out what raised a safeguarding alert."""


@dataclass(frozen=True)
class Reading:
    text: str
    sentences: tuple[Sentence, ...] = ()
    clauses: tuple[Clause, ...] = ()
    phrases: tuple[Phrase, ...] = ()
    ages: tuple[int | None, ...] = ()
    """Per age pattern (in order, then the decade pattern), the first number it found (None: none)."""
    areas: tuple[str, ...] = ()
    """Areas the text names by name, place or postcode, in the library's order."""
    area_places: tuple[str, ...] = ()
    """Areas the text names only by one of their localities' places."""
    localities: tuple[tuple[str, frozenset[str]], ...] = ()
    """Per area, the localities the person is in (a place they come "from" does not count)."""
    family: bool = False
    household: tuple[str, ...] = ()
    household_mentioned: bool = False
    carer: str = ""
    cared_for: str = ""
    gender: str | None = None
    matters: tuple[ProfileItem, ...] = ()
    strengths: tuple[ProfileItem, ...] = ()
    messages: int = 1

    # ------------------------------------------------------------------ what the parts say

    @property
    def tokens(self) -> list[str]:
        return [t for s in self.sentences for t in s.tokens]

    @property
    def age(self) -> int | None:
        """The person's age: the first age pattern that found one, in the order they are tried."""
        for value in self.ages:
            if value is not None and 0 <= value <= 110:
                return value
        return None

    @property
    def area(self) -> str | None:
        return (self.areas or self.area_places or (None,))[0]

    def localities_in(self, area: str | None) -> frozenset[str]:
        return next((names for slug, names in self.localities if slug == area), frozenset())

    def profile(self, skip: Sequence[str] = ()) -> Profile:
        """The profile this reading gives; spans holding any of ``skip`` (the words that raised a
        safeguarding alert) are left out: a risk is never something that matters or a strength."""
        risky = [s.lower() for s in skip if s.strip()]

        def keep(items: tuple[ProfileItem, ...]) -> list[str]:
            return list(dict.fromkeys(i.text for i in items if not any(r in i.span for r in risky)))

        facts: dict[str, str] = {}
        if self.age is not None:
            facts["age"] = str(self.age)
        if self.household:
            facts["household"] = ", ".join(dict.fromkeys(self.household))
        if self.carer:
            facts["caring"] = f"carer: {self.carer}"
        elif self.cared_for:
            facts["caring"] = f"cared for: {self.cared_for}"
        return Profile(keep(self.matters), keep(self.strengths), facts, self.household_mentioned)

    def recent_phrases(self) -> tuple[Phrase, ...]:
        """The phrases need detection looks at: the last eight of two words or more; none when
        the whole text is one phrase."""
        parts = [p for p in self.phrases if len(p.text.split()) >= 2]
        return tuple(parts[-MAX_PHRASES:]) if len(parts) > 1 else ()

    # ------------------------------------------------------------------ a conversation

    @classmethod
    def join(cls, readings: Sequence[Reading], max_chars: int = 0) -> Reading:
        """The reading of a conversation from the readings of its messages, oldest first. With
        ``max_chars``, the oldest sentences go until the text fits (the newest words count most)."""
        readings = [r for r in readings if r.text]
        if not readings:
            return cls("")
        if len(readings) == 1 and (not max_chars or len(readings[0].text) <= max_chars):
            return readings[0]
        sentences: list[Sentence] = []
        clauses: list[Clause] = []
        phrases: list[Phrase] = []
        for reading in readings:
            offset = len(sentences)
            sentences += reading.sentences
            clauses += [Clause(c.text, c.sentence + offset) for c in reading.clauses]
            phrases += [_moved(p, offset) for p in reading.phrases]
        if max_chars:
            first = _first_kept(sentences, max_chars)
            sentences = sentences[first:]
            clauses = [Clause(c.text, c.sentence - first) for c in clauses if c.sentence >= first]
            phrases = [_moved(p, -first) for p in phrases if p.sentence >= first]
        width = max(len(r.ages) for r in readings)
        ages = tuple(
            next((r.ages[i] for r in readings if i < len(r.ages) and r.ages[i] is not None), None)
            for i in range(width)
        )
        slugs = [slug for r in readings for slug, _ in r.localities]
        return cls(
            " ".join(s.text for s in sentences),
            tuple(sentences),
            tuple(clauses),
            tuple(phrases),
            ages,
            _ordered(readings, "areas"),
            _ordered(readings, "area_places"),
            tuple(
                (slug, frozenset().union(*(r.localities_in(slug) for r in readings)))
                for slug in dict.fromkeys(slugs)
            ),
            any(r.family for r in readings),
            tuple(dict.fromkeys(h for r in readings for h in r.household)),
            any(r.household_mentioned for r in readings),
            next((r.carer for r in readings if r.carer), ""),
            next((r.cared_for for r in readings if r.cared_for), ""),
            next((r.gender for r in readings if r.gender), None),
            tuple(dict.fromkeys(i for r in readings for i in r.matters)),
            tuple(dict.fromkeys(i for r in readings for i in r.strengths)),
            sum(r.messages for r in readings),
        )


def _moved(phrase: Phrase, offset: int) -> Phrase:
    return Phrase(
        phrase.text,
        phrase.sentence + offset,
        phrase.tokens,
        phrase.signals,
        phrase.past_or_denied,
        phrase.in_use,
    )


def _first_kept(sentences: list[Sentence], max_chars: int) -> int:
    total = 0
    for i in range(len(sentences) - 1, -1, -1):
        total += len(sentences[i].text) + 1
        if total > max_chars:
            return min(i + 1, len(sentences) - 1)
    return 0


def _ordered(readings: Sequence[Reading], name: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(slug for r in readings for slug in getattr(r, name)))


# ---------------------------------------------------------------------------------------- reader


@dataclass
class Reader:
    """Reads messages with the library's taxonomy and areas and the shipped lexicon."""

    needs: Sequence[Need]
    areas: Sequence[Area] = ()
    lex: Lexicon = field(default_factory=lexicon)

    def __post_init__(self) -> None:
        self._keywords = [
            (need.id, [" " + " ".join(tokenize(k)) + " " for k in need.keywords if tokenize(k)])
            for need in self.needs
        ]
        self.problems = frozenset(n.id for n in self.needs if n.kind == "problem")
        self.ends: dict[str, frozenset[str]] = {
            s.name: frozenset(n.id for n in self.needs if s.name in n.over_when) for s in self.lex.signals
        }
        self.gazetteer = Gazetteer(list(self.areas))
        self._area_patterns = [
            (
                area.slug,
                [re.compile(rf"\b{re.escape(n.lower())}\b") for n in area.place_names() if n],
                [re.compile(rf"\b{re.escape(p.upper())}\s*\d[A-Z]{{2}}\b") for p in area.postcode_prefixes],
            )
            for area in self.areas
        ]
        self.reads = 0
        """How many texts this reader has read (a test checks each message is read once)."""

    def named(self, tokens: Sequence[str], among: frozenset[str] | None = None) -> frozenset[str]:
        """The needs whose keywords these tokens use (of ``among``, when given)."""
        joined = " " + " ".join(tokens) + " "
        return frozenset(
            nid
            for nid, words in self._keywords
            if (among is None or nid in among) and any(k in joined for k in words)
        )

    def read(self, text: str) -> Reading:
        self.reads += 1
        lex = self.lex
        text = repair(text)
        if not text:
            return Reading("")
        sentences: list[Sentence] = []
        clauses: list[Clause] = []
        phrases: list[Phrase] = []
        for n, said in enumerate(s for s in lex.sentence.split(text) if s.strip()):
            signals = frozenset(s.name for s in lex.signals if s.pattern.search(said))
            sentences.append(Sentence(said, tuple(tokenize(said)), signals, bool(lex.relapse.search(said))))
            for part in lex.clause.split(said):
                if not part or not part.strip():
                    continue
                clauses.append(Clause(part, n))
                for piece in lex.phrase.split(part):
                    piece = piece.strip(" ,.;")
                    if piece:
                        phrases.append(self._phrase(piece, n))
        matters, strengths = self._profile_items(clauses)
        lowered = f" {text.lower()} "
        upper = text.upper()
        areas = tuple(
            slug
            for slug, names, codes in self._area_patterns
            if any(p.search(lowered) for p in names) or any(p.search(upper) for p in codes)
        )
        localities = tuple(
            (area.slug, self.gazetteer.named(text, area.slug, residence=True))
            for area in self.areas
            if area.localities
        )
        household = tuple(m.group(0).strip().lower() for m in lex.household.finditer(text))
        carer, cared_for = lex.carer.search(text), lex.cared_for.search(text)
        return Reading(
            text,
            tuple(sentences),
            tuple(clauses),
            tuple(phrases),
            self._ages(text),
            areas,
            tuple(slug for slug, names in localities if names and slug not in areas),
            tuple((slug, names) for slug, names in localities if names),
            bool(lex.family.search(text)),
            household,
            bool(household) or bool(lex.household_members.search(text)),
            carer.group(0).strip() if carer else "",
            cared_for.group(0).strip() if cared_for else "",
            _gender(lex, text),
            tuple(matters),
            tuple(strengths),
        )

    def _phrase(self, text: str, sentence: int) -> Phrase:
        lex = self.lex
        return Phrase(
            text,
            sentence,
            tuple(tokenize(text)),
            frozenset(s.name for s in lex.signals if s.pattern.search(text)),
            bool(lex.past_or_denied.search(text)),
            bool(lex.in_use.search(text)) and not lex.not_in_use.search(text),
        )

    def _ages(self, text: str) -> tuple[int | None, ...]:
        found: list[int | None] = []
        for pattern in (*self.lex.age, self.lex.age_decade):
            match = pattern.search(text)
            value = spoken_number(match.group(1), self.lex.numbers) if match else None
            if pattern is self.lex.age_decade and value is not None:
                value = value * 10 + 5
            found.append(value)
        return tuple(found)

    def _profile_items(self, clauses: list[Clause]) -> tuple[list[ProfileItem], list[ProfileItem]]:
        """What matters and strengths, span by span: a span is a clause, cut again where "and"
        starts a new doing ("she loves gardening and wants to get out more"); the first kind
        that matches a span, and is not denied before it, takes it."""
        lex = self.lex
        matters: list[ProfileItem] = []
        strengths: list[ProfileItem] = []
        for clause in clauses:
            for span in lex.profile_split.split(clause.text):
                span = lex.leading_join.sub("", span.strip(" ,.;"))
                if len(span.split()) < 2:
                    continue
                for pattern, found in ((lex.matters, matters), (lex.strengths, strengths)):
                    match = pattern.search(span)
                    if match and not lex.profile_negation.search(span[: match.start()]):
                        found.append(ProfileItem(_short(span), span.lower()))
                        break
        return matters, strengths

    # ------------------------------------------------------------------ what is over

    def over(self, reading: Reading, phrases: Sequence[Phrase]) -> list[frozenset[str]]:
        """For each phrase, the needs it must not raise: problems it puts in the past or denies
        ("she used to drink"); what a signal in its sentence (or, by the signal's scope, the whole
        conversation) says is over or turned down ("clean for six years", "she isn't lonely"),
        unless the phrase speaks of someone using now; and every problem, when the phrase speaks
        only of the old matter (it then leaves the query too). A phrase that also names a live
        problem keeps it ("clean for two years, but the drugs left him with debts")."""
        sentences = reading.sentences
        ended: set[str] = set()
        recovered: dict[int, set[str]] = {}
        for signal in self.lex.signals:
            ends = self.ends.get(signal.name, frozenset())
            if not ends:
                continue
            for n, sentence in enumerate(sentences):
                if signal.name not in sentence.signals:
                    continue
                if signal.scope == "text":
                    ended |= ends
                elif signal.scope == "mention":
                    near = [t for s in sentences[max(0, n - 1) : n + 1] for t in s.tokens]
                    ended |= self.named(near, ends)
                elif not sentence.relapse:
                    recovered.setdefault(n, set()).update(ends)
        by_sentence = {
            name for s in self.lex.signals if s.scope == "sentence" for name in self.ends.get(s.name, ())
        }
        result = []
        for phrase in phrases:
            over = recovered.get(phrase.sentence, set()) | ended
            if phrase.in_use:
                over -= by_sentence
            named = self.named(phrase.tokens)
            about_old_matter = (
                (phrase.past_or_denied and named & self.problems)
                or phrase.signals
                or (named & over and not named & (self.problems - over))
            )
            result.append(frozenset(over | self.problems) if about_old_matter else frozenset(over))
        return result


def repair(text: str) -> str:
    """The text as helpmate reads it: mojibake fixed, quotes straightened, control characters
    and runs of whitespace folded to single spaces."""
    if not text or not text.strip():
        return ""
    import ftfy  # ~40 ms on first use

    text = ftfy.fix_text(fix_mojibake(text), normalization="NFC")
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())


def _short(text: str, words: int = SHORT_WORDS) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _gender(lex: Lexicon, text: str) -> str | None:
    """The person's gender from the first word that gives it ("she", "a young mum", "man, 45"):
    the person is usually the first one a worker speaks of. None when no word gives it."""
    match = lex.gender.search(text)
    if not match:
        return None
    return "female" if match.group("female") else "male"


def spoken_number(text: str, words: dict[str, int]) -> int | None:
    """A whole number written in digits or words ("17", "seventeen", "twenty-two")."""
    if text.isdigit():
        return int(text)
    parts = re.split(r"[\s-]+", text.lower().strip())
    values = [words.get(p) for p in parts]
    if not values or None in values:
        return None
    return sum(v for v in values if v is not None)
