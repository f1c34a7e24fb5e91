"""The main screen's widgets. They display plain data handed to them; none calls the engine.

- ``AlertBanner``: safeguarding alerts at the top, in words, one line each (level, the category's
  label, what was heard), most urgent and newest first, with their local routes in a scrollable
  view below, until the worker acknowledges them; then one line for all the acknowledged ones.
- ``ChatLog``: the worker's messages and the replies (a reply grows as a model streams it).
- ``SituationPanel``: needs, what matters, strengths and interests, facts, open questions.
- ``PlanColumn``: one track of the plan (standard services or community), grouped by need, each
  suggestion with its reason cut to the column (the whole record is one key away); its keys
  (details, pin, dismiss, copy) act on the highlighted suggestion.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from helpmate.tui.conversation import AlertView, SituationView

if TYPE_CHECKING:
    from helpmate.tui.conversation import Group

MAX_ECHO = 2000
"""Characters of a pasted message shown in the chat (all of it goes to the engine)."""


class MessageInput(Input):
    """The worker's line. A multi-line paste arrives whole, its lines joined (Input keeps only the first).

    One row with a bar on its left rather than a box of three: on a 24-row terminal those two
    rows go to the conversation."""

    DEFAULT_CSS = """
    MessageInput { height: 1; border: none; border-left: tall $border-blurred; padding: 0 1; }
    MessageInput:focus { border: none; border-left: tall $accent; }
    """

    def _on_paste(self, event: events.Paste) -> None:
        if event.text:
            text = " ".join(event.text.split())
            if self.selection.is_empty:
                self.insert_text_at_cursor(text)
            else:
                self.replace(text, *self.selection)
        event.stop()

    async def _on_key(self, event: events.Key) -> None:
        # Enter is handled here, in order with the printable keys, rather than as a binding that
        # runs later: over a slow link (helpmate serve, ssh) keys arrive in bursts, and a key typed
        # just after enter must start the next message, not end this one.
        if event.key == "enter":
            event.stop()
            event.prevent_default()
            await self.action_submit()
            return
        await super()._on_key(event)

    async def action_submit(self) -> None:
        # Clear now, not when the screen handles Submitted: keys typed right after enter stay.
        value = self.value
        self.value = ""
        self.post_message(self.Submitted(self, value))


def alert_lines(alerts: list[AlertView]) -> Text:
    """One line per alert, in the order given: the level in words, the kind of risk, what was heard."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for number, alert in enumerate(alerts):
        if number:
            text.append("\n")
        text.append(f"SAFEGUARDING {alert.level.upper()}: {alert.label}", style="bold")
        if alert.evidence:
            text.append(f' (heard: "{alert.evidence}")')
    return text


def alert_routes(alerts: list[AlertView]) -> Text:
    """The whole local route of each alert, in the same order as the lines."""
    text = Text()
    for number, alert in enumerate(alerts):
        if number:
            text.append("\n")
        text.append(f"{alert.level.upper()}, {alert.label}:", style="bold underline")
        if alert.urgent:
            text.append(f" {alert.urgent}")
        for step in alert.steps:
            text.append(f"\n  - {step}")
        if not (alert.urgent or alert.steps):
            text.append(" no local route in the library: talk to your safeguarding lead.")
    return text


def acknowledged_line(alerts: list[AlertView]) -> Text:
    """Every acknowledged alert on one line: still in sight, no longer in the way."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append("Acknowledged (f4 their routes): ", style="bold")
    text.append("; ".join(f'{a.label} ("{a.evidence}")' if a.evidence else a.label for a in alerts))
    return text


class AlertBanner(Vertical):
    """Safeguarding alerts in words, never colour alone.

    A pending alert is prominent: a box with one line per alert (so a second alert can never be
    below the fold) and their routes below, in a view that takes focus (f4, or tab) and scrolls.
    Acknowledged alerts collapse to one line under it (f4 opens their routes when none is pending).
    ``displayed_keys`` is what ctrl+g acknowledges: the pending alerts whose line is on the screen,
    never one raised since it was drawn.
    """

    DEFAULT_CSS = """
    AlertBanner { height: auto; display: none; }
    AlertBanner.-pending, AlertBanner.-acknowledged { display: block; }
    AlertBanner #alert-box {
        display: none;
        height: auto;
        padding: 0 1;
        background: $error;
        color: $text;
        border: heavy $warning;
        border-bottom: none;
        border-title-color: $text;
        border-title-style: bold;
    }
    AlertBanner.-pending #alert-box, AlertBanner.-open #alert-box { display: block; }
    AlertBanner #alert-lines { height: auto; text-wrap: nowrap; text-overflow: ellipsis; }
    AlertBanner.-open #alert-lines { display: none; }
    AlertBanner #alert-routes { height: auto; max-height: 10vh; min-height: 1; scrollbar-size-vertical: 1; }
    AlertBanner #alert-routes:focus { background: $error-darken-2; }
    AlertBanner #alert-done {
        display: none; height: 1; padding: 0 1; background: $error 35%; color: $text;
    }
    AlertBanner.-acknowledged #alert-done { display: block; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys: list[str] = []
        self.pending: list[AlertView] = []
        self.acknowledged: list[AlertView] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="alert-box"):
            yield Static(id="alert-lines")
            routes = VerticalScroll(Static(id="alert-routes-text"), id="alert-routes")
            routes.can_focus = True
            yield routes
        yield Static(id="alert-done")

    @property
    def any(self) -> bool:
        return bool(self.pending or self.acknowledged)

    def show(self, pending: list[AlertView], acknowledged: list[AlertView] | None = None) -> None:
        self.pending, self.acknowledged = pending, acknowledged or []
        self.keys = [alert.key for alert in pending]
        self.set_class(bool(pending), "-pending")
        self.set_class(bool(self.acknowledged), "-acknowledged")
        self.remove_class("-open")
        count = f"{len(pending)} alert" + ("s" if len(pending) != 1 else "")
        box = self.query_one("#alert-box")
        box.border_title = f"SAFEGUARDING, {count}: act on them; ctrl+g acknowledges, f4 the routes"
        self.query_one("#alert-lines", Static).update(alert_lines(pending))
        self.query_one("#alert-routes-text", Static).update(alert_routes(pending or self.acknowledged))
        self.query_one("#alert-done", Static).update(acknowledged_line(self.acknowledged))

    def open_routes(self) -> None:
        """Focus the routes: the pending alerts', or with none pending the acknowledged ones'."""
        if not self.pending:
            self.add_class("-open")
            self.query_one("#alert-box").border_title = "Routes of the acknowledged alerts (escape closes)"
        self.query_one("#alert-routes").focus()

    def on_descendant_blur(self) -> None:
        self.remove_class("-open")

    def displayed_keys(self) -> list[str]:
        """The alerts the worker can see: all of them, unless the screen is too short for every line."""
        if not self.keys or not self.has_class("-pending"):
            return []
        lines = self.query_one("#alert-lines", Static).region
        if lines.height != len(self.keys):  # not laid out since the last change: all were drawn
            return list(self.keys)
        return self.keys[: max(0, min(len(self.keys), self.screen.size.height - lines.y))]


class ChatLog(VerticalScroll):
    """The conversation so far."""

    DEFAULT_CSS = """
    ChatLog { height: 1fr; padding: 0 1; scrollbar-size-vertical: 1; }
    ChatLog > .worker { margin-top: 1; color: $text; text-style: bold; }
    ChatLog > .reply { color: $text; }
    ChatLog > .note { color: $text-muted; text-style: italic; }
    ChatLog > .problem { color: $text; background: $warning 30%; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.can_focus = False
        self._streaming: Static | None = None
        self._streamed: list[str] = []

    def add(self, text: str, kind: str = "reply") -> Static:
        """kind: worker, reply, note or problem."""
        if kind == "worker" and len(text) > MAX_ECHO:
            text = text[:MAX_ECHO] + f"… ({len(text) - MAX_ECHO:,} more characters)"
        prefix = {"worker": "You: ", "problem": "Problem: "}.get(kind, "")
        item = Static(Text(prefix + text), classes=kind)
        self.mount(item)
        self.scroll_end(animate=False)
        return item

    def token(self, token: str) -> None:
        """A streamed piece of the reply being written."""
        if self._streaming is None:
            self._streamed = []
            self._streaming = self.add("", "reply")
        self._streamed.append(token)
        self._streaming.update(Text("".join(self._streamed)))
        self.scroll_end(animate=False)

    def finish(self, reply: str) -> None:
        """The final reply (it may differ from what streamed: grounding or a fallback)."""
        if self._streaming is not None:
            self._streaming.update(Text(reply))
            self._streaming = None
        else:
            self.add(reply, "reply")
        self.scroll_end(animate=False)

    def clear(self) -> None:
        self._streaming = None
        self.remove_children()

    def on_resize(self) -> None:
        # Narrower or wider, the lines wrap anew: keep the newest in view (the panel beside it
        # comes and goes with f5).
        self.call_after_refresh(self.scroll_end, animate=False)


def situation_text(view: SituationView | None) -> Text:
    text = Text()
    if view is None:
        text.append("Nothing yet: describe the person's situation below.", style="italic")
        return text

    def section(title: str, items: list[str], empty: str) -> None:
        if text:
            text.append("\n")
        text.append(title + "\n", style="bold underline")
        for item in items:
            text.append(f"- {item}\n")
        if not items:
            text.append(f"  {empty}\n", style="italic")

    section("Needs", [label for _, label in view.needs], "none recognised yet")
    if view.excluded:  # labels, never the taxonomy's slugs
        text.append("  not: " + ", ".join(view.excluded) + "\n", style="italic")
    section("What matters", view.what_matters, "not noted yet (ctrl+r to add)")
    section("Strengths and interests", view.strengths, "not noted yet")
    facts = [f"{k}: {v}" for k, v in view.facts.items()]
    if view.area and "area" not in view.facts:
        facts.append(f"area: {view.area}")
    section("Facts", facts, "none noted")
    section("Worth asking", view.questions, "nothing more for now")
    return text


class SituationPanel(VerticalScroll):
    """What helpmate understood; the worker corrects it with ctrl+r (edit)."""

    DEFAULT_CSS = """
    SituationPanel { border: round $primary; border-title-align: left; padding: 0 1; scrollbar-size-vertical: 1; }
    SituationPanel:focus-within { border: round $accent; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = "Situation (ctrl+r edit)"
        self.can_focus = True

    def compose(self) -> ComposeResult:
        yield Static(situation_text(None), id="situation-text")

    def show(self, view: SituationView | None) -> None:
        self.query_one("#situation-text", Static).update(situation_text(view))


def cut(text: str, width: int, lines: int) -> str:
    """``text`` in at most ``lines`` lines of ``width``, the last one filled and ending in "…"
    when there was more."""
    flat = " ".join(text.split())
    width = max(10, width)
    wrapped = textwrap.wrap(flat, width)
    if len(wrapped) <= lines:
        return "\n".join(wrapped)
    head = wrapped[: lines - 1]
    rest = flat[len(" ".join(head)) :].lstrip()
    return "\n".join([*head, rest[: width - 1].rstrip() + "…"])


class PlanColumn(OptionList):
    """One track of the plan, grouped by need; option ids are record ids.

    Each suggestion is its name and its reason cut to one line (two in a column 56 wide or more),
    so a 24-row terminal shows several per column; enter shows the whole record and reason."""

    DEFAULT_CSS = """
    PlanColumn {
        height: 1fr; border: round $primary; border-title-align: left; scrollbar-size-vertical: 1;
    }
    PlanColumn:focus { border: round $accent; }
    """
    BINDINGS = [
        Binding(
            "enter",
            "select",
            "Details",
            id="plan.detail",
            tooltip="Show the whole record (contact, referral, eligibility, review dates)",
        ),
        Binding("p", "choose('pin')", "Pin", id="plan.pin", tooltip="Pin the suggestion into the plan"),
        Binding(
            "x",
            "choose('dismiss')",
            "Dismiss",
            id="plan.dismiss",
            tooltip="Dismiss it, with a reason (saved in the session)",
        ),
        Binding("c", "choose('copy')", "Copy contact", id="plan.copy", tooltip="Copy its contact details"),
    ]
    WIDE = 56
    """Columns at least this wide show two lines of each reason."""

    class Chosen(Message):
        """The worker asked for something on a suggestion: "detail", "pin", "dismiss" or "copy"."""

        def __init__(self, record_id: str, action: str = "detail") -> None:
            super().__init__()
            self.record_id = record_id
            self.action = action

    def __init__(self, title: str, track: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.border_title = title
        self.track = track
        self._shown: tuple[list[Group], dict[str, str], set[str], str] = ([], {}, set(), "Nothing yet.")
        self._width = 0

    def show(
        self,
        groups: list[Group],
        why: dict[str, str],
        pinned: set[str] | None = None,
        empty: str = "Nothing yet.",
    ) -> None:
        self._shown = (groups, why, pinned or set(), empty)
        self._width = self.scrollable_content_region.width
        self._draw()

    def on_resize(self) -> None:
        if self.scrollable_content_region.width != self._width:
            self._width = self.scrollable_content_region.width
            self._draw()

    def _draw(self) -> None:
        groups, why, pinned, empty = self._shown
        width = (self._width or 40) - 3  # the reason's indent, and a margin
        lines = 2 if width + 3 >= self.WIDE else 1
        highlighted = self.highlighted_option.id if self.highlighted_option is not None else None
        self.clear_options()
        options: list[Option] = []
        for group in groups:
            hits = group.services if self.track == "service" else group.community
            if not hits:
                continue
            heading = group.label.upper()
            if group.urgent:
                heading = "URGENT: " + heading
            if group.matters:
                heading += " (matters to them)"
            options.append(Option(Text(heading, style="bold"), disabled=True))
            for hit in hits:
                record = hit.record
                line = Text()
                if record.id in pinned:
                    line.append("[pinned] ", style="bold")
                line.append(record.name, style="bold")
                reason = why.get(record.id, "")
                if reason:
                    line.append("\n  " + cut(reason, width, lines).replace("\n", "\n  "))
                options.append(Option(line, id=record.id))
        if not options:
            options.append(Option(Text(empty, style="italic"), disabled=True))
        self.add_options(options)
        ids = [o.id for o in options if o.id]
        if highlighted in ids:
            self.highlighted = self.get_option_index(highlighted)  # type: ignore[arg-type]
        elif ids:
            self.highlighted = self.get_option_index(ids[0])

    @property
    def record_id(self) -> str | None:
        option = self.highlighted_option
        return option.id if option is not None and not option.disabled else None

    def action_choose(self, action: str) -> None:
        if self.record_id:
            self.post_message(self.Chosen(self.record_id, action))

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id:
            self.post_message(self.Chosen(event.option.id))


class StatusLine(Static):
    """What the app is doing: loading, working, ready, or what went wrong. In words."""

    DEFAULT_CSS = """
    StatusLine { height: 1; padding: 0 1; background: $boost; color: $text-muted; }
    StatusLine.-busy { color: $text; text-style: bold; }
    StatusLine.-problem { color: $text; background: $warning 40%; }
    """
