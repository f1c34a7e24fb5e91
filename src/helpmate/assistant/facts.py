"""Facts read from what a worker types: age, and the area named by place or postcode."""

from __future__ import annotations

import re

from helpmate.knowledge.records import Area

_AGE_PATTERNS = [
    re.compile(r"\b(?:aged?|age)\s+(\d{1,3})\b", re.I),
    re.compile(r"\b(\d{1,3})\s*(?:-|\s)?(?:years?|yrs?)(?:\s*|-)old\b", re.I),
    re.compile(r"\b(\d{1,3})\s*(?:yo|y/o)\b", re.I),
    re.compile(r"\b(?:he|she|they|who)(?:'s| is| are)\s+(\d{1,3})\b", re.I),
    re.compile(r"\b(?:man|woman|lad|girl|boy|gentleman|lady|mum|dad|person),?\s+(\d{1,3})\b", re.I),
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
    """The area whose name, place or postcode prefix the text mentions."""
    lowered = f" {text.lower()} "
    upper = text.upper()
    for area in areas:
        names = [area.name, *area.places]
        if any(re.search(rf"\b{re.escape(n.lower())}\b", lowered) for n in names if n):
            return area.slug
        if any(
            re.search(rf"\b{re.escape(p.upper())}\s*\d[A-Z]{{2}}\b", upper) for p in area.postcode_prefixes
        ):
            return area.slug
    return None
