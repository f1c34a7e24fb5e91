"""From needs and a query to records: the flat lists per track and the plan grouped per need.

A ``Query`` names everything one suggestion searches with: the situation's vector (or what is
true now, when some of it is over), the community track's vector pulled towards the person's
interests, the keyword terms, the needs found with their weights, and the filters. ``Index.rank``
scores the records (see index/search.py); this module asks it per track, then builds the plan:
for each need the records ranked for it, none repeated across needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from helpmate.assistant.needs import NeedScore
from helpmate.assistant.plan import NeedGroup
from helpmate.index.search import Filters, Hit, Index
from helpmate.knowledge.eligibility import fits
from helpmate.knowledge.notices import Notice, load_notices

TRACKS = ("service", "community")
UNFIT_SLACK = 5
"""Records fetched beyond those shown, so that help the person cannot use leaves room for more."""
PER_NEED = 2
"""The plan per need: up to this many records per track beyond those in the flat lists."""
INTEREST_WEIGHT = 1.0
"""How far the person's strengths and interests pull the community query towards them (dev 0.564
-> 0.564, community 0.581 -> 0.582; sample 0.651 -> 0.656; a worker's edit of the strengths
steers it too)."""


@dataclass(frozen=True)
class Person:
    """Who the help is for, as far as the conversation says: what decides whether a record fits."""

    age: int | None = None
    gender: str | None = None
    needs: frozenset[str] = frozenset()
    family: bool = False
    """Children or other family are in the picture: a record for another age may be for them."""


@dataclass
class Query:
    vector: np.ndarray
    """The situation, or only what is true now when part of it is over."""
    community: np.ndarray
    """The same, pulled towards what the person enjoys and is good at."""
    terms: list[str]
    needs: list[tuple[int, str, float]]
    """(column in the taxonomy, need id, weight 0..1) for each need that steers the ranking."""
    filters: Filters
    skip: set[str] = field(default_factory=set)
    """Records the worker dismissed."""
    person: Person = field(default_factory=Person)

    def vector_for(self, track: str) -> np.ndarray:
        return self.vector if track == "service" else self.community

    @staticmethod
    def toward(vector: np.ndarray, interests: np.ndarray) -> np.ndarray:
        """``vector`` pulled towards the mean of ``interests`` (unchanged when there are none)."""
        if not len(interests):
            return vector
        pulled = vector + INTEREST_WEIGHT * interests.mean(axis=0)
        return pulled / (np.linalg.norm(pulled) or 1.0)


class Retriever:
    def __init__(self, index: Index, columns: dict[str, int], library_root: Path | None = None) -> None:
        self.index = index
        self.columns = columns
        self.library_root = library_root

    def notices(self) -> dict[str, Notice]:
        """The library's current notices by record id (a stat per call: the file is cached)."""
        if self.library_root is None:
            return {}
        today = dt.date.today()
        return {rid: n for rid, n in load_notices(self.library_root).items() if n.current(today)}

    def rank(self, query: Query, limit: int, shown: int = 0) -> dict[str, list[Hit]]:
        """The best records of each track, best first, ``limit`` of them beyond those dismissed;
        ``shown`` is how many the worker sees (see ``eligible``)."""
        pool = limit + len(query.skip)
        notices = self.notices()
        return {
            track: self.eligible(
                [
                    h
                    for h in self.index.rank(
                        query.vector_for(track),
                        query.terms,
                        query.needs,
                        track=track,
                        filters=query.filters,
                        limit=pool + UNFIT_SLACK,
                    )
                    if h.record.id not in query.skip
                ],
                query.person,
                notices,
                shown,
            )[:pool]
            for track in TRACKS
        }

    @staticmethod
    def eligible(
        hits: list[Hit], person: Person, notices: dict[str, Notice] | None = None, shown: int = 0
    ) -> list[Hit]:
        """Help the person plainly cannot use (a man and a women's refuge) is left out; help that
        may not be for them is put last with who it is for, the reason a worker should check:

        - a record for a group the person has not been said to belong to (respite for people with
          a learning disability, for a young mum) comes after every record that fits;
        - a record that only asks what the conversation has not said (a Men's Shed when nobody
          said whether the retired joiner is a man) keeps its place among the ``shown`` best, as
          the last of them, so what the worker would check is not lost below the list;
        - a record for another age when family is in the picture (a young carers' service when mum
          is 26) may be for them: it comes after every record that fits.

        A record with a current "closed" notice comes after them all."""
        sure: list[Hit] = []
        unsure: list[Hit] = []
        closed: list[Hit] = []
        unsaid: set[int] = set()
        needs = set(person.needs)
        for hit in hits:
            notice = (notices or {}).get(hit.record.id)
            if notice is not None:
                hit.notice, hit.closed = notice.line(), notice.kind == "closed"
            fit, reason = fits(person.age, person.gender, needs, hit.record)
            # Not for the person's age, but maybe for the child or parent in the picture (a young
            # carers' service when mum is 26 and her nine-year-old cooks): uncertain. A record that
            # fits the person's own age stays sure: a girl of 13 who looks after her mum is a young
            # carer whoever else is named.
            for_family = (
                fit is False
                and person.family
                and person.age is not None
                and fits(None, person.gender, needs, hit.record)[0] is not False
            )
            if for_family:
                fit = None
            if fit is False:
                continue
            if fit is None:
                hit.caveat = reason
                groups = set(hit.record.eligibility.only_for)
                if not for_family and (not groups or groups & needs):
                    unsaid.add(id(hit))
            (closed if hit.closed else unsure if fit is None else sure).append(hit)
        # Among the best ``shown``, those uncertain only for what was not said go last but stay.
        fitting = {id(h) for h in sure}
        best = [h for h in hits if id(h) in fitting or id(h) in unsaid][:shown]
        head = [h for h in best if id(h) in fitting] + [h for h in best if id(h) not in fitting]
        taken = {id(h) for h in head}
        return head + [h for h in sure + unsure if id(h) not in taken] + closed

    def plan(
        self,
        needs: list[NeedScore],
        results: dict[str, list[Hit]],
        shown: set[str],
        query: Query,
        pinned: Sequence[str],
    ) -> list[NeedGroup]:
        """The plan per need, in the needs' order: the records ranked for that need (those shown in
        the flat lists first, then up to PER_NEED), none repeated across needs; what is close to the
        situation but fits no need found goes last; pinned records go under their need."""
        used: set[str] = set(query.skip)
        groups = []
        for n in needs:
            group = NeedGroup(n.need.id, n.need.label, urgent=n.urgent, matters=n.matters)
            # For urgent needs (crisis, no food, no home) only records tagged with the need:
            # a death cafe may read close to suicidal thoughts, but it is not crisis help.
            strict = n.need.urgency == 1

            def belongs(h: Hit, need_id: str = n.need.id, strict: bool = strict) -> bool:
                return (
                    h.tag == need_id
                    and h.record.id not in used
                    and (not strict or need_id in h.record.all_needs())
                )

            for track, out in (("service", group.services), ("community", group.community)):
                mine = [h for h in results[track] if belongs(h)]
                picks = [h for h in mine if h.record.id in shown]
                picks += [h for h in mine if h.record.id not in shown][: max(0, PER_NEED - len(picks))]
                if not picks:
                    # Nothing ranked high enough overall: search for this need on its own.
                    own = self.index.rank(
                        query.vector_for(track),
                        query.terms,
                        [(self.columns[n.need.id], n.need.id, 1.0)],
                        track=track,
                        filters=query.filters,
                        limit=PER_NEED + len(used),
                    )
                    own = self.eligible(own, query.person, self.notices())
                    picks = [h for h in own if belongs(h)][:PER_NEED]
                out.extend(picks)
                used.update(h.record.id for h in picks)
            groups.append(group)
        rest = NeedGroup(None, "Also close to what was said")
        rest.services = [h for h in results["service"] if h.record.id in shown and h.record.id not in used]
        rest.community = [h for h in results["community"] if h.record.id in shown and h.record.id not in used]
        used.update(h.record.id for h in rest.services + rest.community)
        for record_id in pinned:
            record = self.index.by_id.get(record_id)
            if record is None or record_id in used:
                continue
            home = next((g for g in groups if g.need_id in record.needs), None)
            target = home or rest
            hit = Hit(record, 0.0, home.need_id if home else None)
            (target.services if record.track == "service" else target.community).append(hit)
            used.add(record_id)
        if rest.services or rest.community:
            groups.append(rest)
        return groups
