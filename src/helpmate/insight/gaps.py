"""The asset map's gaps, from the library alone: no conversation needed, so it works on a fresh import.

For each area, and each of its localities, and each need of the taxonomy, count the records of
each track that fit the need (tagged with it: ``needs`` or ``needs_suggested``) and serve there:

- **none**: no record fits the need there;
- **one**: only one does (one closure away from none);
- **stale only**: every record that fits is past its review date (``review_due`` before today).

A record serves a locality when it names it, or names no locality at all (area-wide help); a
record that names only other localities does not count for this one (the same reading of record
text the engine uses: ``Gazetteer``). A record with no area serves every area.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from helpmate.insight.events import TRACKS
from helpmate.knowledge.library import Library
from helpmate.knowledge.places import Gazetteer
from helpmate.knowledge.records import Record


@dataclass(frozen=True)
class Place:
    area: str
    locality: str | None

    @property
    def label(self) -> str:
        return f"{self.area} / {self.locality}" if self.locality else self.area


def record_places(library: Library) -> dict[str, frozenset[str]]:
    """The localities each record names (empty: area-wide, or the area has no localities)."""
    gazetteer = Gazetteer(library.areas)
    if not gazetteer:
        return {}
    return {
        r.id: gazetteer.named(f"{r.name}\n{r.organisation}\n{r.description}", r.areas)
        for r in library.records
    }


def places_of(library: Library, area: str | None = None) -> list[Place]:
    """Every area (or the one asked for) and its localities, areas first."""
    slugs = sorted(library.area_slugs) if area is None else [area]
    localities = {a.slug: [loc.name for loc in a.localities] for a in library.areas}
    return [
        place
        for slug in slugs
        for place in [Place(slug, None), *(Place(slug, name) for name in localities.get(slug, []))]
    ]


def is_stale(record: Record, today: dt.date) -> bool:
    return record.review_due is not None and record.review_due < today


def asset_gaps(
    library: Library, area: str | None = None, today: dt.date | None = None
) -> list[dict[str, Any]]:
    """One row per place and track: the needs with no record, only one, or only stale ones."""
    today = today or dt.date.today()
    named = record_places(library)
    fits: dict[tuple[str, str, str], list[Record]] = {}
    for record in library.records:
        for need_id in record.all_needs():
            fits.setdefault((record.track, need_id, "*"), []).append(record)
    rows = []
    for place in places_of(library, area):
        for track in TRACKS:
            none, one, stale = [], [], []
            for need in library.needs:
                here = [
                    r
                    for r in fits.get((track, need.id, "*"), [])
                    if (not r.areas or place.area in r.areas)
                    and (place.locality is None or not named.get(r.id) or place.locality in named[r.id])
                ]
                if not here:
                    none.append(need.id)
                elif all(is_stale(r, today) for r in here):
                    stale.append(need.id)
                elif len(here) == 1:
                    one.append(need.id)
            rows.append(
                {
                    "area": place.area,
                    "locality": place.locality,
                    "track": track,
                    "needs": len(library.needs),
                    "none": none,
                    "one": one,
                    "stale_only": stale,
                }
            )
    return rows
