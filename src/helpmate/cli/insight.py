"""``helpmate insight``: demand, unmet need, asset-map gaps, feedback on records, notices to confirm;
``helpmate insight backfill``: events from the sessions already saved."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from helpmate.cli.common import console_err, echo, progress_bar, safe_json, settings_from_env

if TYPE_CHECKING:
    from helpmate.knowledge.library import Library

app = typer.Typer(
    help="What people need, where, and what the area cannot yet offer (anonymous events and the library).",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
)


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"'{value}' is not a date: write it as YYYY-MM-DD", param_hint=option
        ) from exc


def _check_area(library: Library, area: str | None) -> None:
    from helpmate.errors import HelpmateError

    if area is not None and area not in library.area_slugs:
        known = ", ".join(sorted(library.area_slugs)) or "none"
        raise HelpmateError(f"no area '{area}' in the library", hint=f"areas: {known}", exit_code=1)


def text_tables(doc: dict[str, Any]) -> str:
    """The report's tables as plain text columns, for a terminal."""
    from helpmate.insight.render import number, tables

    out = [f"{number(doc['conversations'], doc['meta']['min_count'])} conversations"]
    for title, header, rows in tables(doc):
        out += ["", title]
        if not rows:
            out.append("  none")
            continue
        cells = [header, *rows]
        widths = [min(40, max(len(r[i]) for r in cells)) for i in range(len(header))]
        for row in cells:
            out.append("  " + "  ".join(c[:40].ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out)


@app.callback()
def insight(
    ctx: typer.Context,
    area: Annotated[str | None, typer.Option(help="Only this area (slug).")] = None,
    since: Annotated[str | None, typer.Option(help="From this date (YYYY-MM-DD; its whole week).")] = None,
    until: Annotated[str | None, typer.Option(help="Up to this date (YYYY-MM-DD).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print every figure as JSON.")] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write index.html, summary.md and metrics.json here.")
    ] = None,
) -> None:
    """Demand, unmet need, asset-map gaps, feedback on records and notices to confirm."""
    if ctx.invoked_subcommand is not None:
        return
    from helpmate.errors import HelpmateError
    from helpmate.insight.reports import Filters, build_report
    from helpmate.insight.store import open_insight
    from helpmate.knowledge.files import atomic_write
    from helpmate.knowledge.library import load_library

    filters = Filters(area, _date(since, "--since"), _date(until, "--until"))
    if filters.since and filters.until and filters.since > filters.until:
        raise typer.BadParameter("--since is after --until", param_hint="--since")
    if report is not None and report.exists() and not report.is_dir():
        raise HelpmateError(
            f"{report} is a file, not a folder", hint="give a folder for --report", exit_code=2
        )
    settings = settings_from_env()
    library = load_library(settings.knowledge, cache_dir=settings.cache_dir / "library")
    _check_area(library, area)
    store = open_insight(settings)
    try:
        doc = build_report(store, library, filters, min_count=settings.insight.min_count)
    finally:
        store.close()
    if report is not None:
        from helpmate.insight.render import render_html, render_markdown

        pages = {
            "index.html": render_html(doc),
            "summary.md": render_markdown(doc),
            "metrics.json": json.dumps(doc, indent=1, ensure_ascii=False),
        }
        for name, text in pages.items():
            atomic_write(report / name, text)
        console_err(f"wrote {report / 'index.html'}, summary.md and metrics.json")
    if as_json:
        echo(safe_json(doc))  # names from feeds carry no escape sequence to the terminal
    elif report is None:
        echo(text_tables(doc))


@app.command("backfill")
def backfill_command() -> None:
    """Add events for the sessions already saved in HELPMATE_HOME/sessions (running it again changes nothing)."""
    from helpmate.assistant.runtime import load_runtime
    from helpmate.insight.backfill import backfill
    from helpmate.insight.store import open_insight

    settings = settings_from_env()
    runtime = load_runtime(settings)
    store = open_insight(settings)
    try:
        with progress_bar("sessions") as bar:
            task = bar.add_task("sessions", total=None)
            done = backfill(
                runtime, store, progress=lambda n, total: bar.update(task, completed=n, total=total)
            )
    finally:
        store.close()
    echo(
        f"{done.written} event(s) written from {done.sessions} session(s)"
        + (f"; {done.empty} empty" if done.empty else "")
        + (f"; {len(done.damaged)} damaged, skipped: {', '.join(done.damaged[:5])}" if done.damaged else "")
    )
