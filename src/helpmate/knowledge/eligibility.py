"""Who a record is for: ages, gender and the groups it serves only, read from its words at import.

A man hit by his wife was offered a women's refuge whose eligibility says "Women aged 16+", and a
young mum was offered respite care for adults with a learning disability (issue 14). Directory
feeds rarely fill structured eligibility, but their text says who a service is for. This module
reads that text once, at import, into the record's ``Eligibility`` fields (``min_age``,
``max_age``, ``genders``, ``only_for``) and keeps the words each field was read from
(``read_from``), so a worker or a knowledge manager can see why.

The patterns are data (``helpmate/data/eligibility.yaml``, a comment per list); this module only
applies them. Precision comes first: a wrong "men only" hides help from a person who could use
it, while a limit left unread leaves the record as it was.

``fits`` is the person's side: whether someone of a given age, gender and needs can use a record.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from helpmate.knowledge.eligibility_patterns import Patterns, Phrases, load_patterns
from helpmate.knowledge.records import Eligibility, Record

_SENTENCE = re.compile(r"(?<=[.!?;:])\s+|\n+|\s[•·?]\s|(?<!\d)\s[-–]\s(?!\d)")
_DIGIT = re.compile(r"\d")
_BULLET = re.compile(r"^\s*[-•·*?]\s")
QUOTE_LIMIT = 150
"""Longest quote kept in ``read_from``: a sentence, cut around the words that set the field."""
YOUNG_UNTIL = 25
"""The oldest age that counts as a young person (the needs taxonomy: roughly 8 to 25)."""
LEAD_SENTENCES = 2
"""A description's lead: the sentences that say what the record is and who it is for."""


# --------------------------------------------------------------------------- reading


class _Text:
    """A part of a record's text (``kind``: name, eligibility, lead or rest) and its sentences.
    Sentences about a part of the record ("we also run a women's group") are left out: they say
    nothing of who the whole record is for. The rest of a long description is split only when a
    phrase may match it."""

    def __init__(self, kind: str, text: str, pats: Patterns, sentences: list[str] | None = None):
        self.kind, self.text, self._pats, self._given = kind, text, pats, sentences

    @functools.cached_property
    def sentences(self) -> list[str]:
        found = self._given if self._given is not None else _sentences(self.text)
        if self.kind == "name":
            return found
        return [s for s in found if not self._pats.part_of_record.search(s)]


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text or "") if s and s.strip()]


def _lead_end(description: str) -> int:
    """Where the description's first ``LEAD_SENTENCES`` sentences end."""
    seen, position = 0, 0
    for found in _SENTENCE.finditer(description):
        if description[position : found.start()].strip():
            seen += 1
        position = found.end()
        if seen == LEAD_SENTENCES:
            return found.start()
    return len(description)


def _quote(sentence: str, match: re.Match[str]) -> str:
    """The sentence around a match, cut to ``QUOTE_LIMIT`` characters."""
    flat = " ".join(sentence.split())
    if len(flat) <= QUOTE_LIMIT:
        return flat
    start = max(0, match.start() - QUOTE_LIMIT // 3)
    cut = flat[start : start + QUOTE_LIMIT]
    return ("…" if start else "") + cut.strip() + "…"


def _parts(name: str, text: str, description: str, pats: Patterns) -> list[_Text]:
    end = _lead_end(description)
    return [
        _Text("name", name, pats, [name.strip()] if name.strip() else []),
        _Text("eligibility", text, pats),
        _Text("lead", description[:end], pats),
        _Text("rest", description[end:], pats),
    ]


def _any(found: Phrases, text: str) -> re.Match[str] | None:
    return found.search(text)


def _read_gender(parts: list[_Text], whole: str, pats: Patterns) -> tuple[list[str], str]:
    """One gender and the words that say it, or none: a record that names both, or mentions the
    other gender anywhere ("men and women", "dads welcome too"), is for anyone. A name that says
    "only" ("Women Only") is not undone by words such as "families"."""
    hits: dict[str, tuple[str, bool]] = {}
    for gender in pats.genders:
        for part in parts:
            if part.kind == "rest" and not gender.anywhere.search(part.text):
                continue
            for sentence in part.sentences:
                strong = False
                if part.kind == "name":
                    match = _any(gender.name, sentence)
                    strong = bool(match and re.search(r"\bonly\b", sentence, re.I))
                elif part.kind == "eligibility":
                    match = gender.starts.search(sentence) or _any(gender.says, sentence)
                elif part.kind == "lead":
                    match = _any(gender.says, sentence) or _any(gender.anywhere, sentence)
                else:
                    match = _any(gender.anywhere, sentence)
                if match and gender.value not in hits:
                    hits[gender.value] = (
                        sentence if part.kind == "name" else _quote(sentence, match),
                        strong,
                    )
    if len(hits) != 1:
        return [], ""
    value, (quote, strong) = next(iter(hits.items()))
    other = next(g for g in pats.genders if g.value != value)
    kept = whole
    for pattern in pats.not_opening.matching(kept):
        kept = pattern.sub(" ", kept)
    if other.words.search(kept) or (not strong and _any(pats.gender_open, kept)):
        return [], ""
    return [value], quote


@dataclass
class _Age:
    low: int | None
    high: int | None
    sentence: str


def _person_is_someone_else(sentence: str, start: int, end: int, stop: int, pats: Patterns) -> bool:
    """True when the words around an age say it is someone else's age (the child of a parent
    who comes, a volunteer); ``stop`` ends the words after it (the next age, or a bracket)."""
    before = " ".join(sentence[:start].split()[-8:])
    return bool(
        _any(pats.ages["not_the_person_before"], before) or _after_is_someone_else(sentence[end:stop], pats)
    )


def _after_is_someone_else(after: str, pats: Patterns) -> bool:
    after = after[: after.index("(")] if "(" in after else after
    return bool(_any(pats.ages["not_the_person_after"], " ".join(after.split()[:10])))


def _word_in_context(sentence: str, match: re.Match[str], pats: Patterns) -> bool:
    """Whether an age word of a lead is about who the record is for ("a helpline for older
    people"), not about whom its users help ("volunteers visit isolated older people")."""
    before = " ".join(sentence[: match.start()].split()[-3:])
    after = " ".join(sentence[match.end() :].split()[:1])
    return bool(_any(pats.ages["words_after"], before) or _any(pats.ages["words_before"], after))


def _ages_in(sentence: str, pats: Patterns, kind: str, words: bool) -> list[_Age]:
    """The ages one sentence of a part of a record (``kind``) gives for the people it is for:
    in numbers, or with ``words`` in words ("adults")."""
    found: list[tuple[int, int, int | None, int | None, int]] = []
    if words:
        if kind == "rest" or _any(pats.ages["words_not"], sentence):
            return []
        for pattern, low, high in pats.age_words:
            for match in pattern.finditer(sentence):
                if kind != "lead" or _word_in_context(sentence, match, pats):
                    found.append((match.start(), match.end(), low, high, 1))
    elif _DIGIT.search(sentence) and (kind != "rest" or _any(pats.ages["rest_cues"], sentence)):
        kinds = [("range", 0), ("min", 0), ("max", 0), ("max_under", 1)]
        for priority, (what, less) in enumerate(kinds + ([("name_min", 0)] if kind == "name" else [])):
            for pattern in pats.ages[what].matching(sentence):
                for match in pattern.finditer(sentence):
                    numbers = [int(n) for n in match.groups() if n is not None]
                    if what == "range" and (len(numbers) < 2 or numbers[0] >= numbers[1]):
                        continue
                    low = numbers[0] if what in ("range", "min", "name_min") else None
                    high = numbers[-1] - less if what not in ("min", "name_min") else None
                    found.append((match.start(), match.end(), low, high, min(priority, 1)))
    # Overlapping phrases: a range before a one-sided age ("from the age of 14-65"), then the longest.
    chosen: list[tuple[int, int, int | None, int | None, int]] = []
    for item in sorted(found, key=lambda f: (f[4], -(f[1] - f[0]), f[0])):
        if not any(item[0] < other[1] and other[0] < item[1] for other in chosen):
            chosen.append(item)
    chosen.sort()
    taken: list[_Age] = []
    dropped: set[int] = set()
    # "adults over 60, disabled adults 18-59, and their carers": words after the last age are
    # about every age of the sentence.
    tail = chosen[-1][1] if chosen else 0
    if chosen and _any(pats.ages["everyone_after"], sentence[tail:]):
        return []
    for index, (start, end, low, high, _) in enumerate(chosen):
        stop = chosen[index + 1][0] if index + 1 < len(chosen) else len(sentence)
        # The words before an age include those of its phrase ("children aged 0-11").
        digit = _DIGIT.search(sentence, start, end)
        if index in dropped or _person_is_someone_else(
            sentence, digit.start() if digit else start, end, stop, pats
        ):
            continue
        if low is not None and high is not None:
            # "aged 11-19 (up to 25 with SEND)": a later upper age raises this range's, rather
            # than adding people of every younger age.
            for pattern in pats.ages["extend"].matching(sentence):
                later = pattern.search(sentence, end)
                if later and int(later.group(1)) > high:
                    high = int(later.group(1))
                    dropped |= {i for i, c in enumerate(chosen) if c[0] >= later.start() and c[2] is None}
        taken.append(_Age(low, high, sentence))
    return taken


def _read_ages(parts: list[_Text], whole: str, pats: Patterns) -> tuple[int | None, int | None, str]:
    """The youngest and oldest age of every group of people the record names ("adults 18-59 and
    over 60s" is 18 and over), and the sentences they were read from."""
    # The eligibility text alone when it gives an age, in numbers or words, sentence by sentence
    # ("Adults; youth theatre 8-17" is every age from 8). Otherwise the other parts, in numbers
    # first: words ("Youth Club") only when no number is given.
    mentions: list[_Age] = []
    for sentence in parts[1].sentences:
        mentions += _ages_in(sentence, pats, "eligibility", False) or _ages_in(
            sentence, pats, "eligibility", True
        )
    for words in (False, True):
        if mentions:
            break
        for part in parts:
            if part.kind == "eligibility" or (
                part.kind == "rest" and (words or not _DIGIT.search(part.text))
            ):
                continue
            for sentence in part.sentences:
                mentions += _ages_in(sentence, pats, part.kind, words)
    if not mentions or _any(pats.ages["open"], whole):
        return None, None, ""
    lows = [m.low for m in mentions]
    highs = [m.high for m in mentions]
    low = None if any(v is None for v in lows) else min(v for v in lows if v is not None)
    high = None if any(v is None for v in highs) else max(v for v in highs if v is not None)
    low = low or None  # "aged 0-4" has no lower limit
    if high is not None and high >= 99:
        high = None
    if low is not None and high is not None and low > high:
        return None, None, ""
    quotes = list(dict.fromkeys(" ".join(m.sentence.split()) for m in mentions))
    quote = " / ".join(quotes)
    if len(quote) > QUOTE_LIMIT:
        quote = quote[: QUOTE_LIMIT - 1].rstrip() + "…"
    return low, high, quote


def _read_groups(parts: list[_Text], whole: str, pats: Patterns) -> dict[str, str]:
    """Need id -> the words, for each group the record plainly serves only. Only the name, the
    eligibility text and the lead are read: further down a description, groups are usually listed
    or welcomed rather than the only people served."""
    by_sentence: dict[str, dict[str, str]] = {}
    for part in parts:
        if part.kind == "rest":
            continue
        for sentence in part.sentences:
            if not pats.any_group.search(sentence):
                continue  # one search passes over most sentences
            if part.kind != "name" and (_BULLET.match(sentence) or _any(pats.groups_not, sentence)):
                continue
            for group in pats.groups:
                match = _any(group.name if part.kind == "name" else group.says, sentence)
                if part.kind == "eligibility" and match is None:
                    match = _any(group.name, sentence)
                if match is None or _any(group.not_, sentence):
                    continue
                quote = sentence if part.kind == "name" else _quote(sentence, match)
                by_sentence.setdefault(sentence, {})[group.need] = quote
    found: dict[str, str] = {}
    for groups in by_sentence.values():
        if len(groups) >= 3:  # a list of the people who are welcome, not a limit
            continue
        for need, quote in groups.items():
            found.setdefault(need, quote)
    # The eligibility text has the last word: "recovery from drugs, alcohol or gambling" undoes
    # the "Recovery Cafe" of a name.
    eligibility = parts[1].text
    opened = {
        g.need for g in pats.groups if g.need in found and (_any(g.open, whole) or _any(g.not_, eligibility))
    }
    return {need: quote for need, quote in found.items() if need not in opened}


def read_eligibility(
    name: str,
    text: str = "",
    description: str = "",
    *,
    min_age: int | None = None,
    max_age: int | None = None,
) -> dict[str, Any]:
    """The ``Eligibility`` fields for a record, read from its name, eligibility text and
    description. Ages a feed gives in fields of their own (``min_age``, ``max_age``) are kept as
    given; the text fills only what they leave empty."""
    pats = load_patterns()
    parts = _parts(name, text, description, pats)
    whole = "\n".join([name, text, description])
    read_from: dict[str, str] = {}
    genders, quote = _read_gender(parts, whole, pats)
    if genders:
        read_from["genders"] = quote
    volunteers = _any(pats.volunteers, whole) is not None  # a second audience, of any age
    if min_age is None and max_age is None and not volunteers:
        min_age, max_age, quote = _read_ages(parts, whole, pats)
        if min_age is not None or max_age is not None:
            read_from["ages"] = quote
    groups = _read_groups(parts, whole, pats)
    if "young-people" in groups and (volunteers or max_age is not None or (min_age or 0) >= 18):
        del groups["young-people"]  # the ages say it better, or a volunteer may be any age
    read_from.update(groups)
    return {
        "text": text,
        "min_age": min_age,
        "max_age": max_age,
        "genders": genders,
        "only_for": sorted(groups),
        "read_from": read_from,
    }


# --------------------------------------------------------------------------- the person's side

_NOUNS = {
    ("female", True): "girls",
    ("female", False): "women",
    ("male", True): "boys",
    ("male", False): "men",
}


def _ages_words(low: int | None, high: int | None) -> str:
    if low is not None and high is not None:
        return f"aged {low}-{high}"
    if low is not None:
        return f"aged {low}+"
    if high is not None:
        return f"up to {high}"
    return ""


def describe(eligibility: Eligibility) -> str:
    """Who a record is for, in words a worker reads: "for women aged 16+; for unpaid carers".
    Empty when the record names no limit."""
    low, high = eligibility.min_age, eligibility.max_age
    ages = _ages_words(low, high)
    pieces = []
    if len(eligibility.genders) == 1:
        child = high is not None and high < 18
        pieces.append(" ".join(p for p in [_NOUNS[(eligibility.genders[0], child)], ages] if p))
    elif ages:
        pieces.append(f"people {ages}")
    pieces += [load_patterns().who(need) for need in eligibility.only_for]
    return "; ".join(f"for {p}" for p in pieces)


def _gender(value: str | None) -> str | None:
    words = {"female": "female", "woman": "female", "girl": "female", "f": "female"}
    words |= {"male": "male", "man": "male", "boy": "male", "m": "male"}
    return words.get((value or "").strip().lower())


def fits(
    person_age: int | None, person_gender: str | None, person_needs: set[str], record: Record
) -> tuple[bool | None, str]:
    """Whether the person can use the record: True fits, False plainly not eligible (a man and a
    women's refuge, a 40-year-old and a youth club), None uncertain (a gender or age not known, a
    group such as carers the person's needs do not show). The reason says who the record is for
    ("for women aged 16+"), or is empty for a record with no limit.

    The person is the one the help is for: when a parent asks about an activity for their child,
    pass the child's age (or None), not the parent's."""
    elig = record.eligibility
    reason = describe(elig)
    answers: list[bool | None] = []
    gender = _gender(person_gender)
    if elig.genders:
        answers.append(None if gender is None else gender in elig.genders)
    if elig.min_age is not None or elig.max_age is not None:
        if person_age is None:
            # Most people a worker talks about are adults: a limit of 18 or under with no upper
            # age is not a doubt worth raising.
            adults_only = elig.max_age is None and (elig.min_age or 0) <= 18
            answers.append(True if adults_only else None)
        else:
            low, high = elig.min_age or 0, elig.max_age if elig.max_age is not None else 200
            answers.append(low <= person_age <= high)
    # The groups a record is for are alternatives: "people with dementia and their carers" is
    # for either, so one group the person belongs to is enough.
    groups: list[bool | None] = []
    for need in elig.only_for:
        if need in person_needs:
            groups.append(True)
        elif need == "young-people" and person_age is not None:
            groups.append(person_age <= YOUNG_UNTIL)
        else:
            groups.append(None)
    if groups:
        answers.append(True if True in groups else False if all(g is False for g in groups) else None)
    if False in answers:
        return False, reason
    if None in answers:
        return None, reason
    return True, reason


def text_disagrees(record: Record) -> list[str]:
    """Where a record's own eligibility text and name say one thing and its fields another (for
    ``kb validate``): "its eligibility says 'Women aged 16+' but genders is empty"."""
    elig = record.eligibility
    read = read_eligibility(record.name, elig.text)
    found = []
    if read["genders"] and read["genders"] != elig.genders:
        found.append(
            f"eligibility says '{read['read_from']['genders']}' (for {_NOUNS[(read['genders'][0], False)]})"
            f" but genders is {elig.genders or 'empty'}"
        )
    if "ages" in read["read_from"] and (read["min_age"], read["max_age"]) != (elig.min_age, elig.max_age):
        found.append(
            f"eligibility says '{read['read_from']['ages']}' ({_ages_words(read['min_age'], read['max_age'])})"
            f" but the ages are {_ages_words(elig.min_age, elig.max_age) or 'empty'}"
        )
    for need in read["only_for"]:
        if need not in elig.only_for:
            found.append(f"eligibility says '{read['read_from'][need]}' but only_for lacks {need}")
    return found
