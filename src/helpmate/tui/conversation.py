"""The one object the engine worker calls: a session, its engine, and what the screen needs from them.

Only the engine worker (``jobs.Jobs``) touches a ``Conversation``; the UI thread gets plain data
back (``View``, ``SituationView``, ``AlertView``, ``SessionRow``), so nothing on the screen reads
engine state that a job may be changing. Every change (a turn, an edit, a pin, a dismissal, an
acknowledgement, new settings) is saved in the session file before the method returns; when a
save fails (a full disk), the change stays in memory, ``View.unsaved`` says why in one line, and
the next change saves it all again.

Every call goes to the engine itself (no state is kept here beside the engine's situation), so a
change to the engine's interface fails the tests rather than leaving the worker's edits in memory.

Alerts: the engine gives them as dicts today. This module is the only place in the app that reads
one (``AlertView.of``, ``alert_order``, ``alert_views``); when the engine gives alerts a type,
these three change and nothing else.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from helpmate.assistant.engine import Engine, Situation, Turn
    from helpmate.assistant.plan import NeedGroup as Group
    from helpmate.assistant.plan import Suggestion
    from helpmate.assistant.runtime import Runtime
    from helpmate.assistant.safeguarding import Alert
    from helpmate.assistant.sessions import Session, SessionStore
    from helpmate.knowledge.records import Record
    from helpmate.settings import Settings


class Hit(Protocol):
    """A suggestion as the engine returns it (``helpmate.index.search.Hit``; the app only reads it)."""

    record: Record
    score: float
    tag: str | None


# ---------------------------------------------------------------------------------- alerts

CATEGORY_LABELS = {
    "immediate-danger": "Immediate danger",
    "suicide-self-harm": "Suicide or self-harm",
    "domestic-abuse": "Domestic abuse",
    "child-at-risk": "A child at risk",
    "adult-at-risk": "An adult at risk",
}
"""What a worker reads for a safeguarding category a reply names by its slug (a model's reply, an
older session): the labels of helpmate/data/safeguarding/kinds.yaml."""


@dataclass(frozen=True)
class AlertView:
    """One safeguarding alert as the banner shows it (plain data: the widgets import no engine
    type). ``key`` is the engine's ``alert_key``: what acknowledging it records."""

    key: str
    level: str
    label: str
    """The category's label ("suicide or self-harm"), never its slug."""
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


_ALERT_IN_TEXT = re.compile(r"(SAFEGUARDING [A-Z]+: )([a-z]+(?:-[a-z]+)+)")
_CITATION = re.compile(r"(\s*)\[([A-Za-z0-9][A-Za-z0-9_.:-]*)\]")


def readable(reply: str, record: Callable[[str], Record | None]) -> str:
    """A reply as a worker reads it: an alert's category by its label, and a record cited by id
    (``Name [id]``, from the default reply or a model) by its name only. The engine writes ids for
    the line chat and the grounding check; ids on the app's screen belong in a record's detail."""

    def name(match: re.Match[str]) -> str:
        found = record(match.group(2))
        if found is None:
            return match.group(0)
        before = reply[: match.start()]
        return "" if before.endswith(found.name) else match.group(1) + found.name

    def label(match: re.Match[str]) -> str:
        return match.group(1) + CATEGORY_LABELS.get(match.group(2), match.group(2))

    return _CITATION.sub(name, _ALERT_IN_TEXT.sub(label, reply))


def alert_views(situation: Situation, *, acknowledged: bool) -> list[AlertView]:
    """The situation's alerts (pending or acknowledged) in the one order used everywhere."""
    from helpmate.assistant.safeguarding import ordered

    return [
        AlertView.of(alert)
        for alert in ordered(situation.alerts)
        if situation.is_acknowledged(alert) == acknowledged
    ]


# ---------------------------------------------------------------------------------- plain data


@dataclass
class SituationView:
    """What the situation panel shows (plain data, so the widget needs no engine types)."""

    needs: list[tuple[str, str]]  # (need id, label)
    excluded: list[str]  # the labels of the needs the worker took out
    what_matters: list[str]
    strengths: list[str]
    facts: dict[str, str]
    questions: list[str]
    area: str | None  # the area's name


@dataclass
class SessionRow:
    """A saved session as the list shows it: when it started and how it began, not its id."""

    id: str
    started: str
    turns: int
    title: str
    alerts: int
    damaged: str = ""
    """Why the file cannot be resumed (empty for a good session): the list shows it, never crashes."""


@dataclass
class View:
    """Everything the main screen shows after an engine call, computed in the engine worker."""

    groups: list[Group]
    why: dict[str, str]
    """A reason per record, as the plan shows it (one line)."""
    reasons: dict[str, str]
    """A reason per record for its detail: what was heard or the need, never cut short."""
    records: dict[str, Record]
    """Every record on the plan, so the detail, dismiss and copy need no engine call."""
    pinned: set[str]
    situation: SituationView
    alerts: list[AlertView]
    """Pending: shown in full until acknowledged."""
    acknowledged: list[AlertView] = field(default_factory=list)
    """Shown collapsed, on one line."""
    started: str = ""
    """When the session started, for the title bar."""
    area: str = ""
    """The area's name, or "any area"."""
    area_slug: str | None = None
    """The area's slug, for the Insight screen's report (None: any area)."""
    insight_problem: str = ""
    """Why the last insight event was not recorded, in one line (empty while all is well)."""
    unsaved: str = ""
    """Why the session could not be saved after the last change, in one line (empty when saved)."""


def today() -> dt.date:
    return dt.date.today()


def started(session: Session) -> str:
    """A session's start as a person reads it ("1 Jan 2026, 09:00"), from its saved time."""
    try:
        when = dt.datetime.fromisoformat(session.created)
    except ValueError:
        return session.created
    return f"{when.day} {when:%b %Y, %H:%M}"


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


def detail_reason(why: str, record: Record) -> str:
    """The plan's reason without its cut-down copy of the description (the detail shows the whole
    description below it): what was heard, or the need, in full."""
    from helpmate.assistant.plan import offer

    short = offer(record, 140)
    if short and why.endswith(short) and len(why) > len(short):
        return why[: -len(short)].rstrip(" :") + "."
    return why


# ---------------------------------------------------------------------------------- the conversation


class Conversation:
    """A session over a loaded runtime. Not thread-safe: only the engine worker calls it."""

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
        self.unsaved = ""
        """Why the last save failed (empty when the session file holds everything shown)."""
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
        self.unsaved = ""
        return self.engine

    def new_session(self) -> Session:
        self.session = self.store.new()
        self._start(self.session)
        return self.session

    def resume(self, session_id: str) -> Session:
        session = self.store.load(session_id)
        self.session = session
        self._start(session)
        return session

    def session_rows(self, limit: int = 50) -> list[SessionRow]:
        """Saved sessions, newest first, then the files that are damaged (shown, not resumable)."""
        sessions, damaged = self.store.scan()
        return [
            SessionRow(s.id, started(s), len(s.turns), s.title, len(s.situation.alerts))
            for s in sessions[:limit]
        ] + [SessionRow(name, "", 0, name, 0, damaged=why) for name, why in damaged]

    def save(self) -> bool:
        """Saves the session; a failure (``OSError``: a full disk, a read-only home) is kept in
        ``unsaved`` for the screen, and the session stays in memory to be saved next time."""
        try:
            self.store.save(self.session)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            self.unsaved = (
                f"Not saved: {reason} in {self.store.folder}. The conversation goes on and is saved "
                "again after the next change."
            )
            return False
        self.unsaved = ""
        return True

    def apply_settings(self, settings: Settings) -> bool:
        """New settings from the settings screen: the area for this session, and a new engine over
        the same situation when the language model changed. True when it did."""
        old = self.runtime.settings.llm
        self.runtime.settings = settings
        if settings.area and self.situation.area != settings.area:
            self.situation.area = settings.area
            self.suggestion = None
        llm = settings.llm
        if (llm.provider, llm.model, llm.redact) == (old.provider, old.model, old.redact):
            self.save()
            return False
        self.engine = self.runtime.engine(self.session.situation)
        self.save()
        return True

    # ------------------------------------------------------------------ turns

    def turn(self, text: str, on_token: Any = None) -> Turn:
        """One message. The session is saved whatever happens: an alert raised before a failure
        must be in the session file as well as on the screen. A failed save never loses the turn:
        it is returned to be shown, and ``unsaved`` says why it is not on disk yet."""
        try:
            turn = self.engine.turn(text, on_token=on_token)
        except BaseException:
            self.save()
            raise
        self.store.add_turn(self.session, turn)
        self.save()
        if not turn.error:  # a failed plan is empty: the screen keeps the last good one
            self.suggestion = turn.suggestion
            self.insight.observe(self.session, turn.suggestion)
        return turn

    def readable(self, reply: str) -> str:
        return readable(reply, self.engine.record)

    def plan(self) -> Suggestion:
        self.suggestion = self.engine.plan()
        return self.suggestion

    def current(self) -> Suggestion:
        return self.suggestion if self.suggestion is not None else self.plan()

    # ------------------------------------------------------------------ what the screen shows

    @property
    def situation(self) -> Situation:
        return self.engine.situation

    def area_name(self) -> str:
        slug = self.situation.area
        names = {a.slug: a.name for a in self.runtime.index.areas}
        return names.get(slug, slug) if slug else "any area"

    def situation_view(self) -> SituationView:
        suggestion = self.current()
        situation = self.situation
        labels = dict(self.all_needs())
        return SituationView(
            needs=[(n.need.id, n.need.label) for n in suggestion.needs],
            excluded=[labels.get(need_id, need_id) for need_id in situation.excluded_needs],
            what_matters=list(situation.what_matters),
            strengths=list(situation.strengths),
            facts=dict(situation.facts),
            questions=list(suggestion.questions),
            area=self.area_name() if situation.area else None,
        )

    def view(self) -> View:
        suggestion = self.current()
        groups = [g for g in suggestion.groups if g.services or g.community]
        hits = [hit for group in groups for hit in group.services + group.community]
        why = {hit.record.id: suggestion.why(hit) for hit in hits}
        return View(
            groups=groups,
            why=why,
            reasons={hit.record.id: detail_reason(why[hit.record.id], hit.record) for hit in hits},
            records={hit.record.id: hit.record for hit in hits},
            pinned=set(self.situation.pinned),
            situation=self.situation_view(),
            alerts=self.pending_alerts(),
            acknowledged=alert_views(self.situation, acknowledged=True),
            started=started(self.session),
            area=self.area_name(),
            area_slug=self.situation.area,
            insight_problem=self.insight.problem,
            unsaved=self.unsaved,
        )

    def all_needs(self) -> list[tuple[str, str]]:
        return [(n.id, n.label) for n in self.runtime.suggester.needs]

    def edit(self, name: str, values: Any) -> Suggestion:
        """The worker's correction from the situation panel; it sticks for the rest of the session."""
        self.suggestion = self.engine.edit(name, values)
        self.save()
        return self.suggestion

    # ------------------------------------------------------------------ alerts

    def pending_alerts(self) -> list[AlertView]:
        """Alerts the worker has not acknowledged, in the one order of severity used everywhere (a new
        alert after an acknowledgement shows again)."""
        return alert_views(self.situation, acknowledged=False)

    def acknowledge(self, keys: list[str]) -> list[AlertView]:
        """Acknowledge exactly these alerts (the ones the worker was shown); saved at once."""
        done = set(self.engine.acknowledge(keys))
        self.save()
        return [alert for alert in alert_views(self.situation, acknowledged=True) if alert.key in done]

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
        self.save()
        self.insight.observe(self.session, self.suggestion)
        return self.suggestion

    def dismiss(self, record_id: str, reason: str) -> Suggestion:
        self.suggestion = self.engine.dismiss(record_id, reason)
        self.save()
        self.insight.observe(self.session, self.suggestion)
        return self.suggestion

    # ------------------------------------------------------------------ export

    def export(self, folder: Path) -> tuple[Path, Path]:
        """The worker's plan and the citizen's plain-language version, as Markdown files (0600; an
        earlier export is never replaced). ``HelpmateError`` in one line when they cannot be written."""
        from helpmate.assistant.export import export_files

        own = folder == self.runtime.settings.home / "exports"
        return export_files(self.session, self.current(), folder, own=own)
