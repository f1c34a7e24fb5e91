"""``helpmate insight``'s figures over a small known log: demand, unmet need, gaps, feedback,
notices to confirm, small numbers suppressed in every output, and a report that fetches nothing."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from helpmate.insight.events import Event, NeedEvent, RecordEvent
from helpmate.insight.reports import Filters, build_report
from helpmate.insight.store import InsightStore
from helpmate.knowledge.library import load_library
from helpmate.knowledge.notices import set_notice

WEEK = dt.date(2026, 11, 2)
TODAY = dt.date(2026, 12, 3)
SHED, LINK, ADVICE = "wr-com-mens-shed", "wr-svc-social-prescribing", "wr-svc-citizens-advice"


def need(nid: str, service: bool = False, community: bool = False) -> NeedEvent:
    return NeedEvent(nid, 0.5, service, community)


def log() -> list[Event]:
    """7 lonely people (a group found), 3 of them also in debt (nothing that fits), 6 with no home
    (no service either); the shed dismissed as closed 5 times, the link workers pinned 6 times."""
    events = []
    for i in range(7):
        needs = [need("loneliness", community=True)] + ([need("debt")] if i < 3 else [])
        records = [
            RecordEvent(SHED, "community", "loneliness", dismissed="closed" if i < 5 else None),
            RecordEvent(LINK, "service", "loneliness", pinned=i < 6),
        ]
        events.append(
            Event(
                f"{i:032d}",
                WEEK + dt.timedelta(days=7 * (i % 2)),
                "wrenford",
                None,
                tuple(needs),
                {},
                tuple(records),
            )
        )
    for i in range(6):
        events.append(
            Event(f"h{i:031d}", WEEK, "wrenford", None, (need("homelessness"),), {"immediate-danger": 1}, ())
        )
    events.append(Event("o" * 32, WEEK, "elsewhere", None, (need("debt", service=True),), {}, ()))
    return events


@pytest.fixture
def store(tmp_path: Path) -> InsightStore:
    store = InsightStore.open(f"sqlite:///{tmp_path / 'insight.db'}")
    store.write_many(log())
    return store


def test_demand_unmet_and_feedback_with_small_numbers_suppressed(store: InsightStore, library: Path) -> None:
    doc = build_report(store, load_library(library), today=TODAY)
    demand = {row["need"]: row for row in doc["demand"]["needs"]}
    assert doc["conversations"] == 14
    assert demand["loneliness"]["conversations"] == 7 and demand["homelessness"]["conversations"] == 6
    assert demand["debt"]["conversations"] == None and demand["debt"]["suppressed"] == ["conversations"]  # noqa: E711 - 4
    unmet = {row["need"]: row for row in doc["unmet"]}
    assert unmet["homelessness"]["unmet"] == 6 and unmet["homelessness"]["no_service"] == 6
    assert unmet["homelessness"]["share_unmet"] == 1.0
    assert "loneliness" not in unmet  # met by a group every time
    assert unmet["debt"]["unmet"] is None and unmet["debt"]["share_unmet"] is None
    assert [row["needs"] for row in doc["demand"]["together"]] == [["debt", "loneliness"]]
    assert doc["demand"]["together"][0]["conversations"] is None  # 3 conversations
    alerts = {row["category"]: row for row in doc["demand"]["alerts"]}
    assert alerts["immediate-danger"]["conversations"] == 6
    feedback = doc["feedback"]
    assert feedback["dismissed"][0]["record"] == SHED and feedback["dismissed"][0]["reasons"] == {"closed": 5}
    assert feedback["pinned"][0]["record"] == LINK and feedback["pinned"][0]["pinned"] == 6
    assert [row["record"] for row in feedback["never_pinned"]] == [SHED]
    confirm = doc["notices_to_confirm"]
    assert [(c["record"], c["reason"], c["conversations"]) for c in confirm] == [(SHED, "closed", 5)]
    assert "helpmate kb notice " + SHED in confirm[0]["command"]


def test_a_notice_already_set_is_shown_and_goes_last(store: InsightStore, library: Path) -> None:
    set_notice(library, SHED, "Closed until 6 January", kind="closed", until=dt.date(2027, 1, 6), today=TODAY)
    doc = build_report(store, load_library(library), today=TODAY)
    assert doc["notices_to_confirm"][0]["notice"].startswith("Closed until 6 January")


def test_min_count_is_configurable_and_filters_narrow_the_log(store: InsightStore, library: Path) -> None:
    lib = load_library(library)
    doc = build_report(store, lib, min_count=2, today=TODAY)
    assert {r["need"]: r["conversations"] for r in doc["demand"]["needs"]}["debt"] == 4
    only = build_report(store, lib, Filters(area="wrenford"), min_count=1, today=TODAY)
    assert only["conversations"] == 13
    late = build_report(store, lib, Filters(since=WEEK + dt.timedelta(days=8)), min_count=1, today=TODAY)
    assert late["conversations"] == 3  # the second week only
    early = build_report(store, lib, Filters(until=WEEK + dt.timedelta(days=3)), min_count=1, today=TODAY)
    assert early["conversations"] == 11
    assert early["demand"]["trend"]["weeks"] == [str(WEEK)]


def test_every_report_says_fewer_than_5_and_fetches_nothing(
    store: InsightStore, library: Path, tmp_path: Path
) -> None:
    from helpmate.insight.render import render_html, render_markdown

    doc = build_report(store, load_library(library), today=TODAY)
    page, summary = render_html(doc), render_markdown(doc)
    assert "fewer than 5" in page and "fewer than 5" in summary
    assert "<svg" in page and "<polyline" in page or "<circle" in page
    record_urls = {r.contact.url for r in load_library(library).records if r.contact.url}
    for found in re.findall(r"https?://[^\s\"'<>)]+", page):
        assert found in record_urls, found
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert set(re.findall(r"url\(([^)]*)\)", page)) <= {"#hatch"}
    assert json.loads(json.dumps(doc)) == doc  # metrics.json is plain JSON


def write_library(root: Path, records: str, areas: str) -> Path:
    from helpmate.knowledge.importers.pipeline import init_library

    init_library(root)
    (root / "areas.yaml").write_text(areas, encoding="utf-8")
    (root / "records" / "test.yaml").write_text(records, encoding="utf-8")
    return root


def test_gaps_come_from_the_library_alone(tmp_path: Path, empty_library: Path) -> None:
    from helpmate.insight.gaps import asset_gaps

    areas = (
        "areas:\n  - slug: bristol\n    name: Bristol\n    localities:\n"
        "      - name: North Somerset\n        places: [Weston-super-Mare]\n"
        "      - name: Bristol City\n        places: [Easton]\n"
    )
    records = """records:
  - {id: g1, name: Easton lunch club, track: community, needs: [loneliness], areas: [bristol], description: In Easton.}
  - {id: g2, name: Weston chat club, track: community, needs_suggested: [loneliness], areas: [bristol], description: In Weston-super-Mare.}
  - {id: g3, name: Old debt cafe, track: community, needs: [debt], areas: [bristol], review_due: 2025-01-01}
  - {id: s1, name: Advice line, track: service, needs: [debt], areas: [bristol]}
"""
    lib = load_library(write_library(empty_library, records, areas))
    rows = {(r["area"], r["locality"], r["track"]): r for r in asset_gaps(lib, today=TODAY)}
    whole = rows[("bristol", None, "community")]
    assert "loneliness" not in whole["none"] + whole["one"]  # two groups across the area
    assert "debt" in whole["stale_only"]
    assert "homelessness" in whole["none"]
    weston = rows[("bristol", "North Somerset", "community")]
    assert "loneliness" in weston["one"]  # the Easton club names only another locality
    assert "debt" in rows[("bristol", "North Somerset", "service")]["one"]  # area-wide help counts
    assert len(whole["none"]) + len(whole["one"]) + len(whole["stale_only"]) <= whole["needs"]
