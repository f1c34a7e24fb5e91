"""Facts read from what a worker types: age, and the area named by place or postcode."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from helpmate.knowledge.places import Gazetteer
from helpmate.knowledge.records import Area

# "He is 2 weeks behind on rent", "she is 3 months pregnant": numbers that are not ages.
_NOT_AN_AGE = (
    r"(?!\s*(?:-\s*)?(?:days?|weeks?|months?|hours?|minutes?|years?\s+(?!old)|behind|pregnant|in\s+arrears|"
    r"%|pounds?|quid|grand|k\b|times?|miles?|stone|kg|feet|foot|ft|o'?clock|am\b|pm\b))"
)
_AGE_PATTERNS = [
    re.compile(r"\b(?:aged?|age)\s+(\d{1,3})\b", re.I),
    re.compile(r"\b(\d{1,3})\s*(?:-|\s)?(?:years?|yrs?)(?:\s*|-)old\b", re.I),
    re.compile(r"\b(\d{1,3})\s*(?:yo|y/o)\b", re.I),
    re.compile(rf"\b(?:he|she|they|who)(?:'s| is| are)\s+(\d{{1,3}})\b{_NOT_AN_AGE}", re.I),
    re.compile(
        rf"\b(?:man|woman|lad|girl|boy|gentleman|lady|mum|dad|person),?\s+(\d{{1,3}})\b{_NOT_AN_AGE}", re.I
    ),
    # "Mr Davies, 84, lives ..." - only near the start, where workers introduce the person.
    re.compile(r"^.{0,60}?[,(]\s*(\d{2})\s*(?:[,.)]|$|\s+(?:and|who|with|from|in|lives|living)\b)", re.I),
]
_DECADE = re.compile(r"\b(?:in|into)\s+(?:his|her|their)\s+(?:early\s+|mid\s+|late\s+)?(\d)0s\b", re.I)
_WORDS = [
    (re.compile(r"\b(newborn|baby|babies)\b", re.I), 0),
    (re.compile(r"\btoddler\b", re.I), 2),
    (re.compile(r"\b(teenager|teen|teenage)\b", re.I), 15),
]


def find_age(text: str) -> int | None:
    """The person's age if the text states it (a number, a decade, or a clear word)."""
    for pattern in _AGE_PATTERNS:
        match = pattern.search(text)
        if match:
            value = int(match.group(1))
            if 0 <= value <= 110:
                return value
    match = _DECADE.search(text)
    if match:
        return int(match.group(1)) * 10 + 5
    return None


def find_area(text: str, areas: list[Area]) -> str | None:
    """The area whose name, place, locality or postcode prefix the text mentions (a locality's
    places only as written: "Bath" is in an area, "the bath" is not)."""
    lowered = f" {text.lower()} "
    upper = text.upper()
    for area in areas:
        names = area.place_names()
        if any(re.search(rf"\b{re.escape(n.lower())}\b", lowered) for n in names if n):
            return area.slug
        if any(
            re.search(rf"\b{re.escape(p.upper())}\s*\d[A-Z]{{2}}\b", upper) for p in area.postcode_prefixes
        ):
            return area.slug
    gazetteer = Gazetteer(areas)
    for area in areas:
        if gazetteer.named(text, area.slug, residence=True):
            return area.slug
    return None


# ---------------------------------------------------------------------- the person's profile
# What matters, strengths and interests, household and caring are read clause by clause from what
# the worker types. They are shown to the worker (who can correct them) and used by the plan:
# interests steer the community track; what matters orders the needs.

_CLAUSE = re.compile(
    r"[.!?;,]\s+|\s+(?:but|though|although|since|because)\s+|\s+-\s+|"
    r"\s+and\s+(?=(?:he|she|they)?\s*(?:loves?|enjoys?|likes?|used\s+to|wants?|would|hopes?|is\s+good)\b)"
)
_MATTERS_CLAUSE = re.compile(
    r"\b(?:matters?\s+(?:most\s+)?to|(?:is|are|it'?s)\s+(?:really\s+|very\s+)?important|wants?\s+to|"
    r"would\s+(?:like|love)\s+to|(?:'d|would)\s+like|hopes?\s+to|hoping\s+to|wish(?:es)?\s+(?:to|she|he|they)|"
    r"goal|dreams?\s+of|keen\s+to|desperate\s+to|determined\s+to|worried\s+(?:most\s+)?about|"
    r"(?:biggest|main)\s+(?:worry|concern|priority)|priority|more\s+than\s+anything)\b",
    re.I,
)
_STRENGTH_CLAUSE = re.compile(
    r"\b(?:loves?|loved|enjoys?|enjoyed|likes?\s+(?!to\s+be\b)|liked|fond\s+of|good\s+at|great\s+at|"
    r"skilled|talented|handy|used\s+to\s+(?:love|enjoy|play|sing|paint|run|swim|dance|cook|bake|knit|"
    r"garden|fish|work\s+as|be\s+an?)|lights?\s+up|lit\s+up|perked\s+up|interested\s+in|passion\w*|"
    r"hobb(?:y|ies)|keen\s+\w+er|retired\s+\w+|former\s+\w+|ex-\w+|was\s+an?\s+\w+(?:er|or|ist|man|woman|nurse)\b|"
    r"volunteers?\b|speaks\s+\w+|fluent|close\s+to\s+(?:her|his|their)|supportive|resilient|determined|"
    r"proud\s+of|qualified|degree|trade)",
    re.I,
)
_HOUSEHOLD = re.compile(
    r"\b(?:lives?\s+(?:alone|on\s+(?:his|her|their)\s+own|by\s+(?:him|her|them)sel(?:f|ves)|with\s+[\w' ]{2,40}?)"
    r"(?=[,.;]|\s+(?:and|but|who|since|in|at)\b|$)|"
    r"widow(?:ed|er)?|divorced|separated|single\s+(?:mum|dad|parent|mother|father)(?:\s+of\s+\w+)?|"
    r"(?:mum|dad|mother|father)\s+of\s+(?:one|two|three|four|five|six|\d+)|"
    r"married|sofa[- ]surfing|homeless|sleeping\s+rough|"
    r"(?:in\s+a\s+)?(?:care|nursing)\s+home|(?:one|two|three|four|five|\d+)\s+(?:kids|children))\b",
    re.I,
)
_CARER = re.compile(
    r"\b(?:(?:is\s+(?:a|the|her|his)\s+)?(?:main\s+|unpaid\s+|young\s+|full[- ]time\s+)?carer\s+(?:for|to|of)\s+[\w' ]{2,30}?"
    r"(?=[,.;]|\s+(?:and|but|who)\b|$)|"
    r"(?:she|he|they|who|and)\s+(?:also\s+)?(?:cares?|caring|looks?|looking)\s+(?:for|after)\s+(?:her|his|their)\s+[\w' ]{2,30}?"
    r"(?=[,.;]|\s+(?:and|but|who)\b|$)|young\s+carer)",
    re.I,
)
_CARED_FOR = re.compile(
    r"\b(?:has\s+(?:a\s+)?carers?(?:\s+\w+){0,3}|carers?\s+(?:visit|come|call)s?(?:\s+\w+){0,3}|"
    r"(?:her|his|their)\s+(?:daughter|son|wife|husband|partner|neighbour|sister|brother|mum|dad|niece|nephew)\s+"
    r"(?:cares\s+for|looks\s+after|helps|does\s+(?:her|his)\s+shopping)(?:\s+\w+){0,3}|"
    r"care\s+package|home\s+care)\b",
    re.I,
)
_NEGATED = re.compile(r"\b(?:no|not|never|nothing|doesn'?t|don'?t|isn'?t|won'?t|can'?t\s+think)\b", re.I)


@dataclass
class Profile:
    what_matters: list[str] = field(default_factory=list)
    strengths: list[str] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)

    def unknown(self) -> list[str]:
        """What is still not known about the person (the next questions come from these)."""
        missing = [
            label for key, label in (("age", "age"), ("household", "household")) if key not in self.facts
        ]
        if not self.what_matters:
            missing.append("what matters to them")
        if not self.strengths:
            missing.append("strengths and interests")
        return missing


def clauses(text: str) -> list[str]:
    return [c.strip(" ,.;") for c in _CLAUSE.split(text) if c and len(c.split()) >= 2]


def _short(text: str, words: int = 14) -> str:
    parts = text.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def read_profile(text: str, areas: list[Area] | None = None, skip: list[str] | None = None) -> Profile:
    """What the text says about what matters, strengths and interests, and the facts of a life.
    Clauses holding any of ``skip`` (the words that raised a safeguarding alert) are left out."""
    profile = Profile()
    risky = [s.lower() for s in skip or [] if s.strip()]
    for clause in clauses(text):
        if any(r in clause.lower() for r in risky):
            continue
        for pattern, found in (
            (_MATTERS_CLAUSE, profile.what_matters),
            (_STRENGTH_CLAUSE, profile.strengths),
        ):
            match = pattern.search(clause)
            if match and not _NEGATED.search(clause[: match.start()]):
                found.append(_short(clause))
                break
    age = find_age(text)
    if age is not None:
        profile.facts["age"] = str(age)
    household = [m.group(0).strip() for m in _HOUSEHOLD.finditer(text)]
    if household:
        profile.facts["household"] = ", ".join(dict.fromkeys(h.lower() for h in household))
    carer = _CARER.search(text)
    cared_for = _CARED_FOR.search(text)
    if carer:
        profile.facts["caring"] = f"carer: {carer.group(0).strip()}"
    elif cared_for:
        profile.facts["caring"] = f"cared for: {cared_for.group(0).strip()}"
    if areas:
        slug = find_area(text, areas)
        if slug:
            profile.facts["area"] = next(a.name for a in areas if a.slug == slug)
    return profile
