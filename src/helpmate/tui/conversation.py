"""The one object the app's workers call: a session, its engine, and what the screen needs from them.

Widgets never touch the engine; the app runs these methods in thread workers and shows what
they return. Every change (a turn, an edit, a pin, a dismissal, an acknowledgement) is saved in
the session file before the method returns.

Every call goes to the engine itself (no state is kept here beside the engine's situation), so a
change to the engine's interface fails the tests rather than leaving the worker's edits in memory.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from helpmate.assistant.engine import Engine, Situation, Turn
    from helpmate.assistant.runtime import Runtime
    from helpmate.assistant.sessions import Session, SessionStore
    from helpmate.assistant.plan import NeedGroup as Group
    from helpmate.assistant.plan import Suggestion
    from helpmate.assistant.safeguarding import Alert
    from helpmate.knowledge.records import Record


class Hit(Protocol):
    """A suggestion as the engine returns it (``helpmate.index.search.Hit``; the app only reads it)."""

    record: Record
    score: float
    tag: str | None


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


@dataclass(frozen=True)
class AlertView:
    """One pending safeguarding alert as the banner shows it (plain data: the widgets import no
    engine type). ``key`` is the engine's ``alert_key``: what acknowledging it records."""

    key: str
    level: str
    category: str
    evidence: str
    urgent: str = ""
    """The route's first words for immediate danger (call 999 ...), if it has them."""
    steps: tuple[str, ...] = ()

    @classmethod
    def of(cls, alert: Alert) -> AlertView:
        route = alert.route
        return cls(
            alert.key,
            alert.level,
            alert.title,
            alert.evidence,
            route.urgent if route else "",
            tuple(route.steps) if route else (),
        )


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

    def __init__(
        self,
        runtime: Runtime,
        store: SessionStore,
        area: str | None = None,
        session: Session | None = None,
    ) -> None:
        self.runtime = runtime
        self.store = store
        self.area = area
        self.suggestion: Suggestion | None = None
        self.session: Session = session or store.new()
        self.engine: Engine = self._start(self.session)
        from helpmate.insight.recorder import Recorder

        self.insight = Recorder(runtime.settings, runtime.index)
        """Leaves the conversation's anonymous event after each saved change (never raises)."""

    # ------------------------------------------------------------------ sessions

    def _start(self, session: Session) -> Engine:
        if session.situation.area is None:
            session.situation.area = self.area or self.runtime.settings.area
        self.engine = self.runtime.engine(session.situation)
        self.suggestion = None
        return self.engine

    def warm_up(self) -> None:
        """Load the embedding model now (it loads on first use: about 5 s with torch on two cores),
        so "Ready" means ready and the first message is answered as fast as the next."""
        self.runtime.warm_up()

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
        """One message. The session is saved whatever happens: an alert raised before a failure
        must be in the session file as well as on the screen."""
        try:
            turn = self.engine.turn(text, on_token=on_token)
        except BaseException:
            self.store.save(self.session)
            raise
        self.store.record_turn(self.session, turn)
        if not turn.error:  # a failed plan is empty: the screen keeps the last good one
            self.suggestion = turn.suggestion
            self.insight.observe(self.session, turn.suggestion)
        return turn

    def plan(self) -> Suggestion:
        self.suggestion = self.engine.plan()
        return self.suggestion

    def current(self) -> Suggestion:
        return self.suggestion if self.suggestion is not None else self.plan()

    # ------------------------------------------------------------------ the situation

    @property
    def situation(self) -> Situation:
        return self.engine.situation

    def situation_view(self) -> SituationView:
        suggestion = self.current()
        situation = self.situation
        return SituationView(
            needs=[(n.need.id, n.need.label) for n in suggestion.needs],
            excluded=list(situation.excluded_needs),
            what_matters=list(situation.what_matters),
            strengths=list(situation.strengths),
            facts=dict(situation.facts),
            questions=list(suggestion.questions),
            area=situation.area,
        )

    def all_needs(self) -> list[tuple[str, str]]:
        return [(n.id, n.label) for n in self.runtime.suggester.needs]

    def edit(self, name: str, values: Any) -> Suggestion:
        """The worker's correction from the situation panel; it sticks for the rest of the session."""
        self.suggestion = self.engine.edit(name, values)
        self.store.save(self.session)
        return self.suggestion

    # ------------------------------------------------------------------ alerts

    def pending_alerts(self) -> list[AlertView]:
        """Alerts the worker has not acknowledged, in the one order of severity used everywhere
        (a new alert after an acknowledgement shows again)."""
        from helpmate.assistant.safeguarding import ordered

        return [AlertView.of(alert) for alert in ordered(self.situation.unacknowledged)]

    def acknowledge(self, keys: list[str]) -> list[str]:
        """Acknowledge exactly these alerts (the ones the worker was shown); saved at once."""
        done = self.engine.acknowledge(keys)
        self.store.save(self.session)
        return done

    # ------------------------------------------------------------------ records

    def record(self, record_id: str) -> Record | None:
        return self.engine.record(record_id)

    @property
    def pinned(self) -> list[str]:
        return list(self.situation.pinned)

    @property
    def dismissed(self) -> dict[str, str]:
        return dict(self.situation.dismissed)

    def pin(self, record_id: str) -> Suggestion:
        self.suggestion = self.engine.pin(record_id)
        self.store.save(self.session)
        self.insight.observe(self.session, self.suggestion)
        return self.suggestion

    def dismiss(self, record_id: str, reason: str) -> Suggestion:
        self.suggestion = self.engine.dismiss(record_id, reason)
        self.store.save(self.session)
        self.insight.observe(self.session, self.suggestion)
        return self.suggestion

    # ------------------------------------------------------------------ the plan, per need

    def groups(self, suggestion: Suggestion | None = None) -> list[Group]:
        suggestion = suggestion or self.current()
        return [g for g in suggestion.groups if g.services or g.community]

    def why(self, hit: Hit, suggestion: Suggestion | None = None) -> str:
        return (suggestion or self.current()).why(hit)  # type: ignore[arg-type]

    # ------------------------------------------------------------------ export

    def export(self, folder: Path) -> tuple[Path, Path]:
        """The worker's plan and the citizen's plain-language version, as Markdown files."""
        from helpmate.assistant.export import export_markdown
        from helpmate.knowledge.library import atomic_write

        plan = self.current()
        worker = folder / f"{self.session.id}-worker.md"
        citizen = folder / f"{self.session.id}-citizen.md"
        atomic_write(worker, export_markdown(self.session, plan))
        atomic_write(citizen, export_markdown(self.session, plan, citizen=True))
        return worker, citizen
