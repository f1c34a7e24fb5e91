"""Insight in the terminal app: turns leave events, f8 shows the area's tables (read in a worker),
a database that cannot be reached costs one status line and never a reply, the dismiss screen
offers the fixed reasons, and a notice shows in the record's detail."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from textual.widgets import Input, OptionList, Static

from helpmate.assistant.runtime import Runtime
from helpmate.insight.events import DISMISS_REASONS
from helpmate.knowledge.notices import set_notice
from helpmate.tui.app import HelpmateApp
from helpmate.tui.insight import InsightScreen
from helpmate.tui.screens import DismissScreen, RecordScreen
from helpmate.tui.widgets import ChatLog, PlanColumn
from tests.conftest import hashing_runtime
from tests.unit.tui_support import LONELY, app_for, plain, say, settle

SCREENSHOTS = Path("/tmp/helpmate-insight-screens")


@pytest.fixture
def recording(isolated: Path, library: Path) -> Runtime:
    """The sample library over the hashing embedder, with insight recording on (the default)."""
    home = isolated / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[tui]\ncursor_blink = false\n", encoding="utf-8")
    return hashing_runtime(library, home)


def events_in(runtime: Runtime) -> int:
    engine = sa.create_engine(f"sqlite:///{runtime.settings.home / 'insight.db'}")
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM events")).scalar_one()
    engine.dispose()
    return int(count)


def conversation_of(app: HelpmateApp):  # type: ignore[no-untyped-def]
    assert app.jobs.conversation is not None
    return app.jobs.conversation


@pytest.mark.asyncio
async def test_a_turn_leaves_an_event_and_f8_shows_the_areas_tables(recording: Runtime) -> None:
    app = app_for(recording)
    async with app.run_test(size=(130, 45)) as pilot:
        await settle(pilot)
        assert "f8" in plain(app) and "Insight" in plain(app)  # in the footer
        await say(pilot, LONELY)
        assert conversation_of(app).insight.flush(30)
        assert events_in(recording) == 1
        await say(pilot, "She also has rent arrears.")
        assert conversation_of(app).insight.flush(30)
        assert events_in(recording) == 1  # the same conversation: its event replaced
        await pilot.press("f8")
        await pilot.pause()
        assert isinstance(app.screen, InsightScreen)
        await app.screen.workers.wait_for_complete()
        await pilot.pause()
        text = plain(app)
        assert "Insight: Wrenford" in text  # the area by its name
        assert "Fewer than 5 conversations recorded" in text
        assert "Demand: needs by conversations" in text and "Asset-map gaps" in text
        assert "Loneliness and social isolation" in text
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        app.save_screenshot("insight-screen.svg", str(SCREENSHOTS))
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, InsightScreen)


@pytest.mark.asyncio
async def test_an_unreachable_database_costs_a_status_line_never_a_reply(
    isolated: Path, library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import free_port

    monkeypatch.setenv("HELPMATE_DATABASE_URL", f"postgresql+psycopg://h:pw@127.0.0.1:{free_port()}/insight")
    home = isolated / "home"
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text("[tui]\ncursor_blink = false\n", encoding="utf-8")
    runtime = hashing_runtime(library, home)
    app = app_for(runtime)
    async with app.run_test(size=(130, 45)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        assert "Loneliness" in plain(app)  # the reply and the plan are there
        conversation_of(app).insight.flush(30)
        await say(pilot, "She also has rent arrears.")
        status = str(app.main_screen.query_one("#status").render())
        assert "Insight not recorded: cannot open the insight database" in status
        assert "pw" not in status
        assert len(app.main_screen.query_one(ChatLog).children) >= 4  # both replies shown


@pytest.mark.asyncio
async def test_the_dismiss_screen_offers_the_fixed_reasons_and_other_stays_in_the_session(
    recording: Runtime,
) -> None:
    app = app_for(recording)
    async with app.run_test(size=(130, 45)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        await pilot.press("ctrl+l", "tab")
        record_id = app.main_screen.query_one("#community", PlanColumn).record_id
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, DismissScreen)
        reasons = app.screen.query_one(OptionList)
        assert [str(reasons.get_option_at_index(i).prompt) for i in range(reasons.option_count)] == list(
            DISMISS_REASONS.values()
        )
        await pilot.press("end", "enter")  # Other: the words go in the box
        assert isinstance(app.focused, Input)
        app.focused.value = "her cousin Ayo runs it"
        await pilot.press("enter")
        await settle(pilot)
        conversation = conversation_of(app)
        assert conversation.dismissed == {record_id: "Other: her cousin Ayo runs it"}
        assert conversation.insight.flush(30)
        engine = sa.create_engine(f"sqlite:///{recording.settings.home / 'insight.db'}")
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text("SELECT record, dismissed FROM event_records WHERE dismissed IS NOT NULL")
            )
            assert [tuple(r) for r in rows] == [(record_id, "other")]
        engine.dispose()


@pytest.mark.asyncio
async def test_the_record_detail_shows_a_current_notice(recording: Runtime) -> None:
    app = app_for(recording)
    async with app.run_test(size=(130, 45)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        await pilot.press("ctrl+l")
        record_id = app.main_screen.query_one("#services", PlanColumn).record_id
        assert record_id is not None
        set_notice(recording.settings.knowledge, record_id, "Waiting list of twelve weeks", kind="waiting")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, RecordScreen)
        detail = str(app.screen.query_one("#record-text", Static).render())
        assert "NOTICE: Waiting list of twelve weeks (waiting)" in detail
        await pilot.press("escape")
