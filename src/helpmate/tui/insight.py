"""The Insight screen: demand, unmet need and the asset map's gaps for the area in use, the same
tables ``helpmate insight`` prints. The database is read in a thread worker, never on the UI thread
(opening it imports SQLAlchemy, and a team's server may be slow or down: the screen says so)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Label, Static

from helpmate.tui.screens import MODAL_CSS

if TYPE_CHECKING:
    from helpmate.settings import Settings

SHOWN = (
    "Demand: needs by conversations",
    "Demand per area and locality",
    "Unmet need (no record that fits well)",
    "Asset-map gaps (from the library)",
    "Notices to confirm (from workers' dismissals)",
)


def load_report(settings: Settings, area: str | None) -> dict[str, Any]:
    """The report for one area (all areas when None), as ``helpmate insight --area`` builds it."""
    from helpmate.insight.reports import Filters, build_report
    from helpmate.insight.store import open_insight
    from helpmate.knowledge.library import load_library

    library = load_library(settings.knowledge, cache_dir=settings.cache_dir / "library")
    known = area if area in library.area_slugs else None
    store = open_insight(settings)
    try:
        return build_report(store, library, Filters(area=known), min_count=settings.insight.min_count)
    finally:
        store.close()


def report_tables(doc: dict[str, Any]) -> list[Table]:
    from helpmate.insight.render import tables

    found = []
    for title, header, rows in tables(doc):
        if title not in SHOWN:
            continue
        table = Table(title=title, title_justify="left", title_style="bold", expand=True, show_lines=False)
        for name in header:
            table.add_column(name, overflow="fold")
        for row in rows[:12]:
            table.add_row(*row)
        if not rows:
            table.add_row("none", *[""] * (len(header) - 1))
        found.append(table)
    return found


class InsightScreen(ModalScreen[None]):
    """Read only; escape closes it."""

    DEFAULT_CSS = MODAL_CSS.format(name="InsightScreen") + "InsightScreen > Vertical { max-width: 130; }"
    BINDINGS = [Binding("escape,q", "close", "Close", id="insight.close")]

    def __init__(self, settings: Settings, area: str | None, area_name: str | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.area = area
        """The slug the report reads by (None: all areas)."""
        self.area_name = area_name or area
        """What the title says: the area's name, never its slug when the name is known."""

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(f"Insight: {self.area_name or 'all areas'}", classes="title")
            yield Static("Reading the insight database...", id="insight-status", classes="hint")
            yield VerticalScroll(id="insight-tables")
            yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True)
    def load(self) -> None:
        try:
            doc = load_report(self.settings, self.area)
        except Exception as exc:  # a broken database or library: say it, keep the app up
            message = getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"
            self.app.call_from_thread(self.failed, str(message))
            return
        self.app.call_from_thread(self.show, doc)

    def show(self, doc: dict[str, Any]) -> None:
        from helpmate.insight.render import number

        k = doc["meta"]["min_count"]
        count = number(doc["conversations"], k)
        self.query_one("#insight-status", Static).update(
            f"{count[0].upper() + count[1:]} conversations recorded; a figure from fewer than {k} shows as "
            f"'fewer than {k}'. The gaps come from the library alone. "
            "The full report, with charts: helpmate insight --report DIR"
        )
        box = self.query_one("#insight-tables", VerticalScroll)
        for table in report_tables(doc):
            box.mount(Static(table))

    def failed(self, message: str) -> None:
        self.query_one("#insight-status", Static).update(
            Text(f"Cannot show insight: {message}", style="bold")
        )

    def action_close(self) -> None:
        self.dismiss(None)
