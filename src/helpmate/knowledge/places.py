"""Which localities of an area a text names (a record's text, or what a worker says)."""

from __future__ import annotations

import re

from helpmate.knowledge.records import Area


class Gazetteer:
    """The localities of each area, each with one pattern of its name and places."""

    def __init__(self, areas: list[Area]) -> None:
        self._patterns: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
        for area in areas:
            for locality in area.localities:
                names = sorted({n.strip() for n in (locality.name, *locality.places) if n.strip()}, key=len)
                alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s-]+") for n in reversed(names))
                # As written, capitals included: "Bath" is a place, "the bath" is not.
                pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")
                self._patterns.setdefault(area.slug, []).append((locality.name, pattern))

    def __bool__(self) -> bool:
        return bool(self._patterns)

    def named(self, text: str, areas: list[str] | str | None) -> frozenset[str]:
        """The localities (of the given areas) whose name or places the text mentions. A name inside
        a longer one of another locality does not count ("Lincolnshire" in "North Lincolnshire")."""
        slugs = [areas] if isinstance(areas, str) else (areas or [])
        spans = [
            (m.start(), m.end(), name)
            for slug in slugs
            for name, pattern in self._patterns.get(slug, [])
            for m in pattern.finditer(text)
        ]
        return frozenset(
            name
            for start, end, name in spans
            if not any(s <= start and end <= e and (e - s) > (end - start) for s, e, _ in spans)
        )
