"""``helpmate kb``: the knowledge manager's commands (init, import, index, search, validate, stale, show)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer

from helpmate.cli.common import console_err, echo, safe, safe_json, settings_from_env
from helpmate.cli.notices import notice

app = typer.Typer(
    help="Manage the knowledge library and its index.", no_args_is_help=True, rich_markup_mode=None
)
app.command("notice")(notice)


@app.command("init")
def init(
    directory: Annotated[
        Path | None, typer.Argument(help="Library directory (default HELPMATE_KNOWLEDGE).")
    ] = None,
) -> None:
    """Create a library: the needs taxonomy and safeguarding template, and an empty records folder."""
    from helpmate.knowledge.importers.pipeline import init_library

    root = directory or settings_from_env().knowledge
    added = init_library(root)
    typer.echo(f"{'created' if added else 'already a library:'} {root}")


@app.command("import")
def import_(
    path: Annotated[Path, typer.Argument(help="The feed: an ORUK JSON file, or an HSDS folder or zip.")],
    fmt: Annotated[str, typer.Option("--format", help="oruk or hsds.")] = "oruk",
    area: Annotated[str, typer.Option(help="Area slug the records serve, e.g. bristol.")] = ...,  # type: ignore[assignment]
    source: Annotated[
        str | None,
        typer.Option(help="Name of the feed (default: the feed's own, or its file name without dates)."),
    ] = None,
) -> None:
    """Import an Open Referral feed into the library: a new export of the same feed (by area and
    source) updates its records in place; atomic; importing again changes nothing."""
    from helpmate.knowledge.importers import import_feed
    from helpmate.knowledge.library import relative

    settings = settings_from_env()
    report = import_feed(settings.knowledge, path, fmt, area, source)
    where = relative(report.target, settings.knowledge)
    for warning in report.warnings:
        console_err(f"helpmate: warning: {warning}")
    echo(
        f"imported {report.imported} records of feed '{report.source}' into {where}: {report.added} added, "
        f"{report.updated} updated, {report.removed} removed, {report.unchanged} unchanged"
        + ("" if report.changed else " (no change)")
    )
    if report.moved_from is not None:
        echo(f"(the feed's file was {relative(report.moved_from, settings.knowledge)})")
    echo("tracks: " + ", ".join(f"{k} {v}" for k, v in sorted(report.tracks.items())))
    for rid, name, dropped in report.duplicates:
        echo(
            f"duplicate id {rid}: kept '{name}', dropped {dropped} other cop{'y' if dropped == 1 else 'ies'}"
        )
    if report.skipped:
        echo(f"skipped {len(report.skipped)} record(s):")
        for where_, why in report.skipped:
            echo(f"  {where_}: {why}")
    if report.changed:
        echo("next: run 'helpmate kb index' to update the index")


@app.command("index")
def index(rebuild: Annotated[bool, typer.Option(help="Embed everything again.")] = False) -> None:
    """Build or update the vector and keyword indexes from the library (incremental; one build at a
    time; Ctrl-C keeps what was embedded)."""
    from helpmate.cli.indexing import run_index

    run_index(rebuild)


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to search for.")],
    area: Annotated[str | None, typer.Option(help="Area slug.")] = None,
    track: Annotated[str | None, typer.Option(help="service or community.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
    ids: Annotated[bool, typer.Option("--ids", help="Also list each hit's record id.")] = False,
) -> None:
    """Raw hybrid hits for a query (dense and keyword fused, no need expansion)."""
    from helpmate.cli.common import open_runtime
    from helpmate.index.search import Filters
    from helpmate.index.text import tokenize

    if track not in (None, "service", "community"):
        raise typer.BadParameter("use service or community", param_hint="--track")
    settings = settings_from_env()
    runtime = open_runtime(settings, area, check_default=False)
    vector = runtime.embedder.embed([query])[0]
    rows = []
    for tr in [track] if track else ["service", "community"]:
        for hit in runtime.index.hybrid(
            vector, tokenize(query), track=tr, filters=Filters(area=area), limit=limit
        ):
            rows.append((hit.score, tr, hit.record))
    rows.sort(key=lambda row: -row[0])
    rows = rows[:limit]
    if as_json:
        echo(safe_json([{"id": r.id, "name": r.name, "track": t, "score": round(s, 4)} for s, t, r in rows]))
        return
    print_hits(rows, ids=ids)


def print_hits(rows: list[tuple[float, str, Any]], *, ids: bool) -> None:
    """Names and what each record says, readable at 80 columns; ids only with --ids."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    from helpmate.knowledge.text import one_line

    console = Console(highlight=False)
    table = Table(expand=True)
    table.add_column("score", width=6, no_wrap=True)
    table.add_column("track", width=9, no_wrap=True)
    table.add_column("name", ratio=2, overflow="fold")
    table.add_column("what it says", ratio=3)
    for score, tr, record in rows:
        table.add_row(
            f"{score:.3f}", tr, escape(safe(record.name)), escape(safe(one_line(record.description, 90)))
        )
    console.print(table)
    if ids:
        for _, _, record in rows:
            console.print(f"  {escape(safe(record.id))}  {escape(safe(record.name))}", soft_wrap=True)


@app.command("validate")
def validate(
    strict: Annotated[bool, typer.Option(help="Treat warnings as problems.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Every problem, one a line.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Every problem as JSON.")] = False,
) -> None:
    """Check every library file: safeguarding routes, needs, areas, overrides, records.

    Problems are grouped by kind, most serious first (errors, then safety warnings such as
    prompt injections, then the rest). Exit 0 clean (warnings allowed unless --strict),
    1 problems found, 2 cannot run.
    """
    from helpmate.cli.validate import report_problems

    settings = settings_from_env()
    if not report_problems(settings.knowledge, verbose=verbose, as_json=as_json, strict=strict):
        raise typer.Exit(1)


@app.command("stale")
def stale(
    days: Annotated[int, typer.Option(help="Also list reviews due within this many days.")] = 0,
) -> None:
    """List records whose review is overdue (or due soon), oldest first."""
    from helpmate.knowledge.library import load_library
    from helpmate.knowledge.notices import load_notices

    library = load_library(settings_from_env().knowledge)
    horizon = dt.date.today() + dt.timedelta(days=days)
    due = sorted(
        (r for r in library.records if r.review_due and r.review_due <= horizon),
        key=lambda r: r.review_due or horizon,
    )
    for record in due:
        echo(f"{record.review_due}  {record.id}  {record.name}  ({record.organisation or 'no organisation'})")
    echo(f"{len(due)} of {len(library.records)} records due for review by {horizon}")
    expired = [n for n in load_notices(library.root).values() if not n.current()]
    for item in sorted(expired, key=lambda n: n.until or dt.date.min):
        echo(f"{item.until}  {item.record}  notice expired: {item.text} (kb notice --clear {item.record})")
    if expired:
        echo(f"{len(expired)} expired notice(s): clear or renew them")


@app.command("show")
def show(record_id: Annotated[str, typer.Argument(help="Record id.")]) -> None:
    """Print one record as it is in the library (YAML)."""
    from helpmate.errors import HelpmateError
    from helpmate.knowledge.library import dump_records, load_library, relative

    library = load_library(settings_from_env().knowledge)
    record = library.record(record_id)
    if record is None:
        raise HelpmateError(
            f"no record with id '{record_id}'", hint="try 'helpmate kb search WORDS'", exit_code=1
        )
    echo(f"# {relative(library.record_files[record.id], library.root)}")
    echo(dump_records([record]).split("records:\n", 1)[1])
    console_err("")
