"""The helpmate terminal app: one main screen, modals over it, every engine call in a thread worker.

First paint comes before anything heavy: the runtime (the index, the embedding model, torch:
about 5 s on two cores) loads in a worker after the screen is drawn, and whatever the worker
types meanwhile is answered once it is ready. A missing or damaged index, an empty library, a
language model that is down, or any failure inside a turn is shown in words on the screen; the
app stays up.

``make_app`` builds the app for the CLI, ``helpmate serve`` and the tests alike.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import traceback
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header

from helpmate.errors import HelpmateError
from helpmate.settings import Settings, config_path
from helpmate.tui.config import read_config
from helpmate.tui.screens import (
    DismissScreen,
    EditSituationScreen,
    HelpScreen,
    RecordScreen,
    SessionRow,
    SessionsScreen,
    SettingsScreen,
    SettingsValues,
)
from helpmate.tui.widgets import AlertBanner, ChatLog, MessageInput, PlanColumn, SituationPanel, StatusLine

if TYPE_CHECKING:
    from helpmate.assistant.runtime import Runtime
    from helpmate.assistant.sessions import Session, SessionStore
    from helpmate.tui.conversation import AlertView, Conversation, Group, SituationView

WELCOME = (
    "Tell me about the person: what is going on, what matters to them, what they enjoy. "
    "Safeguarding alerts appear at the top and stay until you acknowledge them (ctrl+g). "
    "F1 lists every key."
)
ENV_SETTINGS = {
    "area": "HELPMATE_AREA",
    "provider": "HELPMATE_LLM__PROVIDER",
    "model": "HELPMATE_LLM__MODEL",
    "redact": "HELPMATE_LLM__REDACT",
}


class View:
    """Everything the main screen shows after an engine call, computed in the worker thread."""

    def __init__(self, conversation: Conversation) -> None:
        suggestion = conversation.current()
        self.groups: list[Group] = conversation.groups(suggestion)
        self.why = {
            hit.record.id: suggestion.why(hit)  # type: ignore[arg-type]
            for group in self.groups
            for hit in group.services + group.community
        }
        self.pinned = set(conversation.pinned)
        self.situation: SituationView = conversation.situation_view()
        self.alerts: list[AlertView] = conversation.pending_alerts()
        self.session_id = conversation.session.id


class MainScreen(Screen[None]):
    """Alerts, chat and situation, the plan in two columns, the status line and the message line."""

    # Nothing scrolls the screen itself: on a small terminal the panels shrink and the alert, the
    # status and the message line stay in view.
    DEFAULT_CSS = """
    MainScreen { overflow: hidden hidden; }
    MainScreen #top { height: 2fr; min-height: 0; }
    MainScreen #chat-box { width: 3fr; border: round $primary; border-title-align: left; }
    MainScreen #chat-box:focus-within { border: round $accent; }
    MainScreen SituationPanel { width: 2fr; min-width: 20; }
    MainScreen #plan { height: 3fr; min-height: 0; }
    MainScreen PlanColumn { width: 1fr; }
    MainScreen MessageInput { height: 3; }
    """

    # A browser keeps ctrl+n and ctrl+t for itself: helpmate serve starts its apps with
    # HELPMATE_IN_BROWSER=1, and there the footer shows f2 and f3 (both keys work everywhere).
    _IN_BROWSER = os.environ.get("HELPMATE_IN_BROWSER") == "1"
    _NEW, _SETTINGS = ("f2,ctrl+n", "f3,ctrl+t") if _IN_BROWSER else ("ctrl+n,f2", "ctrl+t,f3")
    BINDINGS = [
        # The plan's keys come first so the footer shows them when a column has focus.
        Binding("enter", "detail", "Details", id="plan.detail"),
        Binding("p", "pin", "Pin", id="plan.pin"),
        Binding("x", "dismiss_record", "Dismiss", id="plan.dismiss"),
        Binding("c", "copy", "Copy contact", id="plan.copy"),
        Binding("f1", "help", "Help", id="main.help", priority=True),
        Binding("ctrl+g", "acknowledge", "Acknowledge alert", id="main.acknowledge", priority=True),
        Binding("f4", "focus_alerts", "Alert routes", id="main.alerts", priority=True),
        Binding("ctrl+s", "export", "Export", id="main.export", priority=True),
        Binding("ctrl+r", "edit_situation", "Edit situation", id="main.edit", priority=True),
        Binding(_NEW, "new_session", "New", id="main.new", priority=True),
        Binding("ctrl+o", "sessions", "Sessions", id="main.sessions", priority=True),
        Binding("f8", "insight", "Insight", id="main.insight", priority=True),
        Binding(_SETTINGS, "settings", "Settings", id="main.settings", priority=True),
        Binding("ctrl+l", "focus_plan", "Plan", id="main.plan", priority=True),
        Binding("ctrl+b", "rebuild", "Rebuild index", id="main.rebuild", priority=True),
        Binding("escape", "focus_input", "Message line", id="main.input", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Header(icon="")
        yield AlertBanner(id="alerts")
        with Horizontal(id="top"):
            with Vertical(id="chat-box"):
                yield ChatLog(id="chat")
            yield SituationPanel(id="situation")
        with Horizontal(id="plan"):
            yield PlanColumn("Standard services", "service", id="services")
            yield PlanColumn("Community to pull in", "community", id="community")
        yield StatusLine(id="status")
        yield MessageInput(placeholder="Describe the situation and press enter", id="message")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#chat-box").border_title = "Conversation"
        self.query_one(ChatLog).add(WELCOME, "note")
        self.query_one(PlanColumn).show([], {}, empty="Suggestions appear here, grouped by need.")
        self.query_one("#community", PlanColumn).show([], {}, empty="Community resources appear here.")
        self.query_one(MessageInput).focus()
        self._app.started()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        app = self.app
        if not isinstance(app, HelpmateApp):
            return True
        if action in ("pin", "dismiss_record", "copy", "detail"):
            return isinstance(self.focused, PlanColumn)
        if action == "rebuild":
            return app.can_rebuild
        if action in ("acknowledge", "focus_alerts"):
            return True if app.has_alerts else None
        return True

    def plan_record_id(self) -> str | None:
        focused = self.focused
        return focused.record_id if isinstance(focused, PlanColumn) else None

    # actions are the app's: the screen forwards them
    def action_help(self) -> None:
        self._app.show_help()

    def action_acknowledge(self) -> None:
        self._app.acknowledge()

    def action_export(self) -> None:
        self._app.export()

    def action_edit_situation(self) -> None:
        self._app.edit_situation()

    def action_new_session(self) -> None:
        self._app.new_session()

    def action_sessions(self) -> None:
        self._app.list_sessions()

    def action_settings(self) -> None:
        self._app.open_settings()

    def action_rebuild(self) -> None:
        self._app.rebuild()

    def action_insight(self) -> None:
        from helpmate.tui.insight import InsightScreen

        area = self._app.conversation.situation.area if self._app.conversation else None
        self.app.push_screen(
            InsightScreen(self._app.settings, area or self._app.area or self._app.settings.area)
        )

    def action_focus_plan(self) -> None:
        self.query_one("#services", PlanColumn).focus()

    def action_focus_alerts(self) -> None:
        self.query_one("#alert-routes").focus()

    def action_focus_input(self) -> None:
        self.query_one(MessageInput).focus()

    def action_detail(self) -> None:
        record_id = self.plan_record_id()
        if record_id:
            self._app.show_record(record_id)

    def action_pin(self) -> None:
        record_id = self.plan_record_id()
        if record_id:
            self._app.pin(record_id)

    def action_dismiss_record(self) -> None:
        record_id = self.plan_record_id()
        if record_id:
            self._app.ask_dismiss(record_id)

    def action_copy(self) -> None:
        record_id = self.plan_record_id()
        if record_id:
            self._app.copy_contact(record_id)

    @property
    def _app(self) -> HelpmateApp:
        assert isinstance(self.app, HelpmateApp)
        return self.app

    @on(PlanColumn.Chosen)
    def _chosen(self, event: PlanColumn.Chosen) -> None:
        self._app.show_record(event.record_id)

    @on(MessageInput.Submitted, "#message")
    def _submitted(self, event: MessageInput.Submitted) -> None:
        text = event.value  # the input cleared itself already
        if text.strip():
            self._app.send(text)


class HelpmateApp(App[None]):
    """The app. ``loader`` builds the runtime from settings (the real one by default)."""

    TITLE = "helpmate"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        settings: Settings,
        *,
        area: str | None = None,
        loader: Callable[[Settings], Runtime] | None = None,
        store: SessionStore | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.area = area
        self.loader = loader
        self.store = store
        self.conversation: Conversation | None = None
        self.problem: HelpmateError | None = None
        self.can_rebuild = False
        self.has_alerts = False
        self.busy = 0
        self.view: View | None = None
        """What the main screen shows now (the record detail reads its reasons from it)."""
        self._jobs: deque[Callable[[], None]] = deque()
        self._jobs_lock = threading.Lock()
        self._draining = False
        self._waiting: list[str] = []
        config = read_config_safely()
        tui = config.get("tui", {}) if isinstance(config.get("tui"), dict) else {}
        self.cursor_blink = bool(tui.get("cursor_blink", True))
        theme = tui.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme

    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    def started(self) -> None:
        """The main screen is mounted: say what is happening, then load after the first frame."""
        self.main_screen.query_one(MessageInput).cursor_blink = self.cursor_blink
        self.set_status("Loading the library index and model...", busy=True)

    def on_ready(self) -> None:
        # Only once the first frame is on the screen: loading the runtime imports torch and Chroma
        # in a thread (seconds), and that thread would otherwise compete with the first paint.
        self.load()

    # ------------------------------------------------------------------ status

    @property
    def main_screen(self) -> MainScreen:
        screen = self.get_screen_stack_main()
        return screen

    def get_screen_stack_main(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise RuntimeError("the main screen is not mounted")

    def set_status(self, text: str, *, busy: bool = False, problem: bool = False) -> None:
        status = self.main_screen.query_one(StatusLine)
        status.set_class(busy, "-busy")
        status.set_class(problem, "-problem")
        status.update(Text(("Busy: " if busy else "") + text))

    def _begin(self, what: str) -> None:
        self.busy += 1
        self.set_status(what, busy=True)

    def _end(self, text: str | None = None, *, problem: bool = False) -> None:
        self.busy = max(0, self.busy - 1)
        if text is not None or not self.busy:
            self.set_status(text or self.ready_text(), busy=bool(self.busy), problem=problem)

    def ready_text(self) -> str:
        if self.conversation is None:
            return "Not ready: " + (str(self.problem) if self.problem else "still loading")
        runtime = self.conversation.runtime
        area = self.conversation.situation.area or "any area"
        problem = self.conversation.insight.problem  # recording failed: one line, the turn went on
        return f"Ready: {len(runtime.index.records)} records in the library, {area}." + (
            f" {problem}" if problem else ""
        )

    def problem_to_chat(self, text: str) -> None:
        self.main_screen.query_one(ChatLog).add(text, "problem")

    def describe(self, exc: BaseException) -> str:
        """A failure in words; a bug's traceback too with HELPMATE_DEBUG=1, for a bug report."""
        if isinstance(exc, HelpmateError):
            return str(exc)
        what = f"{type(exc).__name__}: {exc}"
        if self.settings.debug:
            what += "\n" + "".join(traceback.format_exception(exc))
        return what

    # ------------------------------------------------------------------ the engine queue

    def _enqueue(self, job: Callable[[], None]) -> None:
        """Run ``job`` in the engine worker after every job asked for before it (first in, first
        out: messages are answered in the order they were sent). Called on the UI thread; the
        input is never blocked, and one thread worker runs while there is work."""
        with self._jobs_lock:
            self._jobs.append(job)
            if self._draining:
                return
            self._draining = True
        self._drain()

    @work(thread=True, group="engine")
    def _drain(self) -> None:
        while True:
            with self._jobs_lock:
                if not self._jobs:
                    self._draining = False
                    return
                job = self._jobs.popleft()
            try:
                job()
            except Exception as exc:  # each job reports its own failures; this is a last resort
                what = self.describe(exc)
                self.call_from_thread(self.problem_to_chat, f"Something went wrong: {what}")
                self.call_from_thread(self._end, f"Failed: {what.splitlines()[0]}", problem=True)

    # ------------------------------------------------------------------ loading

    @work(thread=True, exclusive=True, group="load")
    def load(self) -> None:
        try:
            conversation = self.build_conversation(self.load_runtime())
        except HelpmateError as exc:
            self.call_from_thread(self.load_failed, exc)
        except Exception as exc:  # a bug or an environment problem: say it, stay up
            self.call_from_thread(self.load_failed, HelpmateError(self.describe(exc)))
        else:
            self.call_from_thread(self.loaded, conversation)

    def load_runtime(self) -> Runtime:
        """The index and the embedding model, warmed up (seconds: in a worker)."""
        if self.loader is not None:
            runtime = self.loader(self.settings)
        else:
            from helpmate.assistant.runtime import load_runtime

            runtime = load_runtime(self.settings, warn_stale=False)
        runtime.warm_up()
        return runtime

    def build_conversation(self, runtime: Runtime, session: Session | None = None) -> Conversation:
        from helpmate.assistant.sessions import SessionStore
        from helpmate.tui.conversation import Conversation

        if self.store is None:
            self.store = SessionStore(self.settings.sessions_dir)
        return Conversation(runtime, self.store, area=self.area, session=session)

    def load_failed(self, exc: HelpmateError) -> None:
        self.problem = exc
        self.can_rebuild = True
        self.main_screen.refresh_bindings()
        what = exc.hint or "run 'helpmate kb index'"
        self.problem_to_chat(
            f"helpmate cannot suggest anything yet: {exc.message}. To fix it, {what} in a shell, "
            "or press ctrl+b to rebuild the index from here."
        )
        self.set_status(f"Not ready: {exc.message} (ctrl+b rebuilds the index)", problem=True)

    def loaded(self, conversation: Conversation, view: View | None = None) -> None:
        """A conversation is ready: the first one, or the same session over a rebuilt index
        (then ``view`` is what it shows now)."""
        self.conversation = conversation
        self.problem = None
        runtime = conversation.runtime
        self.can_rebuild = False
        self.sub_title = conversation.session.id
        if view is not None:
            self.show_view(view)
        notes = []
        if not runtime.index.records:
            notes.append(
                "The library has no records yet, so there is nothing to suggest. Add records (or "
                "'helpmate kb import'), then run 'helpmate kb index' or press ctrl+b."
            )
            self.can_rebuild = True
        if runtime.stale:
            notes.append(
                "The library changed since the index was built: press ctrl+b to rebuild it "
                "(or run 'helpmate kb index')."
            )
            self.can_rebuild = True
        for note in notes:
            self.problem_to_chat(note)
        self.main_screen.refresh_bindings()
        if not self.busy:
            self.set_status(self.ready_text(), problem=bool(notes))
        waiting, self._waiting = self._waiting, []
        for text in waiting:
            self.run_turn(text)

    @work(thread=True, exclusive=True, group="load")
    def rebuild(self) -> None:
        """``helpmate kb index`` in a subprocess, then the new index is loaded and the current
        session goes on over it (messages sent meanwhile are answered, in order)."""
        self.call_from_thread(self._begin, "Rebuilding the index (helpmate kb index)...")
        try:
            failed = self._run_index()
            if failed:
                self.call_from_thread(self.problem_to_chat, f"Rebuilding the index failed: {failed}")
                self.call_from_thread(self._end, f"Rebuild failed: {failed}", problem=True)
                return
            self.call_from_thread(
                self.main_screen.query_one(ChatLog).add, "Index rebuilt; loading it.", "note"
            )
            self.call_from_thread(self.set_status, "Index rebuilt; loading it...", busy=True)
            runtime = self.load_runtime()
        except Exception as exc:  # whatever it is, say it and stay up
            if isinstance(exc, HelpmateError) and self.conversation is None:
                self.call_from_thread(self._end)
                self.call_from_thread(self.load_failed, exc)
                return
            what = self.describe(exc)
            self.call_from_thread(self.problem_to_chat, f"Rebuilding the index failed: {what}")
            self.call_from_thread(self._end, f"Rebuild failed: {what.splitlines()[0]}", problem=True)
            return
        self.call_from_thread(self._enqueue, lambda: self._switch_runtime(runtime))

    def _run_index(self) -> str:
        """Runs ``helpmate kb index``; returns what went wrong, or "" when it worked."""
        command = [sys.executable, "-m", "helpmate.cli.main", "kb", "index"]
        if self.problem is not None and "damaged" in self.problem.message:
            command.append("--rebuild")
        env = dict(os.environ)
        env.update(
            HELPMATE_HOME=str(self.settings.home),
            HELPMATE_KNOWLEDGE=str(self.settings.knowledge),
            HELPMATE_EMBEDDER=self.settings.embedder,
        )
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if result.returncode == 0:
            return ""
        last = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        return last[0]

    def _switch_runtime(self, runtime: Runtime) -> None:
        """In the engine worker, between two jobs: the current session over the new runtime."""
        try:
            old = self.conversation
            conversation = self.build_conversation(runtime, old.session if old else None)
            view = View(conversation) if old else None
        except Exception as exc:
            what = self.describe(exc)
            self.call_from_thread(self.problem_to_chat, f"Loading the rebuilt index failed: {what}")
            self.call_from_thread(self._end, f"Rebuild failed: {what.splitlines()[0]}", problem=True)
            return
        self.conversation = conversation  # jobs after this one use the new runtime
        if old is not None:
            self.call_from_thread(
                self.main_screen.query_one(ChatLog).add,
                f"Session {conversation.session.id} goes on over the rebuilt index.",
                "note",
            )
        self.call_from_thread(self.loaded, conversation, view)
        self.call_from_thread(self._end)

    # ------------------------------------------------------------------ turns

    def send(self, text: str) -> None:
        chat = self.main_screen.query_one(ChatLog)
        chat.add(" ".join(text.split()), "worker")
        if self.conversation is None:
            self._waiting.append(text)
            if self.problem is None:
                chat.add("(helpmate is still loading; it will answer this as soon as it is ready)", "note")
            else:
                chat.add("(helpmate cannot answer until the index is fixed: ctrl+b rebuilds it)", "note")
            return
        self.run_turn(text)

    def run_turn(self, text: str) -> None:
        self._begin("Working on it: safeguarding, needs, suggestions... (you can keep typing)")
        self._enqueue(lambda: self._turn(text))

    def _turn(self, text: str) -> None:
        """In the engine worker. Whatever fails, the alerts raised are drawn (and were saved)."""
        conversation = self.conversation
        assert conversation is not None
        chat = self.main_screen.query_one(ChatLog)
        try:
            turn = conversation.turn(text, on_token=lambda token: self.call_from_thread(chat.token, token))
            if turn.error:
                self.call_from_thread(self.turn_failed, turn.error, self._pending(conversation), turn.reply)
                return
            view = View(conversation)
        except Exception as exc:
            self.call_from_thread(self.turn_failed, self.describe(exc), self._pending(conversation))
            return
        self.call_from_thread(self.show_turn, turn.reply, view)

    @staticmethod
    def _pending(conversation: Conversation) -> list[AlertView] | None:
        try:
            return conversation.pending_alerts()
        except Exception:
            return None

    def show_turn(self, reply: str, view: View) -> None:
        self.main_screen.query_one(ChatLog).finish(reply)
        self.show_view(view)
        self._end()

    def turn_failed(self, what: str, alerts: list[AlertView] | None, reply: str = "") -> None:
        """The turn did not finish; ``alerts`` (the pending ones, when known) are drawn anyway."""
        main = self.main_screen
        if alerts is not None:
            self.has_alerts = bool(alerts)
            main.query_one(AlertBanner).show(alerts)
            main.refresh_bindings()
        chat = main.query_one(ChatLog)
        chat.finish(reply)
        chat.add(
            f"Something went wrong while working on that message ({what}). The conversation so far "
            "is kept and saved; try again, or press ctrl+s to export what you have.",
            "problem",
        )
        self._end(f"Last message failed: {what.splitlines()[0]}", problem=True)

    def show_view(self, view: View) -> None:
        main = self.main_screen
        self.view = view
        self.has_alerts = bool(view.alerts)
        main.query_one(AlertBanner).show(view.alerts)
        main.query_one(SituationPanel).show(view.situation)
        empty = (
            "Nothing in the library matches yet."
            if view.situation.needs
            else "Suggestions appear here, grouped by need."
        )
        main.query_one("#services", PlanColumn).show(view.groups, view.why, view.pinned, empty=empty)
        main.query_one("#community", PlanColumn).show(view.groups, view.why, view.pinned, empty=empty)
        self.sub_title = view.session_id
        main.refresh_bindings()

    # ------------------------------------------------------------------ engine actions (workers)

    def _conversation_or_warn(self) -> Conversation | None:
        if self.conversation is None:
            self.notify(
                "Not ready yet: " + (str(self.problem) if self.problem else "still loading"),
                severity="warning",
            )
        return self.conversation

    def _call(self, what: str, job: Callable[[Conversation], Any], done: Callable[[Any], None]) -> None:
        """Run ``job`` on the conversation in a worker, then ``done`` with its result on the UI thread."""
        if self._conversation_or_warn() is None:
            return
        self._begin(what)

        def run() -> None:
            conversation = self.conversation  # now, not when asked: a rebuild may have replaced it
            assert conversation is not None
            try:
                result = job(conversation)
            except Exception as exc:
                message = self.describe(exc)
                self.call_from_thread(self.problem_to_chat, f"{what} failed: {message}")
                self.call_from_thread(self._end, f"{what} failed: {message.splitlines()[0]}", problem=True)
                return
            self.call_from_thread(done, result)
            self.call_from_thread(self._end)

        self._enqueue(run)

    def acknowledge(self) -> None:
        """Acknowledges the alerts the banner shows now, and only those: one raised by a message
        still being worked on stays, to be seen first."""
        keys = self.main_screen.query_one(AlertBanner).displayed_keys()
        if not keys:
            return

        def job(conversation: Conversation) -> tuple[list[str], View]:
            return conversation.acknowledge(keys), View(conversation)

        def done(result: tuple[list[str], View]) -> None:
            acknowledged, view = result
            self.show_view(view)
            kinds = ", ".join(key.split(":")[0].replace("-", " ") for key in acknowledged)
            count = "alert" if len(acknowledged) == 1 else "alerts"
            self.main_screen.query_one(ChatLog).add(
                f"Safeguarding {count} acknowledged (saved in the session): {kinds}.", "note"
            )

        self._call("Acknowledging", job, done)

    def pin(self, record_id: str) -> None:
        def job(conversation: Conversation) -> View:
            conversation.pin(record_id)
            return View(conversation)

        def done(view: View) -> None:
            self.show_view(view)
            self.notify("Pinned into the plan.")

        self._call("Pinning", job, done)

    def ask_dismiss(self, record_id: str) -> None:
        conversation = self._conversation_or_warn()
        record = conversation.record(record_id) if conversation else None
        if record is None:
            return

        def chosen(reason: str | None) -> None:
            if reason:
                self.dismiss_record(record_id, reason)

        self.push_screen(DismissScreen(record.name), chosen)

    def dismiss_record(self, record_id: str, reason: str) -> None:
        def job(conversation: Conversation) -> View:
            conversation.dismiss(record_id, reason)
            return View(conversation)

        def done(view: View) -> None:
            self.show_view(view)
            self.main_screen.query_one(ChatLog).add(f"Dismissed {record_id}: {reason}", "note")

        self._call("Dismissing", job, done)

    def show_record(self, record_id: str) -> None:
        from helpmate.tui.conversation import contact_text

        conversation = self._conversation_or_warn()
        if conversation is None:
            return
        record = conversation.record(record_id)  # an in-memory lookup: no retrieval, no model
        if record is None:
            self.notify(f"No record {record_id} in the library.", severity="warning")
            return
        # The reasons the plan shows, under every need and for pinned records too.
        reason = self.view.why.get(record_id, "") if self.view is not None else ""

        def chosen(choice: str | None) -> None:
            if choice == "pin":
                self.pin(record_id)
            elif choice == "dismiss":
                self.ask_dismiss(record_id)

        from helpmate.knowledge.notices import current_notice

        notice = current_notice(self.settings.knowledge, record_id)  # a stat, and a parse when it changed
        self.push_screen(
            RecordScreen(record, reason, contact_text(record), notice.line() if notice else ""), chosen
        )

    def copy_contact(self, record_id: str) -> None:
        from helpmate.tui.conversation import contact_text

        conversation = self._conversation_or_warn()
        record = conversation.record(record_id) if conversation else None
        if record is not None:
            self.copy_to_clipboard(contact_text(record))
            self.notify(f"Contact details of {record.name} copied.", title="Copied")

    def export(self) -> None:
        folder = self.settings.home / "exports"

        def done(paths: tuple[Path, Path]) -> None:
            worker, citizen = paths
            self.main_screen.query_one(ChatLog).add(
                f"Exported the worker's plan to {worker}\nand the citizen's version to {citizen}", "note"
            )
            self.notify(f"{worker}\n{citizen}", title="Exported", timeout=10)

        self._call("Exporting", lambda conversation: conversation.export(folder), done)

    def edit_situation(self) -> None:
        conversation = self._conversation_or_warn()
        if conversation is None:
            return

        def job(conversation: Conversation) -> tuple[Any, list[tuple[str, str]]]:
            return conversation.situation_view(), conversation.all_needs()

        def opened(result: tuple[SituationView, list[tuple[str, str]]]) -> None:
            view, needs = result
            self.push_screen(EditSituationScreen(view, needs), self.apply_edits)

        self._call("Opening the situation", job, opened)

    def apply_edits(self, changes: dict[str, Any] | None) -> None:
        if not changes:
            return

        def job(conversation: Conversation) -> View:
            for name, values in changes.items():
                conversation.edit(name, values)
            return View(conversation)

        def done(view: View) -> None:
            self.show_view(view)
            self.main_screen.query_one(ChatLog).add(
                "Situation corrected: " + ", ".join(name.replace("_", " ") for name in changes) + ".", "note"
            )

        self._call("Saving the situation", job, done)

    def new_session(self) -> None:
        def done(view: View) -> None:
            chat = self.main_screen.query_one(ChatLog)
            chat.clear()
            chat.add(f"New session {view.session_id}. " + WELCOME, "note")
            self.show_view(view)

        def job(conversation: Conversation) -> View:
            conversation.new_session()
            return View(conversation)

        self._call("Starting a new session", job, done)

    def list_sessions(self) -> None:
        def job(conversation: Conversation) -> list[SessionRow]:
            return [
                SessionRow(s.id, len(s.turns), s.title, len(s.situation.alerts))
                for s in conversation.sessions()[:50]
            ]

        def chosen(session_id: str | None) -> None:
            if session_id:
                self.resume(session_id)

        def show(rows: list[SessionRow]) -> None:
            self.push_screen(SessionsScreen(rows), chosen)

        self._call("Listing sessions", job, show)

    def resume(self, session_id: str) -> None:
        def job(conversation: Conversation) -> tuple[list[dict[str, Any]], View]:
            session = conversation.resume(session_id)
            return list(session.turns), View(conversation)

        def done(result: tuple[list[dict[str, Any]], View]) -> None:
            turns, view = result
            chat = self.main_screen.query_one(ChatLog)
            chat.clear()
            chat.add(f"Resumed session {session_id} ({len(turns)} turn(s)).", "note")
            for turn in turns:
                if turn.get("message"):
                    chat.add(turn["message"], "worker")
                chat.add(turn.get("reply", ""), "reply")
            self.show_view(view)

        self._call("Resuming", job, done)

    # ------------------------------------------------------------------ help and settings

    def show_help(self) -> None:
        main = self.main_screen
        rows = [
            (binding.key.replace(",", " / "), binding.description)
            for binding in main.BINDINGS
            if isinstance(binding, Binding) and binding.id and binding.id.startswith("main.")
        ]
        rows.append(("ctrl+q", "Quit (the session is already saved)"))
        plan = [
            ("enter", "Show the whole record (contact, referral, eligibility, review dates)"),
            ("p", "Pin the suggestion into the plan"),
            ("x", "Dismiss it, with a reason (saved in the session)"),
            ("c", "Copy its contact details"),
            ("up / down", "Move between suggestions"),
        ]
        detail = [
            (b.key.replace(",", " / "), b.description)
            for b in RecordScreen.BINDINGS
            if isinstance(b, Binding)
        ]
        forms = [
            ("ctrl+s", "Save (settings, the situation editor)"),
            ("enter", "Choose (a session, a reason to dismiss, tick or untick a need)"),
            ("escape", "Cancel"),
        ]
        self.push_screen(
            HelpScreen(
                [
                    ("Everywhere", rows),
                    ("In the plan's columns", plan),
                    ("In a record", detail),
                    ("In lists and forms", forms),
                ]
            )
        )

    def open_settings(self) -> None:
        areas: list[tuple[str, str]] = []
        if self.conversation is not None:
            areas = [(a.slug, a.name) for a in self.conversation.runtime.index.areas]
        llm = self.settings.llm
        values = SettingsValues(self.settings.area, llm.provider, llm.model, llm.redact, self.theme)
        overridden = [env for env in ENV_SETTINGS.values() if os.environ.get(env)]
        themes = sorted(self.available_themes)
        self.push_screen(
            SettingsScreen(values, areas, themes, str(config_path()), overridden), self.save_settings
        )

    def save_settings(self, values: SettingsValues | None) -> None:
        if values is None:
            return
        from helpmate.tui.config import save_settings

        path = config_path()
        try:
            save_settings(
                path,
                area=values.area,
                provider=values.provider,
                model=values.model,
                redact=values.redact,
                theme=values.theme,
            )
        except (OSError, ValueError) as exc:
            self.problem_to_chat(f"Could not save the settings to {path}: {exc}")
            return
        self.theme = values.theme
        llm_changed = (values.provider, values.model, values.redact) != (
            self.settings.llm.provider,
            self.settings.llm.model,
            self.settings.llm.redact,
        )
        llm = self.settings.llm.model_copy(
            update={"provider": values.provider, "model": values.model, "redact": values.redact}
        )
        self.settings = self.settings.model_copy(update={"area": values.area, "llm": llm})
        self.main_screen.query_one(ChatLog).add(f"Settings saved to {path}.", "note")
        conversation = self.conversation
        if conversation is None:
            return
        conversation.runtime.settings = self.settings
        if values.area and conversation.situation.area != values.area:
            conversation.situation.area = values.area
        if llm_changed:

            def job(conversation: Conversation) -> None:
                conversation.reload_engine()

            self._call("Starting the language model", job, lambda _: self.set_status(self.ready_text()))


def read_config_safely() -> dict[str, Any]:
    try:
        return read_config(config_path())
    except (OSError, ValueError):
        return {}


def make_app(
    settings: Settings,
    *,
    area: str | None = None,
    loader: Callable[[Settings], Runtime] | None = None,
    store: SessionStore | None = None,
) -> HelpmateApp:
    """The app for the CLI, ``helpmate serve`` and the tests."""
    return HelpmateApp(settings, area=area, loader=loader, store=store)
