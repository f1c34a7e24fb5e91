"""The engine queue: every engine change goes through one worker, one at a time, in order.

Over the scripted engine (fast; ``test_tui.py`` drives the real one). A turn held at a gate stands
for a slow suggestion; what is asked meanwhile must wait for it, never run beside it.
"""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from helpmate.settings import Settings
from helpmate.tui.conversation import Conversation
from helpmate.tui.settings_screen import SettingsScreen
from tests.unit.tui_support import (
    Gate,
    ScriptedEngine,
    ScriptedRuntime,
    app_for,
    settle,
)

ABUSE = "Her partner hit her last night; she is lonely and in debt."


async def until(pilot: Pilot[Any], condition: Callable[[], bool]) -> None:
    for _ in range(500):
        if condition():
            return
        await pilot.pause()
    raise AssertionError("never happened")


def hold_next_turn(monkeypatch: pytest.MonkeyPatch, gate: Gate, events: list[str]) -> None:
    original = ScriptedEngine.turn

    def held(self: ScriptedEngine, text: str, on_token: Any = None) -> Any:
        events.append("turn starts")
        gate.wait()
        events.append("turn ends")
        return original(self, text, on_token)

    monkeypatch.setattr(ScriptedEngine, "turn", held)


@pytest.mark.asyncio
async def test_a_settings_save_while_a_turn_is_running_waits_its_turn(
    scripted: ScriptedRuntime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    gate = Gate()
    original = Conversation.apply_settings

    def apply(self: Conversation, settings: Settings) -> bool:
        events.append("settings applied")
        return original(self, settings)

    monkeypatch.setattr(Conversation, "apply_settings", apply)
    app = app_for(scripted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        conversation = app.jobs.conversation
        assert conversation is not None
        hold_next_turn(monkeypatch, gate, events)
        try:
            app.main_screen.query_one("#message", Input).value = ABUSE
            await pilot.press("enter")
            await until(pilot, lambda: events == ["turn starts"])
            await pilot.press("ctrl+t")
            await until(pilot, lambda: isinstance(app.screen, SettingsScreen))
            app.screen.query_one("#model", Input).value = "llama3.2"
            await pilot.press("ctrl+s")
            for _ in range(20):
                await pilot.pause()
            # The file is written at once; the runtime is not touched while the turn runs.
            assert tomllib.loads((home / "config.toml").read_text())["llm"]["model"] == "llama3.2"
            assert events == ["turn starts"]
            assert conversation.runtime.settings.llm.model == ""
            assert "Busy:" in str(app.main_screen.query_one("#status").render())
        finally:
            gate.open()
        await settle(pilot)
        assert events == ["turn starts", "turn ends", "settings applied"]
        assert conversation.runtime.settings.llm.model == "llama3.2"
        assert [t["message"] for t in conversation.session.turns] == [ABUSE]


ENGINE_CALLS = (
    "turn",
    "view",
    "pin",
    "dismiss",
    "edit",
    "acknowledge",
    "new_session",
    "resume",
    "session_rows",
    "apply_settings",
    "export",
    "situation_view",
    "all_needs",
)


class Watch:
    """Which threads are inside the conversation, and how many at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.inside: dict[int, int] = {}
        self.most_at_once = 0
        self.threads: set[int] = set()
        self.calls: list[str] = []

    def wrap(self, name: str, original: Callable[..., Any]) -> Callable[..., Any]:
        def watched(conversation: Conversation, *args: Any, **kwargs: Any) -> Any:
            me = threading.get_ident()
            with self.lock:
                self.inside[me] = self.inside.get(me, 0) + 1
                self.most_at_once = max(self.most_at_once, len(self.inside))
                self.threads.add(me)
                self.calls.append(name)
            try:
                return original(conversation, *args, **kwargs)
            finally:
                with self.lock:
                    self.inside[me] -= 1
                    if not self.inside[me]:
                        del self.inside[me]

        return watched


@pytest.mark.asyncio
async def test_every_engine_change_runs_in_the_one_worker_never_two_at_once(
    scripted: ScriptedRuntime, monkeypatch: pytest.MonkeyPatch
) -> None:
    watch = Watch()
    for name in ENGINE_CALLS:
        monkeypatch.setattr(Conversation, name, watch.wrap(name, getattr(Conversation, name)))
    events: list[str] = []
    gate = Gate()
    app = app_for(scripted)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        box = app.main_screen.query_one("#message", Input)
        box.value = ABUSE
        await pilot.press("enter")
        await settle(pilot)
        hold_next_turn(monkeypatch, gate, events)
        try:  # asked for while a turn is held: they queue behind it
            box.value = "She said she wants to die."
            await pilot.press("enter")
            await until(pilot, lambda: events == ["turn starts"])
            box.value = "She loves gardening."
            await pilot.press("enter")
            await pilot.press("ctrl+g", "ctrl+s")
            await pilot.press("ctrl+t")
            await until(pilot, lambda: isinstance(app.screen, SettingsScreen))
            app.screen.query_one("#model", Input).value = "llama3.2"
            await pilot.press("ctrl+s")
            await pilot.pause()
            assert "acknowledge" not in watch.calls and "apply_settings" not in watch.calls
        finally:
            gate.open()
        await settle(pilot)
        # then the rest, each through the worker too
        await pilot.press("ctrl+l", "p")
        await settle(pilot)
        await pilot.press("x", "enter")
        await settle(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
        await pilot.press("down", "enter", "ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        await pilot.press("ctrl+o")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
    for name in ENGINE_CALLS:
        assert name in watch.calls, f"{name} was never called"
    assert watch.most_at_once == 1, "two threads were in the engine at once"
    assert threading.main_thread().ident not in watch.threads, "the UI thread called the engine"
    turns = [c for c in watch.calls if c in ("turn", "acknowledge", "apply_settings")]
    assert turns[:5] == ["turn", "turn", "turn", "acknowledge", "apply_settings"]
