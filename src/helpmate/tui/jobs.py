"""The engine worker: one queue and one thread worker through which every engine change goes.

``Conversation`` is not thread-safe, and the worker keeps typing free, so everything that reads or
changes the engine (loading it, a message, an acknowledgement, a pin, a dismissal, an edit, a new
or resumed session, settings that change the runtime, an index rebuild and the switch to it) is a
job here, run one at a time in the order asked for: messages are answered in the order they were
sent, and a settings change made while a message is worked on waits for it. Only the worker holds
the conversation; the UI thread asks with the methods below and gets the results back as
messages (``Jobs.Answered`` and the rest), with plain data to draw.

The queue is emptied by a Textual thread worker started when work arrives and ending when none is
left (so ``app.workers.wait_for_complete()`` means idle); a lock makes sure only one runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.message import Message

from helpmate.errors import HelpmateError
from helpmate.tui.conversation import AlertView, SessionRow, SituationView, View

if TYPE_CHECKING:
    from textual.app import App

    from helpmate.assistant.runtime import Runtime
    from helpmate.assistant.sessions import SessionStore
    from helpmate.settings import Settings
    from helpmate.tui.conversation import Conversation

Loader = Callable[["Settings"], "Runtime"]


@dataclass
class Library:
    """What the app knows of a loaded runtime (plain data)."""

    records: int
    areas: list[tuple[str, str]]  # (slug, name)
    stale: bool
    started: str  # when the session started
    area: str  # the session's area, by name ("any area" when none)


class Jobs:
    """The queue, the worker and the conversation it owns. Methods are called on the UI thread."""

    # ------------------------------------------------------------------ what comes back

    @dataclass
    class Loaded(Message):
        """A runtime is loaded: the first, or a rebuilt index (``view`` is then what it shows)."""

        library: Library
        view: View | None = None

    @dataclass
    class LoadFailed(Message):
        error: HelpmateError

    @dataclass
    class Progress(Message):
        """A step of a long job: for the status line, and the conversation when ``note``."""

        status: str
        note: str = ""

    @dataclass
    class Token(Message):
        """A piece of a reply a language model is streaming."""

        text: str

    @dataclass
    class Answered(Message):
        reply: str
        view: View

    @dataclass
    class TurnFailed(Message):
        """The turn did not finish; ``alerts`` (the pending ones, when known) are drawn anyway."""

        what: str
        alerts: list[AlertView] | None
        reply: str = ""

    @dataclass
    class Changed(Message):
        """The engine changed (a pin, an edit, a new session...): draw ``view``, say ``notes``."""

        view: View
        notes: list[str] = field(default_factory=list)
        history: list[tuple[str, str]] | None = None
        """When set, the conversation is replaced by these (kind, text) lines (a new session)."""

    @dataclass
    class Exported(Message):
        worker: Path
        citizen: Path

    @dataclass
    class SessionsListed(Message):
        rows: list[SessionRow]

    @dataclass
    class SituationOpened(Message):
        view: SituationView
        needs: list[tuple[str, str]]

    @dataclass
    class Failed(Message):
        what: str
        message: str

    class Finished(Message):
        """One job is over (after its result): one per job asked for."""

    # ------------------------------------------------------------------ the queue

    def __init__(
        self,
        app: App[Any],
        settings: Settings,
        *,
        area: str | None = None,
        loader: Loader | None = None,
        store: SessionStore | None = None,
    ) -> None:
        self.app = app
        self.settings = settings
        self.area = area
        self.loader = loader
        self.store = store
        self.conversation: Conversation | None = None
        """The worker's; the UI thread never reads it (tests do, once the app is idle)."""
        self.problem: HelpmateError | None = None
        self._waiting: list[str] = []  # messages sent while no index could be loaded
        self._jobs: deque[Callable[[], None]] = deque()
        self._lock = threading.Lock()
        self._draining = False

    def _submit(self, job: Callable[[], None]) -> None:
        """Run ``job`` in the worker after every job asked for before it."""
        with self._lock:
            self._jobs.append(job)
            if self._draining:
                return
            self._draining = True
        self.app.run_worker(self._drain, name="engine", group="engine", thread=True)

    def _drain(self) -> None:
        while True:
            with self._lock:
                if not self._jobs:
                    self._draining = False
                    return
                job = self._jobs.popleft()
            try:
                job()
            except Exception as exc:  # each job reports its own failures; this is a last resort
                self._post(self.Failed("Something", self.describe(exc)))
            finally:
                self._post(self.Finished())

    def _post(self, message: Message) -> None:
        self.app.post_message(message)  # thread-safe: it goes through the app's event loop

    def describe(self, exc: BaseException) -> str:
        """A failure in words; a bug's traceback too with HELPMATE_DEBUG=1, for a bug report."""
        if isinstance(exc, HelpmateError):
            return str(exc)
        what = f"{type(exc).__name__}: {exc}"
        if self.settings.debug:
            what += "\n" + "".join(traceback.format_exception(exc))
        return what

    def _on_conversation(
        self, what: str, job: Callable[[Conversation], Message | None]
    ) -> Callable[[], None]:
        """A job over the current conversation (a rebuild may have replaced it since it was asked
        for), posting what ``job`` returns, or what went wrong."""

        def run() -> None:
            conversation = self.conversation
            if conversation is None:
                self._post(self.Failed(what, "helpmate is not ready: the index could not be loaded"))
                return
            try:
                result = job(conversation)
            except Exception as exc:
                self._post(self.Failed(what, self.describe(exc)))
                return
            if result is not None:
                self._post(result)

        return run

    # ------------------------------------------------------------------ loading and rebuilding

    def load(self) -> None:
        self._submit(self._load)

    def _load(self) -> None:
        try:
            conversation = self._conversation(self._runtime())
        except HelpmateError as exc:
            self._failed_to_load(exc)
        except Exception as exc:  # a bug or an environment problem: say it, stay up
            self._failed_to_load(HelpmateError(self.describe(exc)))
        else:
            self._loaded(conversation, first=True)

    def _runtime(self) -> Runtime:
        """The index and the embedding model, warmed up (seconds)."""
        from helpmate.assistant.private import private_dir

        if not self.settings.home.exists():  # 0700: the sessions of what citizens said go here
            private_dir(self.settings.home, tighten=False)
        if self.loader is not None:
            runtime = self.loader(self.settings)
        else:
            from helpmate.assistant.runtime import load_runtime

            runtime = load_runtime(self.settings, warn_stale=False)
        runtime.warm_up()
        return runtime

    def _conversation(self, runtime: Runtime) -> Conversation:
        from helpmate.assistant.sessions import SessionStore
        from helpmate.tui.conversation import Conversation

        if self.store is None:
            self.store = SessionStore(self.settings.sessions_dir)
        old = self.conversation
        return Conversation(runtime, self.store, area=self.area, session=old.session if old else None)

    def _failed_to_load(self, exc: HelpmateError) -> None:
        self.problem = exc
        self._post(self.LoadFailed(exc))

    def _loaded(self, conversation: Conversation, *, first: bool) -> None:
        from helpmate.tui.conversation import started

        runtime = conversation.runtime
        library = Library(
            records=len(runtime.index.records),
            areas=[(a.slug, a.name) for a in runtime.index.areas],
            stale=runtime.stale,
            started=started(conversation.session),
            area=conversation.area_name(),
        )
        view = None if first else conversation.view()
        self.conversation, self.problem = conversation, None  # later jobs use the new runtime
        self._post(self.Loaded(library, view))
        waiting, self._waiting = self._waiting, []
        for text in waiting:
            self._turn(text)

    def rebuild(self) -> None:
        """``helpmate kb index`` in a subprocess, then the new index is loaded and the current
        session goes on over it; messages sent meanwhile are answered after it, in order."""
        self._submit(self._rebuild)

    def _rebuild(self) -> None:
        self._post(self.Progress("Rebuilding the index (helpmate kb index)..."))
        try:
            failed = run_index(self.settings, damaged=self._damaged())
            if failed:
                self._post(self.Failed("Rebuilding the index", failed))
                return
            self._post(self.Progress("Index rebuilt; loading it...", note="Index rebuilt; loading it."))
            conversation = self._conversation(self._runtime())
        except Exception as exc:  # whatever it is, say it and stay up
            if isinstance(exc, HelpmateError) and self.conversation is None:
                self._failed_to_load(exc)
            else:
                self._post(self.Failed("Rebuilding the index", self.describe(exc)))
            return
        if self.conversation is not None:
            self._post(self.Progress("", note="This session goes on over the rebuilt index."))
        self._loaded(conversation, first=self.conversation is None)

    def _damaged(self) -> bool:
        # The engine's errors are to become types (issue 11); until then the message says it.
        return self.problem is not None and "damaged" in self.problem.message

    # ------------------------------------------------------------------ turns

    def turn(self, text: str) -> None:
        self._submit(lambda: self._turn(text))

    def _turn(self, text: str) -> None:
        """Whatever fails, the alerts raised are drawn (and were saved)."""
        conversation = self.conversation
        if conversation is None:  # the index could not be loaded: answered after a rebuild
            self._waiting.append(text)
            return
        try:
            turn = conversation.turn(text, on_token=lambda token: self._post(self.Token(token)))
            if turn.error:
                reply = conversation.readable(turn.reply)
                self._post(self.TurnFailed(turn.error, self._pending(conversation), reply))
                return
            view = conversation.view()
        except Exception as exc:
            self._post(self.TurnFailed(self.describe(exc), self._pending(conversation)))
            return
        self._post(self.Answered(conversation.readable(turn.reply), view))

    @staticmethod
    def _pending(conversation: Conversation) -> list[AlertView] | None:
        try:
            return conversation.pending_alerts()
        except Exception:
            return None

    # ------------------------------------------------------------------ the other engine changes

    def acknowledge(self, keys: list[str]) -> None:
        def job(conversation: Conversation) -> Message:
            done = conversation.acknowledge(keys)
            count = "alert" if len(done) == 1 else "alerts"
            kinds = ", ".join(alert.label for alert in done)
            note = f"Safeguarding {count} acknowledged (saved in the session): {kinds}."
            return self.Changed(conversation.view(), [note] if done else [])

        self._submit(self._on_conversation("Acknowledging", job))

    def pin(self, record_id: str, name: str) -> None:
        def job(conversation: Conversation) -> Message:
            conversation.pin(record_id)
            return self.Changed(conversation.view(), [f"Pinned {name} into the plan."])

        self._submit(self._on_conversation("Pinning", job))

    def dismiss(self, record_id: str, name: str, reason: str) -> None:
        def job(conversation: Conversation) -> Message:
            conversation.dismiss(record_id, reason)
            return self.Changed(conversation.view(), [f"Dismissed {name}: {reason}"])

        self._submit(self._on_conversation("Dismissing", job))

    def open_situation(self) -> None:
        def job(conversation: Conversation) -> Message:
            return self.SituationOpened(conversation.situation_view(), conversation.all_needs())

        self._submit(self._on_conversation("Opening the situation", job))

    def edit(self, changes: dict[str, Any], names: list[str]) -> None:
        def job(conversation: Conversation) -> Message:
            for name, values in changes.items():
                conversation.edit(name, values)
            return self.Changed(conversation.view(), ["Situation corrected: " + ", ".join(names) + "."])

        self._submit(self._on_conversation("Saving the situation", job))

    def new_session(self, welcome: str) -> None:
        def job(conversation: Conversation) -> Message:
            conversation.new_session()
            return self.Changed(conversation.view(), history=[("note", "New session. " + welcome)])

        self._submit(self._on_conversation("Starting a new session", job))

    def list_sessions(self) -> None:
        def job(conversation: Conversation) -> Message:
            return self.SessionsListed(conversation.session_rows())

        self._submit(self._on_conversation("Listing sessions", job))

    def resume(self, session_id: str) -> None:
        def job(conversation: Conversation) -> Message:
            from helpmate.tui.conversation import started

            session = conversation.resume(session_id)
            turns = len(session.turns)
            history = [("note", f"Resumed the session of {started(session)} ({turns} turn(s)).")]
            for turn in session.turns:
                if turn.get("message"):
                    history.append(("worker", str(turn["message"])))
                history.append(("reply", conversation.readable(str(turn.get("reply", "")))))
            return self.Changed(conversation.view(), history=history)

        self._submit(self._on_conversation("Resuming", job))

    def export(self, folder: Path) -> None:
        def job(conversation: Conversation) -> Message:
            return self.Exported(*conversation.export(folder))

        self._submit(self._on_conversation("Exporting", job))

    def apply_settings(self, settings: Settings) -> None:
        """New settings: loading and rebuilding use them from now on, and the conversation gets
        its area and, when the language model changed, a new engine, after the jobs before it."""

        def job() -> None:
            self.settings = settings
            conversation = self.conversation
            if conversation is None:
                return
            try:
                restarted = conversation.apply_settings(settings)
                view = conversation.view()
            except Exception as exc:
                self._post(self.Failed("Applying the settings", self.describe(exc)))
                return
            note = ["The language model settings apply from the next message."] if restarted else []
            self._post(self.Changed(view, note))

        self._submit(job)


def run_index(settings: Settings, *, damaged: bool) -> str:
    """Runs ``helpmate kb index`` (``--rebuild`` for a damaged index) over these settings' library
    and home; returns what went wrong, or "" when it worked."""
    command = [sys.executable, "-m", "helpmate.cli.main", "kb", "index"]
    if damaged:
        command.append("--rebuild")
    env = dict(os.environ)
    env.update(
        HELPMATE_HOME=str(settings.home),
        HELPMATE_KNOWLEDGE=str(settings.knowledge),
        HELPMATE_EMBEDDER=settings.embedder,
        HELPMATE_EMBEDDER_BACKEND=settings.embedder_backend,
        HELPMATE_MODELS_DIR=str(settings.models_path),
    )
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode == 0:
        return ""
    last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
    return last[0]
