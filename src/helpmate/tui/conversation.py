"""The one object the app's workers call: a session, its engine, and what the screen needs from them.

Widgets never touch the engine; the app runs these methods in thread workers and shows what
they return. Every change (a turn, an edit, a pin, a dismissal, an acknowledgement) is saved in
the session file before the method returns.

The engine is being extended (groups per need, edits of the situation, pins, dismissals); where
the engine in this checkout does not have a method yet, the small fallbacks here keep the app
working and are marked ``fallback``. They hold the worker's edits in memory only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from helpmate.assistant.engine import Engine, Situation, Turn
    from helpmate.assistant.runtime import Runtime
    from helpmate.assistant.sessions import Session, SessionStore
    from helpmate.assistant.suggest import Suggestion
    from helpmate.knowledge.records import Record


class Hit(Protocol):
    """A suggestion as the engine returns it (``helpmate.index.search.Hit``; the app only reads it)."""

    record: Record
    score: float
    tag: str | None


@dataclass
class PinnedHit:
    """fallback: a record the worker pinned that retrieval did not return this time."""

    record: Record
    score: float
    tag: str | None


@dataclass
class Group:
    """One need of the plan, with its standard services and community resources side by side."""

    need_id: str | None
    label: str
    services: list[Hit] = field(default_factory=list)
    community: list[Hit] = field(default_factory=list)
    urgent: bool = False
    """Tied to a safeguarding alert."""
    matters: bool = False
    """What matters to the person speaks of this need."""


@dataclass
class SituationView:
    """What the situation panel shows (plain data, so the widget needs no engine types)."""

    needs: list[tuple[str, str]]  # (need id, label)
    excluded: list[str]
    what_matters: list[str]
    strengths: list[str]
    facts: dict[str, str]
    questions: list[str]
    area: str | None


def today() -> dt.date:
    return dt.date.today()


def overdue(record: Record, on: dt.date | None = None) -> bool:
    """True when the record's review date has passed (or, with no due date, it was last reviewed over a year ago)."""
    on = on or today()
    if record.review_due is not None:
        return record.review_due < on
    if record.last_reviewed is not None:
        return (on - record.last_reviewed).days > 365
    return False


def contact_text(record: Record) -> str:
    parts = [record.name]
    if record.contact.phone:
        parts.append(f"Phone: {record.contact.phone}")
    if record.contact.email:
        parts.append(f"Email: {record.contact.email}")
    if record.contact.url:
        parts.append(f"Web: {record.contact.url}")
    if record.address:
        parts.append(f"Address: {record.address} {record.postcode}".rstrip())
    return "\n".join(parts)


class Conversation:
    """A session over a loaded runtime. Not thread-safe: the app runs one engine call at a time."""

    def __init__(self, runtime: Runtime, store: SessionStore, area: str | None = None) -> None:
        self.runtime = runtime
        self.store = store
        self.area = area
        self.suggestion: Suggestion | None = None
        self.session: Session = store.new()
        self.engine: Engine = self._start(self.session)

    # ------------------------------------------------------------------ sessions

    def _start(self, session: Session) -> Engine:
        if session.situation.area is None:
            session.situation.area = self.area or self.runtime.settings.area
        self._fallback: dict[str, Any] = {
            "what_matters": [],
            "strengths": [],
            "facts": {},
            "pinned": [],
            "dismissed": {},
        }
        situation = session.situation
        acknowledged = set(situation.acknowledged)
        self._acked_upto = (
            len(situation.alerts) if all(a["category"] in acknowledged for a in situation.alerts) else 0
        )
        self.engine = self.runtime.engine(situation)
        self.suggestion = None
        return self.engine

    def warm_up(self) -> None:
        """Load the embedding model now (it loads on first use: about 5 s with torch on two cores),
        so "Ready" means ready and the first message is answered as fast as the next."""
        warm_up = getattr(self.runtime, "warm_up", None)
        if warm_up is not None:
            warm_up()

    def new_session(self) -> Session:
        self.session = self.store.new()
        self._start(self.session)
        return self.session

    def resume(self, session_id: str) -> Session:
        session = self.store.load(session_id)
        self.session = session
        self._start(session)
        return session

    def sessions(self) -> list[Session]:
        return self.store.list()

    def reload_engine(self) -> None:
        """A new engine over the same situation (after the language-model settings changed)."""
        self.engine = self.runtime.engine(self.session.situation)

    # ------------------------------------------------------------------ turns

    def turn(self, text: str, on_token: Any = None) -> Turn:
        turn = self.engine.turn(text, on_token=on_token)
        self.store.record_turn(self.session, turn)
        self.suggestion = self._filtered(turn.suggestion)
        turn.suggestion = self.suggestion
        return turn

    def plan(self) -> Suggestion:
        self.suggestion = self._filtered(self.engine.plan())
        return self.suggestion

    def current(self) -> Suggestion:
        return self.suggestion if self.suggestion is not None else self.plan()

    # ------------------------------------------------------------------ the situation

    @property
    def situation(self) -> Situation:
        return self.engine.situation

    def _field(self, name: str) -> Any:
        value = getattr(self.situation, name, None)
        return self._fallback[name] if value is None else value

    def situation_view(self) -> SituationView:
        suggestion = self.current()
        return SituationView(
            needs=[(n.need.id, n.need.label) for n in suggestion.needs],
            excluded=list(self.situation.excluded_needs),
            what_matters=list(self._field("what_matters")),
            strengths=list(self._field("strengths")),
            facts=dict(self._field("facts")),
            questions=list(suggestion.questions),
            area=self.situation.area,
        )

    def all_needs(self) -> list[tuple[str, str]]:
        return [(n.id, n.label) for n in self.runtime.suggester.needs]

    def edit(self, name: str, values: Any) -> Suggestion:
        """The worker's correction from the situation panel; it sticks for the rest of the session."""
        native = getattr(self.engine, "edit", None)
        if native is not None:
            suggestion = native(name, values)
            self.store.save(self.session)
            self.suggestion = self._filtered(suggestion)
            return self.suggestion
        # fallback: needs through the engine's excluded needs, the rest held here
        if name == "needs":
            keep = set(values)
            shown = [n.need.id for n in self.current().needs]
            excluded = self.situation.excluded_needs
            for need_id in shown:
                if need_id not in keep and need_id not in excluded:
                    excluded.append(need_id)
            for need_id in list(excluded):
                if need_id in keep:
                    excluded.remove(need_id)
        elif name == "facts":
            self._fallback["facts"] = dict(values)
        else:
            self._fallback[name] = list(values)
        self.store.save(self.session)
        return self.plan()

    # ------------------------------------------------------------------ alerts

    def pending_alerts(self) -> list[dict[str, Any]]:
        """Alerts the worker has not acknowledged yet (a new alert after an acknowledgement shows again)."""
        native = getattr(self.situation, "unacknowledged", None)
        if isinstance(native, list):
            return list(native)
        acknowledged = set(self.situation.acknowledged)
        return [
            alert
            for position, alert in enumerate(self.situation.alerts)
            if alert["category"] not in acknowledged or position >= self._acked_upto
        ]

    def acknowledge(self) -> None:
        native = getattr(self.engine, "acknowledge", None)
        if native is not None:
            native()
        else:
            self.situation.acknowledged = sorted(
                set(self.situation.acknowledged) | {a["category"] for a in self.situation.alerts}
            )
        self._acked_upto = len(self.situation.alerts)
        self.store.save(self.session)

    # ------------------------------------------------------------------ records

    def record(self, record_id: str) -> Record | None:
        native = getattr(self.engine, "record", None)
        if native is not None:
            found: Record | None = native(record_id)
            return found
        by_id: dict[str, Record] = self.runtime.index.by_id
        return by_id.get(record_id)

    @property
    def pinned(self) -> list[str]:
        return list(self._field("pinned"))

    @property
    def dismissed(self) -> dict[str, str]:
        return dict(self._field("dismissed"))

    def pin(self, record_id: str) -> Suggestion:
        native = getattr(self.engine, "pin", None)
        if native is not None:
            suggestion = native(record_id)
        else:
            pinned = self._fallback["pinned"]
            if record_id not in pinned:
                pinned.append(record_id)
            self._fallback["dismissed"].pop(record_id, None)
            suggestion = self.engine.plan()
        self.store.save(self.session)
        self.suggestion = self._filtered(suggestion)
        return self.suggestion

    def dismiss(self, record_id: str, reason: str) -> Suggestion:
        native = getattr(self.engine, "dismiss", None)
        if native is not None:
            suggestion = native(record_id, reason)
        else:
            self._fallback["dismissed"][record_id] = reason
            if record_id in self._fallback["pinned"]:
                self._fallback["pinned"].remove(record_id)
            suggestion = self.engine.plan()
        self.store.save(self.session)
        self.suggestion = self._filtered(suggestion)
        return self.suggestion

    def _filtered(self, suggestion: Suggestion) -> Suggestion:
        """fallback: dismissed records out, pinned records in (the engine does this itself when it can)."""
        if getattr(self.engine, "dismiss", None) is not None:
            return suggestion
        dismissed = self._fallback["dismissed"]
        groups = list(getattr(suggestion, "groups", None) or [])
        for holder in [suggestion, *groups]:
            holder.services = [h for h in holder.services if h.record.id not in dismissed]
            holder.community = [h for h in holder.community if h.record.id not in dismissed]
        shown = {h.record.id for holder in [suggestion, *groups] for h in holder.services + holder.community}
        needs = [n.need.id for n in suggestion.needs]
        for record_id in self._fallback["pinned"]:
            record = self.record(record_id)
            if record is None or record_id in shown:
                continue
            tag = next((n for n in needs if n in record.all_needs()), None)
            hit = PinnedHit(record, 1.0, tag)
            track = "services" if record.track == "service" else "community"
            getattr(suggestion, track).insert(0, hit)
            home = next((g for g in groups if g.need_id == tag), groups[-1] if groups else None)
            if home is not None:
                getattr(home, track).insert(0, hit)
        return suggestion

    # ------------------------------------------------------------------ the plan, per need

    def groups(self, suggestion: Suggestion | None = None) -> list[Group]:
        suggestion = suggestion or self.current()
        native = getattr(suggestion, "groups", None)
        if native:
            return [
                Group(
                    g.need_id,
                    g.label,
                    list(g.services),
                    list(g.community),
                    urgent=bool(getattr(g, "urgent", False)),
                    matters=bool(getattr(g, "matters", False)),
                )
                for g in native
                if g.services or g.community
            ]
        # fallback: group the two tracks by the need each hit was ranked for
        pinned = set(self.pinned)
        groups: dict[str | None, Group] = {}
        if pinned:
            groups["__pinned__"] = Group(None, "Pinned by you")
        for need in suggestion.needs:
            groups[need.need.id] = Group(need.need.id, need.need.label)
        for track in ("services", "community"):
            for hit in getattr(suggestion, track):
                key = "__pinned__" if hit.record.id in pinned else hit.tag
                if key not in groups:
                    groups[key] = Group(None, "Close to what was said") if key is None else Group(key, key)
                getattr(groups[key], track).append(hit)
        return [g for g in groups.values() if g.services or g.community]

    def why(self, hit: Hit, suggestion: Suggestion | None = None) -> str:
        return (suggestion or self.current()).why(hit)

    # ------------------------------------------------------------------ export

    def export(self, folder: Path) -> tuple[Path, Path]:
        """The worker's plan and the citizen's plain-language version, as Markdown files."""
        from helpmate.assistant.sessions import export_markdown
        from helpmate.knowledge.library import atomic_write

        plan = self.current()
        worker = folder / f"{self.session.id}-worker.md"
        citizen = folder / f"{self.session.id}-citizen.md"
        atomic_write(worker, export_markdown(self.session, plan))
        atomic_write(citizen, export_markdown(self.session, plan, citizen=True))
        return worker, citizen
