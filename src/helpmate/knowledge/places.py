"""Which localities of an area a text names (a record's text, or what a worker says)."""

from __future__ import annotations

import re

from helpmate.knowledge.records import Area

_FROM = re.compile(r"\bfrom\s+$", re.IGNORECASE)


def _pattern(names: list[str]) -> re.Pattern[str]:
    # Spaces and hyphens alike ("Weston super Mare", "Weston-super-Mare"); a place may be followed
    # by "-based" or "-wide" ("Bristol-based") but not be part of a longer name ("Easton-in-Gordano").
    alternatives = "|".join(
        re.sub(r"\\[ -]", r"[\\s-]+", re.escape(n)) for n in sorted(names, key=len, reverse=True)
    )
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?:(?![\w-])|(?=-(?:based|wide)\b))")


class Gazetteer:
    """The localities of each area, each with one pattern of its name and places. Names are
    matched as written, capitals included: "Bath" is a place, "the bath" is not."""

    def __init__(self, areas: list[Area]) -> None:
        self._patterns: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for area in areas:
            for locality in area.localities:
                names = sorted(
                    {n.strip().replace("’", "'") for n in (locality.name, *locality.places)} - {""}
                )
                if names:
                    self._patterns.setdefault(area.slug, []).append((locality.name.strip(), _pattern(names)))

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def named(self, text: str, areas: list[str] | str | None, *, residence: bool = False) -> frozenset[str]:
        """The localities (of the given areas) whose name or places the text mentions. A name inside
        a longer one of another locality does not count ("Lincolnshire" in "North Lincolnshire").
        With ``residence`` (what a worker says about a person), a place the person comes from does
        not count ("moved here from Hull")."""
        text = text.replace("’", "'")
        slugs = [areas] if isinstance(areas, str) else (areas or [])
        spans = [
            (m.start(), m.end(), name)
            for slug in slugs
            for name, pattern in self._patterns.get(slug, [])
            for m in pattern.finditer(text)
            if not (residence and _FROM.search(text, max(0, m.start() - 12), m.start()))
        ]
        return frozenset(
            name
            for start, end, name in spans
            if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
        )
