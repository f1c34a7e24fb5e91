"""The terminal app's alerts and its recovery from awkward moments: two alerts at 80x24 both shown,
graver first, none acknowledged unseen; a turn that fails after its alert; a rebuild (and one that
raises) that keeps the session; messages queued while loading or busy; the situation editor; the
record detail of a record shown only in a group.

Real engine over the sample library (hashing embedder), as in ``test_tui.py``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import TextArea

from helpmate.assistant.engine import Engine
from helpmate.assistant.runtime import Runtime
from helpmate.assistant.suggest import Suggester
from helpmate.settings import Settings
from helpmate.tui.screens import EditSituationScreen, RecordScreen
from helpmate.tui.widgets import AlertBanner, ChatLog
from tests.conftest import hashing_runtime
from tests.unit.tui_support import (
    ABUSE,
    LONELY,
    Gate,
    app_for,
    hold_turns,
    plain,
    say,
    settle,
)

DIE = "She said she wants to die."


def chat_text(app: Any) -> str:
    return "\n".join(str(w.render()) for w in app.main_screen.query_one(ChatLog).children)


def saved(runtime: Runtime, app: Any) -> dict[str, Any]:
    path = runtime.settings.sessions_dir / f"{app.jobs.conversation.session.id}.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return data


# ------------------------------------------------------------------ 1. two alerts at 80x24


@pytest.mark.asyncio
async def test_two_alerts_at_80x24_both_show_a_line_graver_first_with_a_count(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        await say(pilot, DIE)
        banner = app.main_screen.query_one(AlertBanner)
        text = plain(app)
        assert "2 alerts" in text
        assert "SAFEGUARDING URGENT: Domestic abuse" in text
        assert "SAFEGUARDING URGENT: Suicide risk" in text
        # both urgent: the graver category first (the one order of safeguarding.yaml)
        assert text.index("Suicide risk") < text.index("Domestic abuse")
        # the whole banner is on the screen, and the message line below it
        assert banner.region.bottom <= 24 - 5
        # the routes: a view that takes focus and scrolls
        routes = banner.query_one("#alert-routes")
        assert routes.can_focus
        await pilot.press("f4")
        await pilot.pause()
        assert app.focused is routes
        assert "999" in str(routes.query_one("Static").render())
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert not banner.has_class("-pending")
        acknowledged = saved(app_runtime, app)["situation"]["acknowledged"]
        assert sorted(acknowledged) == sorted(
            a.key
            for a in app.jobs.conversation.situation.alerts  # type: ignore[union-attr]
        )


@pytest.mark.asyncio
async def test_pending_alerts_put_urgent_before_concern_then_the_graver_category(
    app_runtime: Runtime,
) -> None:
    from helpmate.assistant.safeguarding import Alert
    from helpmate.tui.conversation import Conversation
    from tests.unit.tui_support import FixedStore

    conversation = Conversation(app_runtime, FixedStore(app_runtime.settings.sessions_dir))
    conversation.situation.alerts = [
        Alert.from_json({"category": c, "level": level, "evidence": e, "label": c})
        for c, level, e in [
            ("adult-at-risk", "concern", "a"),
            ("domestic-abuse", "urgent", "b"),
            ("child-at-risk", "concern", "c"),
            ("suicide-self-harm", "urgent", "d"),
        ]
    ]
    shown = [a.label for a in conversation.pending_alerts()]
    assert shown == ["suicide-self-harm", "domestic-abuse", "child-at-risk", "adult-at-risk"]


# ------------------------------------------------------------------ 2. ctrl+g while a message is in flight


@pytest.mark.asyncio
async def test_ctrl_g_during_a_turn_leaves_the_alert_that_turn_raises(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    gate = Gate()
    hold_turns(monkeypatch, gate, lambda call, _text: call == 2)
    app = app_for(app_runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await say(pilot, ABUSE)
        banner = app.main_screen.query_one(AlertBanner)
        box = app.main_screen.query_one("#message")
        box.value = "She said she wants to die."  # type: ignore[attr-defined]
        try:
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press("ctrl+g")  # the worker has read the abuse alert, and only that one
            await pilot.pause()
        finally:
            gate.open()
        await settle(pilot)
        await settle(pilot)
        acknowledged = app.jobs.conversation.situation.acknowledged  # type: ignore[union-attr]
        assert [a.split(":")[0] for a in acknowledged] == ["domestic-abuse"]
        assert banner.has_class("-pending") and "suicide" in plain(app).lower()


# ------------------------------------------------------------------ 3. a turn that fails after safeguarding


@pytest.mark.asyncio
async def test_a_turn_that_fails_after_an_alert_still_shows_and_saves_the_alert(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpmate.errors import HelpmateError

    app = app_for(app_runtime)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)

        def broken(self: Suggester, *args: Any, **kwargs: Any) -> Any:
            raise HelpmateError("the index went away")

        monkeypatch.setattr(Suggester, "suggest", broken)
        await say(pilot, ABUSE)
        banner = app.main_screen.query_one(AlertBanner)
        assert banner.has_class("-pending") and "Domestic abuse" in plain(app)
        assert "the index went away" in chat_text(app)
        alerts = saved(app_runtime, app)["situation"]["alerts"]
        assert [a["category"] for a in alerts] == ["domestic-abuse"]
        await pilot.press(*"still typing")
        assert app.main_screen.query_one("#message").value == "still typing"  # type: ignore[attr-defined]


# ------------------------------------------------------------------ 4. a rebuild keeps the session


@pytest.mark.asyncio
async def test_a_rebuild_reloads_the_index_and_keeps_the_session(library: Path, home: Path) -> None:
    from helpmate.assistant.runtime import load_runtime

    runtime = hashing_runtime(library, home)
    later = time.time() + 5
    for path in (library / "records").glob("*.yaml"):
        os.utime(path, (later, later))  # the library changed since the index was built
    app = app_for(runtime, loader=lambda settings: load_runtime(settings, warn_stale=False))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.can_rebuild
        await say(pilot, ABUSE)
        before = app.jobs.conversation.session.id  # type: ignore[union-attr]
        old_runtime = app.jobs.conversation.runtime  # type: ignore[union-attr]
        await pilot.press("ctrl+b")
        for _ in range(4):
            await settle(pilot)
        assert app.jobs.conversation is not None and app.jobs.conversation.runtime is not old_runtime
        assert app.jobs.conversation.session.id == before
        assert app.main_screen.query_one(AlertBanner).has_class("-pending")
        await say(pilot, "She loves gardening.")
        assert len(app.jobs.conversation.session.turns) == 2
        assert app.main_screen.query_one(AlertBanner).has_class("-pending")


# ------------------------------------------------------------------ 5. queued messages keep their order


@pytest.mark.asyncio
async def test_messages_typed_while_loading_or_busy_are_answered_in_order(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    loading, busy = Gate(), Gate()
    hold_turns(monkeypatch, busy, lambda _call, text: text.startswith(("message 0:", "message 8:")))

    def slow_loader(_settings: Settings) -> Runtime:
        loading.wait()
        return app_runtime

    app = app_for(app_runtime, loader=slow_loader)
    sent = [f"message {i}: he is lonely" for i in range(16)]
    async with app.run_test(size=(80, 24)) as pilot:
        try:
            await pilot.pause()
            box = app.main_screen.query_one("#message")
            for text in sent[:8]:  # while loading
                box.value = text  # type: ignore[attr-defined]
                await pilot.press("enter")
            loading.open()
            for _ in range(20):
                await pilot.pause()
            for text in sent[8:]:  # while the first message is being worked on
                box.value = text  # type: ignore[attr-defined]
                await pilot.press("enter")
                await pilot.pause()
            assert app.main_screen.query_one("#message").value == ""  # type: ignore[attr-defined]
            assert app.busy and "Busy:" in str(app.main_screen.query_one("#status").render())
        finally:
            loading.open()
            busy.open()
        for _ in range(4):
            await settle(pilot)
        assert app.jobs.conversation is not None
        assert [t["message"] for t in app.jobs.conversation.session.turns] == sent


# ------------------------------------------------------------------ 6. the situation editor


@pytest.mark.asyncio
async def test_the_editor_keeps_facts_with_semicolons_and_edits_only_what_changed(
    app_runtime: Runtime,
) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        conversation = app.jobs.conversation
        assert conversation is not None
        conversation.situation.facts = {"age": "78", "household": "lives alone; with his dog"}
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditSituationScreen)
        assert "[x] " in plain(app)  # the ticked needs are marked (not eaten as markup)
        screen.query_one("#what_matters", TextArea).text = "staying in his own home"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert conversation.situation.facts == {"age": "78", "household": "lives alone; with his dog"}
        assert "facts" not in conversation.situation.edited
        assert conversation.situation.what_matters == ["staying in his own home"]
        # a fact edited, one per line
        await pilot.press("ctrl+r")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, EditSituationScreen)
        facts = screen.query_one("#facts", TextArea)
        assert facts.text == "age: 78\nhousehold: lives alone; with his dog"
        facts.text = "age: 79\nhousehold: lives alone; with his dog"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert conversation.situation.facts == {"age": "79", "household": "lives alone; with his dog"}
        assert "facts" in conversation.situation.edited


# ------------------------------------------------------------------ 7. a rebuild that fails oddly


@pytest.mark.asyncio
async def test_a_rebuild_that_raises_is_reported_and_the_app_stays_up(
    app_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpmate.errors import HelpmateError

    def no_index(_settings: Settings) -> Runtime:
        raise HelpmateError("the index is missing", hint="run 'helpmate kb index'")

    def cannot_run(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError("no python here")

    monkeypatch.setattr("helpmate.tui.jobs.subprocess.run", cannot_run)
    app = app_for(app_runtime, loader=no_index)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert app.can_rebuild
        await pilot.press("ctrl+b")
        await settle(pilot)
        await settle(pilot)
        assert app.is_running and app.return_code is None
        assert "no python here" in chat_text(app)
        assert "Traceback" not in chat_text(app)
        assert "failed" in str(app.main_screen.query_one("#status").render())


# ------------------------------------------------------------------ 8. the record detail's reason


@pytest.mark.asyncio
async def test_the_record_detail_says_why_for_a_record_shown_only_in_a_group(app_runtime: Runtime) -> None:
    app = app_for(app_runtime)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await say(pilot, LONELY)
        conversation = app.jobs.conversation
        assert conversation is not None
        suggestion = conversation.current()
        shown = {h.record.id for h in suggestion.services + suggestion.community}
        grouped = {h.record.id for g in suggestion.groups for h in g.services + g.community}
        outside = next(r.id for r in app_runtime.index.records if r.id not in grouped)
        name = app_runtime.index.by_id[outside].name
        app.ask("Pinning", app.jobs.pin, outside, name)  # in a group of the plan, not the flat lists
        await settle(pilot)
        suggestion = conversation.current()
        grouped = {h.record.id for g in suggestion.groups for h in g.services + g.community}
        only_grouped = sorted((grouped - shown) | {outside})
        for record_id in only_grouped:
            app.show_record(record_id)
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, RecordScreen)
            assert screen.reason, f"no reason for {record_id}"
            await pilot.press("escape")
            await pilot.pause()


# ------------------------------------------------------------------ 9. no fallbacks in the app


def test_the_scripted_engine_has_the_real_interface() -> None:
    """The snapshots run over a scripted engine: it must have the real engine's methods, with the
    same parameters, or a renamed engine method would pass the snapshots and fail the worker."""
    import inspect

    from tests.unit.tui_support import ScriptedEngine, ScriptedRuntime

    used = ["turn", "plan", "edit", "pin", "dismiss", "acknowledge", "record"]
    for name in used:
        real = inspect.signature(getattr(Engine, name))
        scripted = inspect.signature(getattr(ScriptedEngine, name))
        assert list(real.parameters) == list(scripted.parameters), name
    assert hasattr(Runtime, "warm_up") and hasattr(ScriptedRuntime, "warm_up")


def test_the_app_keeps_no_fallback_for_engine_methods() -> None:
    import helpmate.tui.conversation as conversation

    source = inspect_source(conversation)
    for fallback in ("getattr(self.engine", "getattr(self.runtime", "fallback", "_fallback"):
        assert fallback not in source


def inspect_source(module: Any) -> str:
    import inspect

    return inspect.getsource(module)
