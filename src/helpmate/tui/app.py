"""The helpmate terminal app: the controller between the keys, the screens and the engine worker.

First paint comes before anything heavy: the runtime (the index, the embedding model, torch:
about 5 s on two cores) loads in the engine worker after the screen is drawn, and whatever the
worker types meanwhile is answered once it is ready. A missing or damaged index, an empty
library, a language model that is down, or any failure inside a turn is shown in words on the
screen; the app stays up.

Who does what: ``main_screen.MainScreen`` lays out and draws; ``jobs.Jobs`` runs every engine
change in one queue and posts the results back as messages, which the handlers here draw; the
modals (``screens``) return what the worker chose. The app reads only the plain data those
messages carry (``self.view``), never the conversation itself.

``make_app`` builds the app for the CLI, ``helpmate serve`` and the tests alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import App

from helpmate.errors import HelpmateError
from helpmate.settings import Settings, config_path
from helpmate.tui.config import read_config
from helpmate.tui.conversation import View, contact_text
from helpmate.tui.jobs import Jobs, Library, Loader
from helpmate.tui.main_screen import LOADING, WELCOME, MainScreen
from helpmate.tui.screens import DismissScreen, EditSituationScreen, HelpScreen, RecordScreen, SessionsScreen
from helpmate.tui.settings_screen import SettingsScreen, SettingsValues
from helpmate.tui.widgets import MessageInput, PlanColumn

if TYPE_CHECKING:
    from helpmate.assistant.sessions import SessionStore
    from helpmate.knowledge.records import Record

IN_BROWSER_ENV = "HELPMATE_IN_BROWSER"
"""Set to 1 by ``helpmate serve`` for the apps it starts (see ``make_app``)."""
ENV_SETTINGS = {
    "area": "HELPMATE_AREA",
    "provider": "HELPMATE_LLM__PROVIDER",
    "model": "HELPMATE_LLM__MODEL",
    "redact": "HELPMATE_LLM__REDACT",
}


class HelpmateApp(App[None]):
    """The app. ``loader`` builds the runtime from settings (the real one by default)."""

    TITLE = "helpmate"
    ENABLE_COMMAND_PALETTE = False

    def __init__(
        self,
        settings: Settings,
        *,
        area: str | None = None,
        loader: Loader | None = None,
        store: SessionStore | None = None,
        in_browser: bool = False,
    ) -> None:
        super().__init__()
        self.settings = settings
        self.in_browser = in_browser
        self.jobs = Jobs(self, settings, area=area, loader=loader, store=store)
        self.library: Library | None = None
        """Set once a runtime is loaded: the app is ready for engine work."""
        self.problem: HelpmateError | None = None
        self.can_rebuild = False
        self.busy = 0
        """Engine jobs asked for and not finished (the status line says Busy while any is)."""
        self._failure = ""
        """What the status line says after a job failed, until the next job is over."""
        self.view: View | None = None
        """What the main screen shows now (the record detail, dismiss and copy read it)."""
        config = read_config_safely()
        tui = config.get("tui", {}) if isinstance(config.get("tui"), dict) else {}
        self.cursor_blink = bool(tui.get("cursor_blink", True))
        theme = tui.get("theme")
        if isinstance(theme, str) and theme in self.available_themes:
            self.theme = theme

    def get_default_screen(self) -> MainScreen:
        return MainScreen(in_browser=self.in_browser)

    def on_ready(self) -> None:
        # Only once the first frame is on the screen: loading the runtime imports torch and Chroma
        # in a thread (seconds), and that thread would otherwise compete with the first paint.
        self.main_screen.query_one(MessageInput).cursor_blink = self.cursor_blink
        self.ask(LOADING, self.jobs.load)

    @property
    def main_screen(self) -> MainScreen:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        raise RuntimeError("the main screen is not mounted")

    # ------------------------------------------------------------------ status and the queue

    def ask(self, what: str, job: Callable[..., None], *args: Any) -> None:
        """Ask the engine worker for ``job``; the status line says ``what`` until it is done."""
        self.busy += 1
        self.main_screen.set_status(what, busy=True)
        job(*args)

    def ready_text(self) -> str:
        if self.problem is not None:
            return f"Not ready: {self.problem.message} (ctrl+b rebuilds the index)"
        if self.library is None:
            return "Not ready: still loading"
        area = self.view.area if self.view is not None else self.library.area
        view = self.view
        problem = (view.unsaved or view.insight_problem) if view is not None else ""  # it went on
        return f"Ready: {self.library.records} records in the library, {area}." + (
            f" {problem}" if problem else ""
        )

    def ready_or_warn(self) -> bool:
        if self.library is None:
            self.notify(
                "Not ready yet: " + (str(self.problem) if self.problem else "still loading"),
                severity="warning",
            )
        return self.library is not None

    def problem_to_chat(self, text: str) -> None:
        self.main_screen.chat.add(text, "problem")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "rebuild":
            return self.can_rebuild
        if action == "acknowledge":
            return bool(self.main_screen.displayed_alerts())  # in the footer only when it acts
        return True

    # ------------------------------------------------------------------ what the worker posts

    def on_jobs_finished(self) -> None:
        self.busy = max(0, self.busy - 1)
        if self._failure:  # said until the next job is over
            self._failure = ""
        elif not self.busy:
            problem = self.problem is not None or self.can_rebuild
            self.main_screen.set_status(self.ready_text(), problem=problem)

    def failed(self, status: str) -> None:
        self._failure = status
        self.main_screen.set_status(status, problem=True)

    def on_jobs_progress(self, message: Jobs.Progress) -> None:
        if message.status:
            self.main_screen.set_status(message.status, busy=True)
        if message.note:
            self.main_screen.chat.add(message.note, "note")

    def on_jobs_failed(self, message: Jobs.Failed) -> None:
        self.problem_to_chat(f"{message.what} failed: {message.message}")
        self.failed(f"{message.what} failed: {message.message.splitlines()[0]}")
        if message.what == "Rebuilding the index":
            self.can_rebuild = True
            self.main_screen.refresh_bindings()

    def on_jobs_load_failed(self, message: Jobs.LoadFailed) -> None:
        exc = self.problem = message.error
        self.can_rebuild = True
        self.main_screen.refresh_bindings()
        what = exc.hint or "run 'helpmate kb index'"
        self.problem_to_chat(
            f"helpmate cannot suggest anything yet: {exc.message}. To fix it, {what} in a shell, "
            "or press ctrl+b to rebuild the index from here."
        )

    def on_jobs_loaded(self, message: Jobs.Loaded) -> None:
        """A runtime is ready: the first one, or the same session over a rebuilt index."""
        library = self.library = message.library
        self.problem = None
        self.sub_title = f"session of {library.started}"
        if message.view is not None:
            self.show_view(message.view)
        notes = []
        if not library.records:
            notes.append(
                "The library has no records yet, so there is nothing to suggest. Add records (or "
                "'helpmate kb import'), then run 'helpmate kb index' or press ctrl+b."
            )
        if library.stale:
            notes.append(
                "The library changed since the index was built: press ctrl+b to rebuild it "
                "(or run 'helpmate kb index')."
            )
        self.can_rebuild = bool(notes)
        for note in notes:
            self.problem_to_chat(note)
        self.main_screen.refresh_bindings()

    def on_jobs_token(self, message: Jobs.Token) -> None:
        self.main_screen.chat.token(message.text)

    def on_jobs_answered(self, message: Jobs.Answered) -> None:
        self.main_screen.chat.finish(message.reply)
        if message.view.unsaved:  # the reply and its alerts are shown; the save failed
            self.problem_to_chat(message.view.unsaved)
        self.show_view(message.view)

    def on_jobs_turn_failed(self, message: Jobs.TurnFailed) -> None:
        main = self.main_screen
        if message.alerts is not None:
            main.show_alerts(message.alerts, self.view.acknowledged if self.view else [])
        main.chat.finish(message.reply)
        main.chat.add(
            f"Something went wrong while working on that message ({message.what}). The conversation "
            "so far is kept and saved; try again, or press ctrl+s to export what you have.",
            "problem",
        )
        self.failed(f"Last message failed: {message.what.splitlines()[0]}")

    def on_jobs_changed(self, message: Jobs.Changed) -> None:
        chat = self.main_screen.chat
        if message.history is not None:
            chat.clear()
            for kind, text in message.history:
                chat.add(text, kind)
        for note in message.notes:
            chat.add(note, "note")
        if message.view.unsaved:
            self.problem_to_chat(message.view.unsaved)
        self.show_view(message.view)

    def on_jobs_exported(self, message: Jobs.Exported) -> None:
        worker, citizen = message.worker, message.citizen
        self.main_screen.chat.add(
            f"Exported the worker's plan to {worker}\nand the citizen's version to {citizen}", "note"
        )
        self.notify(f"{worker}\n{citizen}", title="Exported", timeout=10)

    def on_jobs_sessions_listed(self, message: Jobs.SessionsListed) -> None:
        def chosen(session_id: str | None) -> None:
            if session_id:
                self.ask("Resuming", self.jobs.resume, session_id)

        self.push_screen(SessionsScreen(message.rows), chosen)

    def on_jobs_situation_opened(self, message: Jobs.SituationOpened) -> None:
        self.push_screen(EditSituationScreen(message.view, message.needs), self.apply_edits)

    def show_view(self, view: View) -> None:
        self.view = view
        self.sub_title = f"session of {view.started}"
        self.main_screen.show_view(view)

    # ------------------------------------------------------------------ the worker's actions

    def send(self, text: str) -> None:
        chat = self.main_screen.chat
        chat.add(" ".join(text.split()), "worker")
        if self.library is None:
            if self.problem is None:
                chat.add("(helpmate is still loading; it will answer this as soon as it is ready)", "note")
            else:
                chat.add("(helpmate cannot answer until the index is fixed: ctrl+b rebuilds it)", "note")
        self.ask(
            "Working on it: safeguarding, needs, suggestions... (you can keep typing)", self.jobs.turn, text
        )

    @on(MessageInput.Submitted, "#message")
    def _submitted(self, event: MessageInput.Submitted) -> None:
        if event.value.strip():  # the input cleared itself already
            self.send(event.value)

    def action_acknowledge(self) -> None:
        """Acknowledges the alerts the banner shows now, and only those: one raised by a message
        still being worked on stays, to be seen first."""
        keys = self.main_screen.displayed_alerts()
        if keys and self.ready_or_warn():
            self.ask("Acknowledging", self.jobs.acknowledge, keys)

    def action_export(self) -> None:
        if self.ready_or_warn():
            self.ask("Exporting", self.jobs.export, self.settings.home / "exports")

    def action_edit_situation(self) -> None:
        if self.ready_or_warn():
            self.ask("Opening the situation", self.jobs.open_situation)

    def apply_edits(self, changes: dict[str, Any] | None) -> None:
        if changes:
            names = [name.replace("_", " ") for name in changes]
            self.ask("Saving the situation", self.jobs.edit, changes, names)

    def action_new_session(self) -> None:
        if self.ready_or_warn():
            self.ask("Starting a new session", self.jobs.new_session, WELCOME)

    def action_sessions(self) -> None:
        if self.ready_or_warn():
            self.ask("Listing sessions", self.jobs.list_sessions)

    def action_insight(self) -> None:
        """f8: the insight tables for the session's area. The area comes from the last view (no
        engine call); the screen reads the database in its own thread worker."""
        from helpmate.tui.insight import InsightScreen

        name: str | None
        if self.view is not None:
            slug, name = self.view.area_slug, self.view.area
        else:  # still loading: the area the session will start in
            slug = self.jobs.area or self.settings.area
            names = dict(self.library.areas) if self.library is not None else {}
            name = names.get(slug, slug) if slug else None
        self.push_screen(InsightScreen(self.settings, slug, name if slug else None))

    def action_rebuild(self) -> None:
        self.can_rebuild = False  # until this rebuild is over
        self.main_screen.refresh_bindings()
        self.ask("Rebuilding the index (helpmate kb index)...", self.jobs.rebuild)

    # ------------------------------------------------------------------ a suggestion

    def shown_record(self, record_id: str) -> Record | None:
        """A record on the plan now (from the last view: no engine call)."""
        record = self.view.records.get(record_id) if self.view is not None else None
        if record is None:
            self.notify("That suggestion is no longer on the plan.", severity="warning")
        return record

    @on(PlanColumn.Chosen)
    def _on_suggestion(self, event: PlanColumn.Chosen) -> None:
        actions = {"detail": self.show_record, "pin": self.pin, "dismiss": self.ask_dismiss}
        actions.get(event.action, self.copy_contact)(event.record_id)

    def show_record(self, record_id: str) -> None:
        record = self.shown_record(record_id)
        if record is None:
            return
        reason = self.view.reasons.get(record_id, "") if self.view is not None else ""

        def chosen(choice: str | None) -> None:
            if choice == "pin":
                self.pin(record_id)
            elif choice == "dismiss":
                self.ask_dismiss(record_id)

        from helpmate.knowledge.notices import current_notice

        notice = current_notice(self.settings.knowledge, record_id)  # a stat; a parse when it changed
        notice_line = notice.line() if notice else ""
        self.push_screen(RecordScreen(record, reason, contact_text(record), notice_line), chosen)

    def pin(self, record_id: str) -> None:
        record = self.shown_record(record_id)
        if record is not None and self.ready_or_warn():
            self.ask("Pinning", self.jobs.pin, record_id, record.name)

    def ask_dismiss(self, record_id: str) -> None:
        record = self.shown_record(record_id)
        if record is None or not self.ready_or_warn():
            return

        def chosen(reason: str | None) -> None:
            if reason:
                self.ask("Dismissing", self.jobs.dismiss, record_id, record.name, reason)

        self.push_screen(DismissScreen(record.name), chosen)

    def copy_contact(self, record_id: str) -> None:
        record = self.shown_record(record_id)
        if record is not None:
            self.copy_to_clipboard(contact_text(record))
            self.notify(f"Contact details of {record.name} copied.", title="Copied")

    # ------------------------------------------------------------------ help and settings

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self.main_screen.help_sections()))

    def action_settings(self) -> None:
        areas = self.library.areas if self.library is not None else []
        llm = self.settings.llm
        values = SettingsValues(self.settings.area, llm.provider, llm.model, llm.redact, self.theme)
        overridden = [env for env in ENV_SETTINGS.values() if os.environ.get(env)]
        themes = sorted(self.available_themes)
        screen = SettingsScreen(values, areas, themes, str(config_path()), overridden)
        self.push_screen(screen, self.save_settings)

    def save_settings(self, values: SettingsValues | None) -> None:
        """The file now (the worker sees it at once), the theme now; the runtime in the engine
        queue, after whatever it is working on (a message being answered finishes first)."""
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
        llm = self.settings.llm.model_copy(
            update={"provider": values.provider, "model": values.model, "redact": values.redact}
        )
        self.settings = self.settings.model_copy(update={"area": values.area, "llm": llm})
        self.main_screen.chat.add(f"Settings saved to {path}.", "note")
        self.ask("Applying the settings", self.jobs.apply_settings, self.settings)


def read_config_safely() -> dict[str, Any]:
    try:
        return read_config(config_path())
    except (OSError, ValueError):
        return {}


def make_app(
    settings: Settings,
    *,
    area: str | None = None,
    loader: Loader | None = None,
    store: SessionStore | None = None,
    in_browser: bool | None = None,
) -> HelpmateApp:
    """The app for the CLI, ``helpmate serve`` and the tests. ``in_browser`` picks the keys the
    footer shows (f2 and f3 where a browser takes ctrl+n and ctrl+t); when not given it is read
    here, once, from HELPMATE_IN_BROWSER, which ``helpmate serve`` sets for the apps it starts."""
    if in_browser is None:
        in_browser = os.environ.get(IN_BROWSER_ENV) == "1"
    return HelpmateApp(settings, area=area, loader=loader, store=store, in_browser=in_browser)
