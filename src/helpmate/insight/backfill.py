"""Back-fill events from the sessions already saved in HELPMATE_HOME/sessions.

Each session's situation goes through the engine again, as ``helpmate ask /resume`` does
(``Engine.plan`` over the saved messages, corrections, pins and dismissals): that gives the needs,
their strength and whether a record fits each one well, which the turns' recorded ids alone do not.
The ids every turn recorded are added as shown. The week is the week of the session's last turn.
The conversation key is the same keyed hash live recording uses, so back-filling twice, or after
live recording, replaces events instead of counting a conversation twice.

The plan is rebuilt over today's library and index, so a record removed since is missing and a
need the engine reads differently now is read the new way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from helpmate.insight.events import Event, build_event, situation_part
from helpmate.insight.recorder import Recorder, localities_of, record_localities

if TYPE_CHECKING:
    from helpmate.assistant.runtime import Runtime
    from helpmate.insight.store import InsightStore


@dataclass
class BackfillReport:
    sessions: int = 0
    written: int = 0
    empty: int = 0
    damaged: list[str] = field(default_factory=list)


def _day(session_turns: list[dict[str, object]], created: str) -> dt.date:
    for stamp in [*(str(t.get("at", "")) for t in reversed(session_turns)), created]:
        try:
            return dt.datetime.fromisoformat(stamp).date()
        except ValueError:
            continue
    return dt.date.today()


def backfill(
    runtime: Runtime,
    store: InsightStore,
    *,
    progress: Callable[[int, int], None] | None = None,
    batch_size: int = 200,
) -> BackfillReport:
    from helpmate.assistant.engine import Engine
    from helpmate.assistant.sessions import SessionStore
    from helpmate.errors import HelpmateError

    sessions = SessionStore(runtime.settings.sessions_dir)
    recorder = Recorder(runtime.settings, runtime.index, opener=lambda: store)
    places = record_localities(runtime.index)
    paths = sorted(runtime.settings.sessions_dir.glob("*.json"))
    report = BackfillReport(sessions=len(paths))
    batch: list[Event] = []
    for done, path in enumerate(paths, start=1):
        try:
            session = sessions.load(path.stem)
        except HelpmateError:
            report.damaged.append(path.name)
            continue
        situation = session.situation
        if not situation.messages and not session.turns:
            report.empty += 1
            continue
        suggestion = Engine(runtime.suggester, situation).plan()  # no language model: the plan is enough
        part = situation_part(situation.to_json())
        batch.append(
            build_event(
                suggestion.to_json(),
                part,
                key=recorder.key(session.id),
                day=_day(session.turns, session.created),
                localities=localities_of(runtime.index, " ".join(situation.messages), part["area"]),
                record_localities=places,
                earlier_shown=[
                    str(rid)
                    for turn in session.turns
                    for rid in [*turn.get("services", []), *turn.get("community", [])]
                ],
            )
        )
        if len(batch) >= batch_size:
            store.write_many(batch)
            report.written += len(batch)
            batch = []
        if progress:
            progress(done, len(paths))
    if batch:
        store.write_many(batch)
        report.written += len(batch)
    return report
