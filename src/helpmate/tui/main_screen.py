"""The main screen's layout: alerts, the conversation and the situation, the plan in two columns,
the status line and the message line; its keys, and drawing a ``View`` into its widgets.

The screen holds no engine state and calls no engine: its keys name the app's actions
(``app.acknowledge`` ...), the plan's columns post what was asked on a suggestion, and the app
hands it plain data to draw.

Space on a small terminal (80x24): the conversation and the plan get the rows. The message line
is one row, acknowledged alerts collapse to one line, and below 100 columns the situation panel
starts hidden (f5 shows or hides it; ctrl+r edits it whichever), so the conversation has the
whole width. Nothing scrolls the screen itself: the panels shrink and the alerts, the status and
the message line stay in view.
"""

from __future__ import annotations

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingsMap
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Header

from helpmate.tui.conversation import AlertView, View
from helpmate.tui.screens import RecordScreen
from helpmate.tui.widgets import AlertBanner, ChatLog, MessageInput, PlanColumn, SituationPanel, StatusLine

WELCOME = (
    "Tell me about the person: what is going on, what matters to them, what they enjoy. "
    "Safeguarding alerts appear at the top and stay until you acknowledge them (ctrl+g). "
    "F1 lists every key."
)
LOADING = "Loading the library index and model..."
SITUATION_WIDTH = 100
"""Below this many columns the situation panel starts hidden (f5 shows it)."""


def main_bindings(in_browser: bool) -> list[Binding]:
    """The main screen's keys. A browser keeps ctrl+n and ctrl+t for itself: there (``helpmate
    serve``) the footer shows f2 and f3 instead; both keys work everywhere."""
    new, settings = ("f2,ctrl+n", "f3,ctrl+t") if in_browser else ("ctrl+n,f2", "ctrl+t,f3")
    return [
        Binding("f1", "app.help", "Help", id="main.help", priority=True),
        Binding("ctrl+g", "app.acknowledge", "Acknowledge alert", id="main.acknowledge", priority=True),
        Binding("f4", "focus_alerts", "Alert routes", id="main.alerts", priority=True),
        Binding("ctrl+s", "app.export", "Export", id="main.export", priority=True),
        Binding("ctrl+r", "app.edit_situation", "Edit situation", id="main.edit", priority=True),
        Binding(
            "f5",
            "toggle_situation",
            "Situation",
            id="main.situation",
            priority=True,
            tooltip="Show or hide the situation panel (hidden at first below 100 columns)",
        ),
        Binding(new, "app.new_session", "New", id="main.new", priority=True),
        Binding("ctrl+o", "app.sessions", "Sessions", id="main.sessions", priority=True),
        Binding(
            "f8",
            "app.insight",
            "Insight",
            id="main.insight",
            priority=True,
            tooltip="Insight for the area: demand, unmet need and the library's gaps (read only)",
        ),
        Binding(settings, "app.settings", "Settings", id="main.settings", priority=True),
        Binding("ctrl+l", "focus_plan", "Plan", id="main.plan", priority=True),
        Binding("ctrl+b", "app.rebuild", "Rebuild index", id="main.rebuild", priority=True),
        Binding("escape", "focus_input", "Message line", id="main.input", show=False),
    ]


class MainScreen(Screen[None]):
    """Alerts, chat and situation, the plan in two columns, the status line and the message line."""

    DEFAULT_CSS = """
    MainScreen { overflow: hidden hidden; }
    MainScreen #top { height: 2fr; min-height: 0; }
    MainScreen #chat-box { width: 3fr; border: round $primary; border-title-align: left; }
    MainScreen #chat-box:focus-within { border: round $accent; }
    MainScreen SituationPanel { width: 2fr; min-width: 20; }
    MainScreen.-no-situation SituationPanel { display: none; }
    MainScreen #plan { height: 3fr; min-height: 0; }
    MainScreen PlanColumn { width: 1fr; }
    """

    def __init__(self, *, in_browser: bool = False) -> None:
        super().__init__()
        self.main_keys = main_bindings(in_browser)
        """Chosen when the app is made (``make_app``), never from the environment at import."""
        self._bindings = BindingsMap.merge([self._bindings, BindingsMap(self.main_keys)])
        self.situation_shown: bool | None = None
        """f5's choice; None until pressed: then the width decides."""

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
        self._place_situation(self.app.size.width)
        self.chat.add(WELCOME, "note")
        self.query_one("#services", PlanColumn).show(
            [], {}, empty="Suggestions appear here, grouped by need."
        )
        self.query_one("#community", PlanColumn).show([], {}, empty="Community resources appear here.")
        self.query_one(MessageInput).focus()
        self.set_status(LOADING, busy=True)  # in the first frame; the app loads after it

    def on_resize(self, event: events.Resize) -> None:
        self._place_situation(event.size.width)

    # ------------------------------------------------------------------ the situation panel

    def _place_situation(self, width: int) -> None:
        shown = self.situation_shown if self.situation_shown is not None else width >= SITUATION_WIDTH
        self.set_class(not shown, "-no-situation")
        chat = self.query_one("#chat-box")
        chat.border_title = "Conversation" + ("" if shown else " (f5 shows the situation)")

    def action_toggle_situation(self) -> None:
        self.situation_shown = self.has_class("-no-situation")
        self._place_situation(self.app.size.width)

    # ------------------------------------------------------------------ focus

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "focus_alerts":
            return self.query_one(AlertBanner).any
        return True

    def action_focus_plan(self) -> None:
        self.query_one("#services", PlanColumn).focus()

    def action_focus_alerts(self) -> None:
        self.query_one(AlertBanner).open_routes()

    def action_focus_input(self) -> None:
        self.query_one(MessageInput).focus()

    # ------------------------------------------------------------------ drawing

    @property
    def chat(self) -> ChatLog:
        return self.query_one(ChatLog)

    def set_status(self, text: str, *, busy: bool = False, problem: bool = False) -> None:
        status = self.query_one(StatusLine)
        status.set_class(busy, "-busy")
        status.set_class(problem, "-problem")
        status.update(Text(("Busy: " if busy else "") + text))

    def show_alerts(self, pending: list[AlertView], acknowledged: list[AlertView] | None = None) -> None:
        self.query_one(AlertBanner).show(pending, acknowledged)
        self.refresh_bindings()

    def show_view(self, view: View) -> None:
        self.show_alerts(view.alerts, view.acknowledged)
        self.query_one(SituationPanel).show(view.situation)
        empty = (
            "Nothing in the library matches yet."
            if view.situation.needs
            else "Suggestions appear here, grouped by need."
        )
        for column in self.query(PlanColumn):
            column.show(view.groups, view.why, view.pinned, empty=empty)

    def help_sections(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """Every key, with what it does, as the help screen lists them."""

        def rows(bindings: list[Binding]) -> list[tuple[str, str]]:
            return [(b.key.replace(",", " / "), b.tooltip or b.description) for b in bindings]

        everywhere = rows([b for b in self.main_keys if b.id and b.id.startswith("main.")])
        everywhere.append(("ctrl+q", "Quit (the session is already saved)"))
        plan = rows([b for b in PlanColumn.BINDINGS if isinstance(b, Binding)])
        plan.append(("up / down", "Move between suggestions"))
        forms = [
            ("ctrl+s", "Save (settings, the situation editor)"),
            ("enter", "Choose (a session, a reason to dismiss, tick or untick a need)"),
            ("escape", "Cancel"),
        ]
        return [
            ("Everywhere", everywhere),
            ("In the plan's columns", plan),
            ("In a record", rows([b for b in RecordScreen.BINDINGS if isinstance(b, Binding)])),
            ("In lists and forms", forms),
        ]

    def displayed_alerts(self) -> list[str]:
        return self.query_one(AlertBanner).displayed_keys()
