"""Insight at a team's scale: 200 workers for a year (about 100,000 conversations), printed as JSON.

A synthetic event log over the shared ORUK feeds (the sample library when they are missing):
each worker has an area and a locality; needs come in the clusters they come in at a front door
(money with debt, food and fuel; loneliness with bereavement and later life; ...), fuel and food
rise in winter; a need is met when the library holds a record of that track that fits it in the
person's locality (and, as the engine misses some, four times in five); records shown, pinned and
dismissed (with the fixed reasons) come from those that fit. Then: loading the log, writing one
event (p95 over 300 single writes to the full database), the full ``helpmate insight`` report
(median of 3) and the database's size, on SQLite and on a throwaway PostgreSQL server.

    python bench/insight.py [--conversations 100000] [--report DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.pgserver

from helpmate.insight.events import DISMISS_REASONS, Event, NeedEvent, RecordEvent, week_start  # noqa: E402
from helpmate.insight.gaps import record_places  # noqa: E402
from helpmate.insight.reports import Filters, build_report  # noqa: E402
from helpmate.insight.store import InsightStore  # noqa: E402
from helpmate.knowledge.library import Library, load_library  # noqa: E402
from helpmate.settings import SAMPLE_LIBRARY  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "oruk-bristol-northlincs"
CLUSTERS = [
    (0.22, ["money-benefits", "debt", "food", "fuel-energy"]),
    (0.16, ["loneliness", "bereavement", "later-life", "physical-activity"]),
    (0.14, ["mental-health", "substance-use", "employment", "suicide-crisis"]),
    (0.10, ["homelessness", "housing-conditions", "debt", "domestic-abuse"]),
    (0.10, ["carers", "dementia", "social-care", "disability"]),
    (0.08, ["parenting", "pregnancy-baby", "young-people", "family-relationships"]),
    (0.07, ["immigration-refugees", "legal-rights", "learning-skills", "digital"]),
    (0.07, ["physical-health", "sensory-loss", "transport", "learning-disability-autism"]),
    (0.06, ["creative-arts", "nature-gardening", "volunteering", "making-fixing", "faith-culture"]),
]
WINTER = {"fuel-energy", "food", "loneliness"}
ALERTS = {
    "domestic-abuse": 5,
    "suicide-self-harm": 4,
    "child-at-risk": 3,
    "adult-at-risk": 2,
    "immediate-danger": 1,
}
REASONS = dict(zip(DISMISS_REASONS, [3, 4, 3, 2, 4, 1], strict=True))


def library_for(work: Path) -> tuple[Library, str]:
    """The two ORUK feeds with their localities, or the sample library."""
    if not SHARED.is_dir():
        return load_library(SAMPLE_LIBRARY), "sample library (the shared ORUK feeds are missing)"
    from helpmate.knowledge.importers import import_feed
    from helpmate.knowledge.importers.pipeline import init_library

    root = work / "library"
    init_library(root)
    import_feed(root, SHARED / "bristol_services.json", "oruk", "bristol")
    import_feed(root, SHARED / "north_lincolnshire_services.json", "oruk", "north-lincolnshire")
    shutil.copy(ROOT / "examples" / "areas-bristol-north-lincolnshire.yaml", root / "areas.yaml")
    return load_library(root), "shared ORUK feeds (Bristol, North Lincolnshire) with their localities"


class Generator:
    def __init__(self, library: Library, seed: int = 7) -> None:
        self.rng = random.Random(seed)
        known = {n.id for n in library.needs}
        self.clusters = [(w, [n for n in needs if n in known]) for w, needs in CLUSTERS]
        self.clusters = [(w, needs) for w, needs in self.clusters if needs]
        places = record_places(library)
        self.areas = {a.slug: [loc.name for loc in a.localities] or [None] for a in library.areas} or {
            slug: [None] for slug in library.area_slugs
        }
        self.fits: dict[tuple[str, str | None, str, str], list[str]] = {}
        for record in library.records:
            for area in record.areas or list(self.areas):
                for need in record.all_needs():
                    for locality in self.areas.get(area, [None]):
                        if locality is None or not places.get(record.id) or locality in places[record.id]:
                            self.fits.setdefault((area, locality, record.track, need), []).append(record.id)

    def workers(self, count: int) -> list[tuple[str, str | None]]:
        slugs = sorted(self.areas)
        return [
            (slug, self.rng.choice(self.areas[slug]))
            for slug in self.rng.choices(slugs, weights=[len(slugs) - i for i in range(len(slugs))], k=count)
        ]

    def event(self, key: str, week: dt.date, area: str, locality: str | None) -> Event:
        rng = self.rng
        winter = week.month in (11, 12, 1, 2)
        _, cluster = rng.choices(self.clusters, weights=[w for w, _ in self.clusters])[0]
        needs = [rng.choice(cluster)]
        for _ in range(rng.choices([0, 1, 2, 3], weights=[35, 40, 18, 7])[0]):
            pool = cluster if rng.random() < 0.75 else rng.choice(self.clusters)[1]
            pick = rng.choice(pool)
            if pick not in needs:
                needs.append(pick)
        if winter and rng.random() < 0.25:
            pick = rng.choice(sorted(WINTER))
            if pick not in needs:
                needs.append(pick)
        need_events: list[NeedEvent] = []
        records: dict[str, RecordEvent] = {}
        for need in needs:
            met = {}
            for track in ("service", "community"):
                there = self.fits.get((area, locality, track, need), [])
                met[track] = bool(there) and rng.random() < 0.8
                for rid in rng.sample(there, min(2, len(there))):
                    records.setdefault(rid, RecordEvent(rid, track, need))
            need_events.append(
                NeedEvent(need, round(rng.uniform(0.2, 0.9), 3), met["service"], met["community"])
            )
        ids = list(records)
        if ids and rng.random() < 0.2:
            rid = rng.choice(ids)
            records[rid] = RecordEvent(rid, records[rid].track, records[rid].need, pinned=True)
        if ids and rng.random() < 0.12:
            rid = rng.choice(ids)
            reason = rng.choices(list(REASONS), weights=list(REASONS.values()))[0]
            records[rid] = RecordEvent(rid, records[rid].track, records[rid].need, dismissed=reason)
        alerts = {}
        if rng.random() < 0.04:
            alerts[rng.choices(list(ALERTS), weights=list(ALERTS.values()))[0]] = 1
        return Event(key, week, area, locality, tuple(need_events), alerts, tuple(records.values()))

    def log(
        self, conversations: int, workers: int = 200, start: dt.date = dt.date(2025, 12, 1)
    ) -> list[Event]:
        staff = self.workers(workers)
        weeks = [week_start(start) + dt.timedelta(weeks=i) for i in range(52)]
        per_week = [
            1.0 + (0.25 if w.month in (11, 12, 1, 2) else 0.0) - (0.3 if w.month == 8 else 0.0) for w in weeks
        ]
        events = []
        for n in range(conversations):
            week = self.rng.choices(weeks, weights=per_week)[0]
            area, locality = staff[n % workers]
            events.append(self.event(f"{n:032x}", week, area, locality))
        return events


def measure(
    store: InsightStore, library: Library, generator: Generator, events: list[Event]
) -> dict[str, Any]:
    started = time.perf_counter()
    for i in range(0, len(events), 2000):
        store.write_many(events[i : i + 2000])
    load_s = time.perf_counter() - started
    writes = []
    for i in range(300):
        event = generator.event(
            f"single{i:026d}", events[-1].week, events[-1].area or "", events[-1].locality
        )
        started = time.perf_counter()
        store.write(event)
        writes.append(time.perf_counter() - started)
    reports, area_reports = [], []
    area = events[0].area
    for _ in range(3):
        started = time.perf_counter()
        build_report(store, library)
        reports.append(time.perf_counter() - started)
        started = time.perf_counter()
        build_report(store, library, Filters(area=area))
        area_reports.append(time.perf_counter() - started)
    return {
        "conversations": store.count(),
        "load_s": round(load_s, 1),
        "write_one_event_p50_ms": round(statistics.median(writes) * 1000, 2),
        "write_one_event_p95_ms": round(sorted(writes)[int(0.95 * len(writes))] * 1000, 2),
        "report_s": round(statistics.median(reports), 2),
        "report_one_area_s": round(statistics.median(area_reports), 2),
        "size_mb": round((store.size_bytes() or 0) / 1e6, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--report", type=Path, help="also write the HTML report of the SQLite log here")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="helpmate-insight-bench-"))
    try:
        library, source = library_for(work)
        generator = Generator(library)
        started = time.perf_counter()
        events = generator.log(args.conversations)
        result: dict[str, Any] = {
            "library": source,
            "records": len(library.records),
            "generated_s": round(time.perf_counter() - started, 1),
            "needs_per_conversation": round(sum(len(e.needs) for e in events) / len(events), 2),
            "records_per_conversation": round(sum(len(e.records) for e in events) / len(events), 2),
        }
        sqlite = InsightStore.open(f"sqlite:///{work / 'insight.db'}")
        result["sqlite"] = measure(sqlite, library, generator, events)
        if args.report:
            from helpmate.insight.render import render_html, render_markdown

            doc = build_report(sqlite, library)
            args.report.mkdir(parents=True, exist_ok=True)
            (args.report / "index.html").write_text(render_html(doc), encoding="utf-8")
            (args.report / "summary.md").write_text(render_markdown(doc), encoding="utf-8")
            (args.report / "metrics.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        sqlite.close()
        from tests.pgserver import pg_bin, postgres_server

        if pg_bin("pg_ctl") is None:
            result["postgresql"] = {"skipped": "PostgreSQL is not installed (apt-get install postgresql)"}
        else:
            with postgres_server(fsync=True) as url:
                store = InsightStore.open(url)
                result["postgresql"] = measure(store, library, generator, events)
                store.close()
        print(json.dumps(result, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
