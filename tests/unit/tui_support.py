"""Helpers for the terminal app's tests: driving the app (``app_for``, ``settle``, ``say``), reading
its screen, holding engine turns, and a scripted engine for the snapshots. The fixtures that use
them are in tests/unit/conftest.py.

The app gets a session store whose ids are fixed (so snapshots do not change).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Footer, Input

from helpmate.assistant.engine import Engine, Situation, Turn
from helpmate.assistant.plan import NeedGroup, offer
from helpmate.assistant.runtime import Runtime
from helpmate.assistant.safeguarding import Alert
from helpmate.assistant.sessions import Session, SessionStore
from helpmate.knowledge.records import Area, Need, Record
from helpmate.settings import Settings
from helpmate.tui.app import HelpmateApp, make_app

ABUSE = "Her partner hit her last night and she is scared to go home. She is lonely and in debt."
LONELY = "He is 78, lonely since his wife died, loves gardening and is behind on his council tax."
TODAY = dt.date(2026, 11, 28)


class FixedStore(SessionStore):
    """Session ids and times that do not change between runs."""

    def __init__(self, folder: Path) -> None:
        super().__init__(folder)
        self.count = 0

    def new(self) -> Session:
        self.count += 1
        return Session(f"20260101-0900{self.count:02d}-test", "2026-01-01T09:00:00")


def app_for(runtime: Runtime | ScriptedRuntime, **kwargs: Any) -> HelpmateApp:
    loader: Callable[[Settings], Any] = kwargs.pop("loader", lambda _settings: runtime)
    return make_app(
        runtime.settings, loader=loader, store=FixedStore(runtime.settings.sessions_dir), **kwargs
    )


async def settle(pilot: Pilot[Any]) -> None:
    """Until the app has loaded (or failed to) and no engine work is running."""
    app = pilot.app
    assert isinstance(app, HelpmateApp)
    for _ in range(500):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        if not app.busy and (app.jobs.conversation is not None or app.problem is not None):
            await footers_drawn(pilot)
            return
    raise AssertionError("the app did not settle")


async def footers_drawn(pilot: Pilot[Any]) -> None:
    """Until each footer on the screen shows its keys. A footer draws its bindings one refresh
    after its screen announces them, so a modal opened before that refresh leaves the footer
    behind it blank or full by chance (a snapshot that failed one CI run in several)."""
    for _ in range(50):
        if all(footer.children for footer in pilot.app.screen.query(Footer)):
            return
        await pilot.pause()


async def say(pilot: Pilot[Any], text: str) -> None:
    app = pilot.app
    assert isinstance(app, HelpmateApp)
    box = app.main_screen.query_one("#message", Input)
    box.focus()
    box.value = text  # as a paste would; key by key echo has its own test
    await pilot.press("enter")
    await settle(pilot)


def screen_text(app: HelpmateApp) -> str:
    """Everything the active screen shows, as plain text (from an SVG-free export)."""
    return app.export_screenshot()


def plain(app: HelpmateApp) -> str:
    """The active screen's text, without SVG markup."""
    import html
    import re

    svg = app.export_screenshot()
    text = re.sub(r"<[^>]+>", "", svg)
    return " ".join(html.unescape(text).replace("\xa0", " ").split())


class Gate:
    """Holds a worker thread until the test opens it."""

    def __init__(self) -> None:
        self.event = threading.Event()

    def wait(self) -> None:
        assert self.event.wait(60), "the test never opened the gate"

    def open(self) -> None:
        self.event.set()


def hold_turns(monkeypatch: pytest.MonkeyPatch, gate: Gate, held: Callable[[int, str], bool]) -> None:
    """Make ``Engine.turn`` wait at the gate for the turns ``held(call number from 1, text)`` picks."""
    original = Engine.turn
    calls = 0

    def held_turn(self: Engine, text: str, on_token: Any = None) -> Any:
        nonlocal calls
        calls += 1
        if held(calls, text):
            gate.wait()
        return original(self, text, on_token)

    monkeypatch.setattr(Engine, "turn", held_turn)


# --------------------------------------------------------------------------- a scripted engine
#
# Snapshots show the screen, not the engine's judgement: they run over a scripted engine with a
# few fixed records, so they change only when the app's screen does (the Pilot tests above and
# the engine's own tests cover the real engine).


def _record(id_: str, name: str, track: str, **extra: Any) -> Record:
    base: dict[str, Any] = {
        "id": id_,
        "name": name,
        "track": track,
        "organisation": "Test Organisation",
        "description": f"{name}: a fixed record for the app's snapshots.",
        "contact": {"phone": "01632 960000", "email": "hello@example.org", "url": "https://example.org"},
        "address": "1 High Street, Northgate",
        "postcode": "XW1 1AA",
        "how_to_access": "Drop in, or phone to book.",
        "eligibility": {"text": "Adults living in Northgate", "min_age": 18},
        "opening_times": "Mon-Fri 09:00-17:00",
        "cost": "Free",
        "accessibility": "Step-free access",
        "languages": ["English", "Polish"],
        "source": {"feed": "test", "id": id_},
        "last_reviewed": "2026-06-01",
        "review_due": "2027-06-01",
    }
    base.update(extra)
    return Record.model_validate(base)


SCRIPTED_NEEDS = [
    Need(id="domestic-abuse", label="Domestic abuse", description="-", examples=["-"]),
    Need(id="loneliness", label="Loneliness and social isolation", description="-", examples=["-"]),
    Need(id="debt", label="Debt and arrears", description="-", examples=["-"]),
]
SCRIPTED_RECORDS = [
    _record(
        "svc-refuge",
        "Northgate Refuge",
        "service",
        review_due="2026-01-01",
        last_reviewed="2025-01-01",
        description=(
            "Safe, confidential refuge accommodation for women and their children escaping domestic "
            "abuse, with a key worker, help with benefits and housing, and support to move on into a "
            "home of their own when they are ready."
        ),
    ),
    _record("svc-advice", "Northgate Money Advice", "service"),
    _record("svc-link", "Social Prescribing Link Workers", "service"),
    _record("com-shed", "Northgate Men's Shed", "community"),
    _record("com-garden", "Tanyard Community Garden", "community"),
    _record("com-safe", "Safe Spaces in Local Shops", "community"),
]
SCRIPTED_ALERT = Alert.from_json(
    {
        "category": "domestic-abuse",
        "label": "Domestic abuse",
        "level": "urgent",
        "evidence": "partner hit",
        "route": {
            "urgent": "If someone is in immediate danger, call 999.",
            "steps": [
                "Talk privately and safely.",
                "Offer the National Domestic Abuse Helpline (0808 2000 247).",
            ],
        },
    }
)
SCRIPTED_SECOND_ALERT = Alert.from_json(
    {
        "category": "suicide-self-harm",
        "label": "Suicide or self-harm",
        "level": "urgent",
        "evidence": "wants to die",
        "route": {
            "urgent": "If life is at risk now, call 999; stay with them.",
            "steps": [
                "Ask directly about suicide: it does not put the idea in their head.",
                "Samaritans are there day and night on 116 123.",
                "Tell your safeguarding lead today.",
            ],
        },
    }
)
PLAN = {  # need -> (services, community)
    "domestic-abuse": (["svc-refuge"], ["com-safe"]),
    "loneliness": (["svc-link"], ["com-shed", "com-garden"]),
    "debt": (["svc-advice"], []),
}


@dataclass
class ScriptedHit:
    record: Record
    score: float
    tag: str | None


@dataclass
class ScriptedNeed:
    need: Need
    score: float


@dataclass
class ScriptedSuggestion:
    needs: list[ScriptedNeed]
    services: list[ScriptedHit]
    community: list[ScriptedHit]
    questions: list[str]
    groups: list[NeedGroup]
    safeguarding: list[dict[str, Any]] = field(default_factory=list)
    area: str | None = "northgate"

    def why(self, hit: ScriptedHit) -> str:
        """As the real engine words it: the need's label (or what was heard), then the offer,
        cut to a line (``offer``)."""
        labels = {n.id: n.label.lower() for n in SCRIPTED_NEEDS}
        return f"For {labels.get(hit.tag or '', 'what you described')}: {offer(hit.record, 140)}"


class ScriptedEngine:
    """Needs from words in the messages; a fixed plan for them; an alert when someone was hit.

    It has the real engine's interface (``test_the_scripted_engine_has_the_real_interface``
    compares the signatures), and keeps everything in the situation as the real one does, so a
    renamed engine method fails the tests instead of being papered over in the app."""

    def __init__(self, situation: Situation | None = None) -> None:
        self.situation = situation or Situation()
        self.by_id = {r.id: r for r in SCRIPTED_RECORDS}

    def plan(self) -> ScriptedSuggestion:
        situation = self.situation
        said = " ".join(situation.messages).lower()
        words = {"domestic-abuse": "hit", "loneliness": "lonely", "debt": "debt"}
        needs = [
            n
            for n in SCRIPTED_NEEDS
            if (words[n.id] in said or n.id in situation.added_needs) and n.id not in situation.excluded_needs
        ]

        def hits(ids: list[str], need_id: str) -> list[ScriptedHit]:
            return [ScriptedHit(self.by_id[i], 1.0, need_id) for i in ids if i not in situation.dismissed]

        groups = [
            NeedGroup(
                n.id,
                n.label,
                hits(PLAN[n.id][0], n.id),
                hits(PLAN[n.id][1], n.id),
                urgent=n.id == "domestic-abuse",
            )
            for n in needs
        ]
        shown = {h.record.id for g in groups for h in g.services + g.community}
        for record_id in situation.pinned:
            if record_id not in shown:
                hit = ScriptedHit(self.by_id[record_id], 0.0, None)
                pinned = NeedGroup(None, "Also close to what was said", [], [])
                (pinned.services if hit.record.track == "service" else pinned.community).append(hit)
                groups.append(pinned)
        questions = ["Roughly how old are they?", "What matters most to them right now?"] if needs else []
        return ScriptedSuggestion(
            [ScriptedNeed(n, 1.0) for n in needs],
            [h for g in groups for h in g.services],
            [h for g in groups for h in g.community],
            questions,
            groups,
            list(situation.alerts),
        )

    def turn(self, text: str, on_token: Callable[[str], None] | None = None) -> Turn:
        heard = {"hit": SCRIPTED_ALERT, "wants to die": SCRIPTED_SECOND_ALERT}
        new = [
            alert
            for word, alert in heard.items()
            if word in text.lower() and alert not in self.situation.alerts
        ]
        self.situation.alerts.extend(new)
        self.situation.messages.append(text)
        suggestion = self.plan()
        reply = "I understood: " + "; ".join(n.need.label.lower() for n in suggestion.needs) + "."
        return Turn(text, suggestion, new, [], reply)  # type: ignore[arg-type]

    def edit(self, name: str, values: list[str] | dict[str, str]) -> ScriptedSuggestion:
        situation = self.situation
        if name == "facts":
            assert isinstance(values, dict)
            situation.facts = dict(values)
        elif name == "needs":
            current = {n.need.id for n in self.plan().needs}
            situation.excluded_needs = sorted(
                (set(situation.excluded_needs) | (current - set(values))) - set(values)
            )
            situation.added_needs = [v for v in values if v not in current]
        else:
            setattr(situation, name, list(values))
        if name not in situation.edited:
            situation.edited.append(name)
        return self.plan()

    def pin(self, record_id: str) -> ScriptedSuggestion:
        self.situation.dismissed.pop(record_id, None)
        if record_id not in self.situation.pinned:
            self.situation.pinned.append(record_id)
        return self.plan()

    def dismiss(self, record_id: str, reason: str = "") -> ScriptedSuggestion:
        if record_id in self.situation.pinned:
            self.situation.pinned.remove(record_id)
        self.situation.dismissed[record_id] = reason or "no reason given"
        return self.plan()

    def acknowledge(self, keys: Collection[str] | None = None) -> list[str]:
        pending = [a.key for a in self.situation.unacknowledged]
        new = pending if keys is None else [k for k in pending if k in set(keys)]
        self.situation.acknowledged += new
        return new

    def record(self, record_id: str) -> Record | None:
        return self.by_id.get(record_id)


class ScriptedRuntime:
    """What the app reads from a runtime, over the scripted engine."""

    def __init__(self, home: Path) -> None:
        self.settings = Settings(home=home, embedder="hashing", area="northgate")
        self.index = SimpleNamespace(
            records=SCRIPTED_RECORDS,
            by_id={r.id: r for r in SCRIPTED_RECORDS},
            areas=[Area(slug="northgate", name="Northgate")],
        )
        self.suggester = SimpleNamespace(needs=SCRIPTED_NEEDS)
        self.stale = False

    def engine(self, situation: Situation | None = None) -> ScriptedEngine:
        return ScriptedEngine(situation)

    def warm_up(self) -> None:
        pass


# END
