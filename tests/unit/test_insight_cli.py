"""``helpmate insight``, ``insight backfill`` and ``kb notice`` as a user runs them: what they print,
write and refuse (one line, non-zero exit, nothing half-written)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import sqlalchemy as sa

from helpmate.knowledge.notices import load_notices
from tests.conftest import hashing_index, oruk_service, write_json
from tests.unit.test_cli import helpmate

LONELY = "He is 78, lonely since his wife died, loves gardening and is behind on his council tax."
RECORD = "wr-com-mens-shed"


@pytest.fixture
def indexed(library: Path, isolated: Path) -> Path:
    """The library indexed in HELPMATE_HOME as ``helpmate kb index`` leaves it (copied from the
    session's one build: tests/conftest.py ``hashing_index``; the command itself has its tests)."""
    hashing_index(library, isolated / "home")
    return library


def events(home: Path) -> int:
    engine = sa.create_engine(f"sqlite:///{home / 'insight.db'}")
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    engine.dispose()
    return int(count)


def test_notices_are_set_listed_shown_as_expired_and_cleared(library: Path) -> None:
    until = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    out = helpmate(
        "kb",
        "notice",
        RECORD,
        "Closed until the new year",
        "--until",
        until,
        "--kind",
        "closed",
        "--by",
        "sam",
    )
    assert out.returncode == 0, out.stderr
    assert f"notice on {RECORD}: Closed until the new year (closed, until {until})" in out.stdout
    notice = load_notices(library)[RECORD]
    assert (notice.by, notice.set, notice.kind) == ("sam", dt.date.today(), "closed")
    assert "by: sam" in (library / "notices.yaml").read_text()
    listed = helpmate("kb", "notice", "--list")
    assert f"{RECORD}  current  Closed until the new year" in listed.stdout
    # an expired notice is no longer current and kb stale lists it
    text = (library / "notices.yaml").read_text().replace(until, "2020-01-01")
    (library / "notices.yaml").write_text(text)
    assert f"{RECORD}  EXPIRED" in helpmate("kb", "notice", "--list").stdout
    stale = helpmate("kb", "stale")
    assert f"2020-01-01  {RECORD}  notice expired: Closed until the new year" in stale.stdout
    cleared = helpmate("kb", "notice", "--clear", RECORD)
    assert cleared.returncode == 0 and load_notices(library) == {}
    again = helpmate("kb", "notice", "--clear", RECORD)
    assert again.returncode == 2 and "has no notice" in again.stderr and again.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["no-such-record", "Closed"], 1, "no record with id 'no-such-record'"),
        ([RECORD, "Closed", "--until", "6 January"], 2, "'6 January' is not a date"),
        ([RECORD, "Closed", "--until", "2020-01-01"], 2, "is in the past"),
        ([RECORD, "Closed", "--kind", "shut"], 2, "'shut': use one of closed, waiting, moved, info"),
        ([RECORD], 2, "give a record id and the notice"),
        ([RECORD, "   "], 2, "the notice is empty"),
    ],
)
def test_a_wrong_notice_is_refused_in_one_line_and_nothing_is_written(
    library: Path, args: list[str], code: int, said: str
) -> None:
    out = helpmate("kb", "notice", *args)
    assert out.returncode == code and said in out.stderr and "Traceback" not in out.stderr
    assert not (library / "notices.yaml").exists()


def test_a_broken_notices_file_is_named(library: Path) -> None:
    (library / "notices.yaml").write_text("notices:\n  - record: x\n    text: t\n    kind: shut\n")
    out = helpmate("kb", "notice", "--list")
    assert out.returncode == 2 and "notices.yaml: notice 1: kind 'shut'" in out.stderr


def test_notices_survive_a_reimport(empty_library: Path, tmp_path: Path) -> None:
    items = [oruk_service("1", "Lunch club for older people"), oruk_service("2", "Debt advice line")]
    feed = str(write_json(tmp_path / "feed.json", items))
    assert helpmate("kb", "import", feed, "--format", "oruk", "--area", "north-lincolnshire").returncode == 0
    from helpmate.knowledge.library import load_library

    record = load_library(empty_library).records[0].id
    assert helpmate("kb", "notice", record, "Moved to the library hall", "--kind", "moved").returncode == 0
    assert helpmate("kb", "import", feed, "--format", "oruk", "--area", "north-lincolnshire").returncode == 0
    assert load_notices(empty_library)[record].text == "Moved to the library hall"


def test_insight_works_on_a_fresh_library_and_writes_the_report(indexed: Path, tmp_path: Path) -> None:
    out = helpmate("insight", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["conversations"] == 0 and doc["meta"]["min_count"] == 5
    assert {(g["area"], g["track"]) for g in doc["gaps"]} == {
        ("wrenford", "service"),
        ("wrenford", "community"),
    }
    text = helpmate("insight")
    assert "Asset-map gaps (from the library)" in text.stdout
    report = tmp_path / "report"
    written = helpmate("insight", "--report", str(report), "--area", "wrenford")
    assert written.returncode == 0, written.stderr
    assert sorted(p.name for p in report.iterdir()) == ["index.html", "metrics.json", "summary.md"]
    assert json.loads((report / "metrics.json").read_text())["meta"]["area"] == "wrenford"


@pytest.mark.parametrize(
    ("args", "code", "said"),
    [
        (["--since", "last week"], 2, "'last week' is not a date"),
        (["--since", "2026-12-01", "--until", "2026-11-01"], 2, "--since is after --until"),
        (["--area", "atlantis"], 1, "no area 'atlantis' in the library"),
    ],
)
def test_wrong_insight_options_are_one_line(
    indexed: Path, tmp_path: Path, args: list[str], code: int, said: str
) -> None:
    out = helpmate("insight", *args, "--report", str(tmp_path / "r"))
    assert out.returncode == code and said in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "r").exists()


def test_a_bad_database_url_is_one_line(indexed: Path) -> None:
    out = helpmate("insight", HELPMATE_DATABASE_URL="mysql://user:pw@127.0.0.1:1/x")
    assert out.returncode == 2 and "insight database" in out.stderr and ":pw@" not in out.stderr
    assert out.stderr.count("\n") == 1


def test_ask_records_unless_turned_off_and_backfill_replaces_instead_of_doubling(
    indexed: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    off = helpmate("ask", stdin=LONELY + "\n/quit\n", HELPMATE_INSIGHT__RECORD="false")
    assert off.returncode == 0 and not (home / "insight.db").exists()
    on = helpmate("ask", stdin=LONELY + "\n/quit\n")
    assert on.returncode == 0 and events(home) == 1
    filled = helpmate("insight", "backfill")
    assert filled.returncode == 0, filled.stderr
    assert "2 event(s) written from 2 session(s)" in filled.stdout
    assert events(home) == 2  # the live event was replaced, the unrecorded session added
    assert helpmate("insight", "backfill").returncode == 0 and events(home) == 2
    doc = json.loads(helpmate("insight", "--json", HELPMATE_INSIGHT__MIN_COUNT="1").stdout)
    assert {row["need"]: row["conversations"] for row in doc["demand"]["needs"]}["loneliness"] == 2
