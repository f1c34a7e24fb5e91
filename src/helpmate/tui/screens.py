"""Screens over the main one: help, record detail, dismiss reason, sessions, situation edit (the
settings screen is in ``settings_screen``).

Each modal returns its answer through ``dismiss``; the app does the engine work in a worker.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Footer, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from helpmate.insight.events import DISMISS_REASONS, dismiss_reason_text
from helpmate.knowledge.records import Record
from helpmate.tui.conversation import SessionRow, SituationView, overdue

MODAL_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 90%; max-width: 110; height: auto; max-height: 90%;
    border: thick $primary; background: $surface; padding: 0 1;
}}
{name} .title {{ text-style: bold; width: 100%; }}
{name} .hint {{ color: $text-muted; }}
"""


class HelpScreen(ModalScreen[None]):
    """Every binding, with what it does."""

    DEFAULT_CSS = MODAL_CSS.format(name="HelpScreen")
    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="help.close")]

    def __init__(self, sections: list[tuple[str, list[tuple[str, str]]]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        text = Text()
        for title, rows in self.sections:
            text.append(f"{title}\n", style="bold underline")
            for key, description in rows:
                text.append(f"  {key:<14}", style="bold")
                text.append(f"{description}\n")
            text.append("\n")
        text.append(
            "Focus: tab and shift+tab move between the message line, the plan's two columns and the "
            "situation; escape comes back to the message line.",
        )
        with Vertical():
            yield Label("helpmate: keys", classes="title")
            yield VerticalScroll(Static(text))
            yield Footer()

    def action_close(self) -> None:
        self.dismiss(None)


def record_text(record: Record, reason: str = "", notice: str = "") -> Text:
    """The whole record in words: a current notice first, nothing cut short, its ids once, on the
    last line."""
    text = Text()
    if notice:
        text.append(f"NOTICE: {notice}\n\n", style="bold reverse")
    if overdue(record):
        due = record.review_due or record.last_reviewed
        text.append(
            f"WARNING: overdue for review (due {due}); check the details before you refer.\n\n",
            style="bold reverse",
        )
    text.append(record.name + "\n", style="bold")
    kind = "Standard service" if record.track == "service" else "Community resource"
    text.append(f"{kind}" + (f", {record.organisation}" if record.organisation else "") + "\n\n")
    if reason:
        text.append("Why: ", style="bold")
        text.append(reason + "\n\n")
    if record.description:
        text.append(record.description.strip() + "\n\n")

    def row(label: str, value: str) -> None:
        text.append(f"{label}: ", style="bold")
        text.append((value or "not in the directory") + "\n")

    row("Phone", record.contact.phone)
    row("Email", record.contact.email)
    row("Web", record.contact.url)
    row("Address", f"{record.address} {record.postcode}".strip())
    row("How to refer", record.how_to_access)
    eligibility = record.eligibility.text
    ages = [
        f"from {record.eligibility.min_age}" if record.eligibility.min_age is not None else "",
        f"up to {record.eligibility.max_age}" if record.eligibility.max_age is not None else "",
    ]
    if any(ages):
        eligibility = (
            (eligibility + " " if eligibility else "") + "(ages " + " ".join(a for a in ages if a) + ")"
        )
    row("Eligibility", eligibility)
    row("Opening times", record.opening_times)
    row("Cost", record.cost)
    row("Accessibility", record.accessibility)
    row("Languages", ", ".join(record.languages))
    row("Last reviewed", str(record.last_reviewed or ""))
    row("Review due", str(record.review_due or ""))
    # Ids are for knowledge managers: once, on the last line (the feed's own id only if it differs).
    feed_id = record.source.id if record.source.id and record.source.id != record.id else ""
    source = f"source: {record.source.feed}" if record.source.feed else "source not recorded"
    text.append("Record: ", style="bold")
    text.append(f"{record.id} ({source}" + (f", where its id is {feed_id})" if feed_id else ")"))
    return text


class RecordScreen(ModalScreen[str | None]):
    """The whole record. Returns "pin", "dismiss" or None; copying is done here."""

    DEFAULT_CSS = MODAL_CSS.format(name="RecordScreen")
    BINDINGS = [
        Binding("c", "copy", "Copy contact", id="detail.copy"),
        Binding("p", "choose('pin')", "Pin to plan", id="detail.pin"),
        Binding("x", "choose('dismiss')", "Dismiss", id="detail.dismiss"),
        Binding("escape,q", "choose('')", "Close", id="detail.close"),
    ]

    def __init__(self, record: Record, reason: str = "", contact: str = "", notice: str = "") -> None:
        super().__init__()
        self.record = record
        self.reason = reason
        self.contact = contact
        self.notice = notice

    def compose(self) -> ComposeResult:
        with Vertical():
            yield VerticalScroll(Static(record_text(self.record, self.reason, self.notice), id="record-text"))
            yield Footer()

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.contact)
        self.notify("Contact details copied to the clipboard.", title="Copied")

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice or None)


class DismissScreen(ModalScreen[str | None]):
    """Why the worker dismisses a suggestion: one of the fixed reasons insight counts; "Other" takes
    the worker's own words, which stay in the session (insight records only "other")."""

    DEFAULT_CSS = MODAL_CSS.format(name="DismissScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dismiss.cancel")]
    REASONS = list(DISMISS_REASONS.values())

    def __init__(self, name: str) -> None:
        super().__init__()
        self.record_name = name

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Dismiss {self.record_name}: why?", classes="title")
            yield OptionList(*[Option(label, id=key) for key, label in DISMISS_REASONS.items()], id="reasons")
            yield Input(placeholder="Other: type the reason and press enter", id="reason")
            yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id == "other":
            self.query_one("#reason", Input).focus()
        else:
            self.dismiss(DISMISS_REASONS[event.option.id or "other"])

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(dismiss_reason_text("other", event.value))

    def action_cancel(self) -> None:
        self.dismiss(None)


class SessionsScreen(ModalScreen[str | None]):
    """Saved sessions, newest first; enter resumes one."""

    DEFAULT_CSS = MODAL_CSS.format(name="SessionsScreen")
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="sessions.cancel")]

    def __init__(self, rows: list[SessionRow]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        options = [
            Option(Text(f"{r.title}  damaged\n  {r.damaged}", style="italic"), id=r.id, disabled=True)
            if r.damaged
            else Option(
                Text(
                    f"{r.started}  {r.turns} turn(s)"
                    + (f"  {r.alerts} alert(s)" if r.alerts else "")
                    + f"\n  {r.title}"
                ),
                id=r.id,
            )
            for r in self.rows
        ] or [Option(Text("No saved sessions yet.", style="italic"), disabled=True)]
        with Vertical():
            yield Label("Resume a session", classes="title")
            yield OptionList(*options, id="session-list")
            yield Footer()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


def split_items(value: str) -> list[str]:
    """One item per line (an item may hold any punctuation, ";" too)."""
    return [line.strip() for line in value.splitlines() if line.strip()]


def facts_text(facts: dict[str, str]) -> str:
    return "\n".join(f"{key}: {value}" for key, value in facts.items())


def parse_facts(value: str) -> tuple[dict[str, str], list[str]]:
    """Facts, one per line as ``name: value``; and the lines that are not (to say so, not drop them)."""
    facts: dict[str, str] = {}
    bad: list[str] = []
    for line in split_items(value):
        key, sep, rest = line.partition(":")
        if sep and key.strip() and rest.strip():
            facts[key.strip().lower()] = rest.strip()
        else:
            bad.append(line)
    return facts, bad


class EditSituationScreen(ModalScreen[dict[str, Any] | None]):
    """The worker's corrections: what changed, as {field: values} for ``engine.edit``."""

    DEFAULT_CSS = (
        MODAL_CSS.format(name="EditSituationScreen")
        + """
    EditSituationScreen > Vertical > VerticalScroll { height: auto; max-height: 70vh; }
    EditSituationScreen Label { margin-top: 1; }
    EditSituationScreen #needs { height: auto; max-height: 12; }
    EditSituationScreen TextArea { height: 5; }
    EditSituationScreen Horizontal { height: auto; }
    """
    )
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="edit.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="edit.cancel"),
    ]

    def __init__(self, view: SituationView, all_needs: list[tuple[str, str]]) -> None:
        super().__init__()
        self.view = view
        self.all_needs = all_needs
        # What the fields start with: a part is sent to the engine only if its text changed, so
        # saving one correction never rewrites (and marks as edited) the others.
        self.initial = {
            "what_matters": "\n".join(view.what_matters),
            "strengths": "\n".join(view.strengths),
            "facts": facts_text(view.facts),
        }

    def compose(self) -> ComposeResult:
        shown = [need_id for need_id, _ in self.view.needs]
        labels = dict(self.all_needs)
        # Text, not a string: "[x]" would be read as markup and vanish.
        options = [Option(Text("[x] " + labels.get(need_id, need_id)), id=need_id) for need_id in shown]
        options += [
            Option(Text("[ ] " + label), id=need_id)
            for need_id, label in self.all_needs
            if need_id not in shown
        ]
        with Vertical():
            yield Label("Edit the situation (ctrl+s saves; these corrections stick)", classes="title")
            with VerticalScroll():
                yield Label("Needs: enter ticks or unticks one (unticked ones stay out)")
                yield OptionList(*options, id="needs")
                yield Label("What matters to them, one per line")
                yield TextArea(self.initial["what_matters"], id="what_matters", soft_wrap=True)
                yield Label("Strengths and interests, one per line")
                yield TextArea(self.initial["strengths"], id="strengths", soft_wrap=True)
                yield Label("Facts, one per line as name: value (e.g. age: 78)")
                yield TextArea(self.initial["facts"], id="facts", soft_wrap=True)
                with Horizontal():
                    yield Button("Save", id="save", variant="primary")
                    yield Button("Cancel", id="cancel")
            yield Footer()

    def on_mount(self) -> None:
        # The first field has the focus, its first need highlighted: down and enter work at once.
        self.query_one(VerticalScroll).can_focus = False
        needs = self.query_one("#needs", OptionList)
        needs.highlighted = 0
        needs.focus()

    def _kept_needs(self) -> list[str]:
        needs = self.query_one("#needs", OptionList)
        return [
            str(option.id)
            for option in (needs.get_option_at_index(i) for i in range(needs.option_count))
            if str(option.prompt).startswith("[x]")
        ]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        option = event.option
        label = str(option.prompt)[4:]
        mark = "[ ] " if str(option.prompt).startswith("[x]") else "[x] "
        event.option_list.replace_option_prompt(str(option.id), Text(mark + label))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "save":
            self.action_save()
        else:
            self.action_cancel()

    def action_save(self) -> None:
        changes: dict[str, Any] = {}
        kept = self._kept_needs()
        if set(kept) != {need_id for need_id, _ in self.view.needs}:
            changes["needs"] = kept
        for name in ("what_matters", "strengths"):
            text = self.query_one(f"#{name}", TextArea).text
            if text.strip() != self.initial[name].strip():
                changes[name] = split_items(text)
        text = self.query_one("#facts", TextArea).text
        if text.strip() != self.initial["facts"].strip():
            facts, bad = parse_facts(text)
            if bad:
                self.notify(
                    "Write each fact on its own line as name: value (not saved yet): " + "; ".join(bad),
                    severity="warning",
                    timeout=8,
                )
                return
            changes["facts"] = facts
        self.dismiss(changes)

    def action_cancel(self) -> None:
        self.dismiss(None)
