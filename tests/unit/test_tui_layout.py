"""Space on the main screen (issue 14): at 80x24 the conversation and the plan get the rows, an
acknowledged alert takes one line, the situation panel gives way; and the keys the footer shows
are chosen when the app is made (f2 and f3 in a browser), not when a module is imported.

Over the scripted engine; the snapshots (``test_tui_snapshots.py``) show the same screens.
"""

from __future__ import annotations

import pytest
from textual.widgets._footer import FooterKey

from helpmate.tui.app import HelpmateApp, make_app
from helpmate.tui.widgets import AlertBanner, PlanColumn, SituationPanel
from tests.unit.tui_support import (
    FixedStore,
    ScriptedRuntime,
    app_for,
    say,
    settle,
)

ABUSE = "Her partner hit her last night; she is lonely and in debt."
DIE = "She said she wants to die."


def rows(app: HelpmateApp, selector: str) -> int:
    return app.main_screen.query_one(selector).region.height


@pytest.mark.asyncio
async def test_at_80x24_two_alerts_leave_the_conversation_and_the_plan_their_rows(
    scripted: ScriptedRuntime,
) -> None:
    app = app_for(scripted)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        await say(pilot, DIE)
        banner = app.main_screen.query_one(AlertBanner)
        assert banner.has_class("-pending") and banner.region.height <= 5  # title, 2 lines, 2 of routes
        assert rows(app, "#chat") >= 4, "the conversation shows at least four lines"
        assert app.main_screen.query_one("#chat").region.width >= 74, "it has the whole width"
        for column in app.main_screen.query(PlanColumn):
            suggestions = [column.get_option_at_index(i) for i in range(column.option_count)]
            assert all(str(o.prompt).count("\n") == 1 for o in suggestions if o.id), "two lines each"
            assert column.scrollable_content_region.height >= 7, "a heading and three suggestions"
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert not banner.has_class("-pending") and banner.region.height == 1
        assert "Acknowledged" in str(banner.query_one("#alert-done").render())
        assert rows(app, "#chat") >= 5


@pytest.mark.asyncio
async def test_f4_opens_the_routes_of_acknowledged_alerts_and_escape_closes_them(
    scripted: ScriptedRuntime,
) -> None:
    app = app_for(scripted)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        await pilot.press("ctrl+g")
        await settle(pilot)
        banner = app.main_screen.query_one(AlertBanner)
        await pilot.press("f4")
        await pilot.pause()
        assert app.focused is banner.query_one("#alert-routes") and banner.region.height > 1
        assert "999" in str(banner.query_one("#alert-routes-text").render())
        await pilot.press("escape")
        await pilot.pause()
        assert banner.region.height == 1


@pytest.mark.asyncio
async def test_the_situation_panel_gives_way_below_100_columns_and_f5_brings_it_back(
    scripted: ScriptedRuntime,
) -> None:
    app = app_for(scripted)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        panel = app.main_screen.query_one(SituationPanel)
        assert not panel.display
        assert "f5 shows the situation" in str(app.main_screen.query_one("#chat-box").border_title)
        await pilot.press("f5")
        await pilot.pause()
        assert panel.display and panel.region.width >= 20
        await pilot.press("f5")
        await pilot.pause()
        assert not panel.display
        await pilot.resize_terminal(120, 40)
        await pilot.pause()
        assert not panel.display, "the worker's choice stands"
    app = app_for(scripted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.main_screen.query_one(SituationPanel).display


@pytest.mark.parametrize(
    ("in_browser", "shown", "hidden"),
    [(True, {"f2", "f3"}, {"^n", "^t"}), (False, {"^n", "^t"}, {"f2", "f3"})],
)
@pytest.mark.asyncio
async def test_the_footer_keys_are_chosen_when_the_app_is_made(
    scripted: ScriptedRuntime,
    monkeypatch: pytest.MonkeyPatch,
    in_browser: bool,
    shown: set[str],
    hidden: set[str],
) -> None:
    # The environment says the opposite: the flag given to make_app decides.
    monkeypatch.setenv("HELPMATE_IN_BROWSER", "" if in_browser else "1")
    app = make_app(
        scripted.settings,
        loader=lambda _settings: scripted,  # type: ignore[arg-type,return-value]
        store=FixedStore(scripted.settings.sessions_dir),
        in_browser=in_browser,
    )
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(pilot)
        keys = {key.key_display for key in app.screen.query(FooterKey)}
        assert shown <= keys and not hidden & keys, keys
        await pilot.press("f2" if in_browser else "ctrl+n")  # the other key works too
        await settle(pilot)
        await pilot.press("ctrl+n" if in_browser else "f2")
        await settle(pilot)
    assert app.jobs.store is not None and isinstance(app.jobs.store, FixedStore)
    assert app.jobs.store.count == 3


def test_make_app_reads_the_browser_flag_when_called_not_at_import(
    scripted: ScriptedRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HELPMATE_IN_BROWSER", "1")
    assert make_app(scripted.settings).in_browser
    monkeypatch.setenv("HELPMATE_IN_BROWSER", "")
    assert not make_app(scripted.settings).in_browser
