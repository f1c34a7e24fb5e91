"""Leaves the anonymous event of a conversation after each saved turn, without ever slowing or
breaking the turn.

``observe`` runs in the caller's thread only long enough to copy what the event needs (the
suggestion's JSON, the situation's ids and categories, the person's locality); building the event
and writing it happen in one background thread, so a slow or unreachable database costs the worker
nothing. What goes wrong is kept as one line in ``problem`` (the terminal app's status line and
``helpmate ask`` show it); the turn and its reply are never touched.

The conversation's key is ``conversation_key(secret, session id)``: the secret is 32 random bytes
in ``HELPMATE_HOME/insight.secret`` (created on first use, readable by its owner only) and never
goes into the database, so the key cannot be linked back to a session without this machine's files.
"""

from __future__ import annotations

import atexit
import datetime as dt
import os
import queue
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpmate.insight.events import Event, build_event, conversation_key, situation_part

if TYPE_CHECKING:
    from helpmate.insight.store import InsightStore
    from helpmate.settings import Settings

SECRET_FILE = "insight.secret"


def load_secret(home: Path) -> bytes:
    """This installation's secret for conversation keys (made on first use, mode 0600)."""
    path = home / SECRET_FILE
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    home.mkdir(parents=True, exist_ok=True)
    data = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return data


def localities_of(index: Any, text: str, area: str | None) -> frozenset[str]:
    """The localities the person is in, from what was said (the index's gazetteer, as the engine
    reads them); none when the index has no localities."""
    gazetteer = getattr(index, "gazetteer", None)
    if not gazetteer or not area:
        return frozenset()
    return frozenset(gazetteer.named(text, area, residence=True))


def record_localities(index: Any) -> Callable[[str], frozenset[str]] | None:
    """Which localities each record names (computed by the index when it loads)."""
    places, position = getattr(index, "localities", None), getattr(index, "position", None)
    if places is None or position is None:
        return None
    return lambda rid: places[position[rid]] if rid in position else frozenset()


class Recorder:
    """Writes events in a background thread. ``enabled`` follows ``[insight] record``."""

    def __init__(
        self,
        settings: Settings,
        index: Any = None,
        *,
        opener: Callable[[], InsightStore] | None = None,
        today: Callable[[], dt.date] = dt.date.today,
    ) -> None:
        self.settings = settings
        self.enabled = settings.insight.record
        self.index = index
        self.today = today
        self.problem = ""
        """The last failure, in one line (empty while all is well)."""
        self._opener = opener
        self._store: InsightStore | None = None
        self._secret: bytes | None = None
        self._queue: queue.Queue[Callable[[], None] | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ called after a turn

    def observe(self, session: Any, suggestion: Any) -> None:
        """After a saved turn (or a pin or dismissal): queue the conversation's event. Never raises."""
        if not self.enabled:
            return
        try:
            situation = session.situation
            data = suggestion.to_json()
            part = situation_part(situation.to_json())
            places = localities_of(self.index, " ".join(situation.messages), part["area"])
            earlier = [
                rid
                for turn in session.turns
                for rid in [*turn.get("services", []), *turn.get("community", [])]
            ]
            session_id, day = str(session.id), self.today()
        except Exception as exc:  # recording must never cost the worker a turn
            self._fail(exc)
            return
        self._submit(lambda: self._write(session_id, data, part, places, earlier, day))

    def _write(
        self,
        session_id: str,
        data: dict[str, Any],
        part: dict[str, Any],
        places: frozenset[str],
        earlier: list[str],
        day: dt.date,
    ) -> None:
        event = build_event(
            data,
            part,
            key=self.key(session_id),
            day=day,
            localities=places,
            record_localities=record_localities(self.index),
            earlier_shown=earlier,
        )
        self.write(event)
        self.problem = ""

    def key(self, session_id: str) -> str:
        if self._secret is None:
            self._secret = load_secret(self.settings.home)
        return conversation_key(self._secret, session_id)

    def write(self, event: Event) -> None:
        """Write one event now, in this thread (the background thread and ``backfill`` use it)."""
        if self._store is None:
            if self._opener is not None:
                self._store = self._opener()
            else:
                from helpmate.insight.store import open_insight

                self._store = open_insight(self.settings)
        self._store.write(event)

    # ------------------------------------------------------------------ the background thread

    def _submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="insight-recorder", daemon=True)
                self._thread.start()
                atexit.register(self.flush)
        self._queue.put(job)

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is None:
                    return
                job()
            except Exception as exc:
                self._fail(exc)
            finally:
                self._queue.task_done()

    def _fail(self, exc: BaseException) -> None:
        from helpmate.errors import HelpmateError

        what = exc.message if isinstance(exc, HelpmateError) else f"{type(exc).__name__}: {exc}"
        self.problem = "Insight not recorded: " + " ".join(what.split())[:160]

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait (up to ``timeout`` seconds) until every queued event is written; True when done."""
        done = threading.Event()
        if self._thread is None or not self._thread.is_alive():
            return True
        self._queue.put(done.set)
        return done.wait(timeout)

    def close(self) -> None:
        self.flush()
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(None)
        if self._store is not None:
            self._store.close()
            self._store = None
