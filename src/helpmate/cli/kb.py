"""``helpmate kb``: the knowledge manager's commands (init, import, index, search, validate, stale, show)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from helpmate.cli.common import console_err, progress_bar, settings_from_env

app = typer.Typer(
    help="Manage the knowledge library and its index.", no_args_is_help=True, rich_markup_mode=None
)


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
) -> None:
    """Import an Open Referral feed into the library (atomic; importing again changes nothing)."""
    from helpmate.knowledge.importers import import_feed
    from helpmate.knowledge.library import relative

    settings = settings_from_env()
    report = import_feed(settings.knowledge, path, fmt, area)
    where = relative(report.target, settings.knowledge)
    typer.echo(
        f"imported {report.imported} records into {where}: {report.added} added, {report.updated} updated, "
        f"{report.removed} removed, {report.unchanged} unchanged" + ("" if report.changed else " (no change)")
    )
    typer.echo("tracks: " + ", ".join(f"{k} {v}" for k, v in sorted(report.tracks.items())))
    for rid, name, dropped in report.duplicates:
        typer.echo(
            f"duplicate id {rid}: kept '{name}', dropped {dropped} other cop{'y' if dropped == 1 else 'ies'}"
        )
    if report.skipped:
        typer.echo(f"skipped {len(report.skipped)} record(s):")
        for where_, why in report.skipped:
            typer.echo(f"  {where_}: {why}")
    if report.changed:
        typer.echo("next: run 'helpmate kb index' to update the index")


@app.command("index")
def index(rebuild: Annotated[bool, typer.Option(help="Embed everything again.")] = False) -> None:
    """Build or update the vector and keyword indexes from the library (incremental)."""

    from helpmate.assistant.runtime import open_store
    from helpmate.index.builder import build_index
    from helpmate.index.embedders import make_embedder, prepare
    from helpmate.knowledge.library import load_library

    settings = settings_from_env()
    library = load_library(settings.knowledge, cache_dir=settings.cache_dir / "library")
    embedder = make_embedder(settings.embedder, settings.models_path, settings.embedder_backend)
    prepare(embedder, say=console_err)  # the ONNX export, once per machine: never at query time
    store = open_store(settings)
    with progress_bar("embedding") as bar:
        task = bar.add_task("embed", total=None)

        def progress(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = build_index(library, settings.index_dir, store, embedder, rebuild=rebuild, progress=progress)
    if report.up_to_date:
        typer.echo(f"index up to date: {report.records} records ({report.seconds:.2f} s)")
    else:
        typer.echo(
            f"indexed {report.records} records: {report.embedded} embedded, {report.reused} reused, "
            f"{report.removed} removed, generation {report.generation} ({report.seconds:.1f} s)"
        )


@app.command("search")
def search(
    query: Annotated[str, typer.Argument(help="Words to search for.")],
    area: Annotated[str | None, typer.Option(help="Area slug.")] = None,
    track: Annotated[str | None, typer.Option(help="service or community.")] = None,
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=100)] = 10,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Raw hybrid hits for a query (dense and keyword fused, no need expansion)."""
    from helpmate.assistant.runtime import load_runtime
    from helpmate.index.search import Filters
    from helpmate.index.text import tokenize
    from helpmate.knowledge.text import one_line

    if track not in (None, "service", "community"):
        raise typer.BadParameter("use service or community", param_hint="--track")
    runtime = load_runtime(settings_from_env())
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
        typer.echo(
            json.dumps([{"id": r.id, "name": r.name, "track": t, "score": round(s, 4)} for s, t, r in rows])
        )
        return
    for score, tr, record in rows:
        typer.echo(f"{score:.4f}  {tr:<9}  {record.id}  {record.name}  {one_line(record.description, 70)}")


@app.command("validate")
def validate(strict: Annotated[bool, typer.Option(help="Treat warnings as problems.")] = False) -> None:
    """Check the library: schema, duplicate ids, unknown needs (errors); overdue reviews, odd contacts (warnings).

    Exit 0 clean (warnings allowed unless --strict), 1 problems found, 2 cannot run.
    """
    from helpmate.knowledge.library import validate_library

    settings = settings_from_env()
    problems = validate_library(settings.knowledge)
    errors = [p for p in problems if p.severity == "error"]
    warnings = [p for p in problems if p.severity == "warning"]
    for problem in problems:
        typer.echo(str(problem))
    typer.echo(f"{len(errors)} error(s), {len(warnings)} warning(s) in {settings.knowledge}")
    if errors or (strict and warnings):
        raise typer.Exit(1)


@app.command("stale")
def stale(
    days: Annotated[int, typer.Option(help="Also list reviews due within this many days.")] = 0,
) -> None:
    """List records whose review is overdue (or due soon), oldest first."""
    from helpmate.knowledge.library import load_library

    library = load_library(settings_from_env().knowledge)
    horizon = dt.date.today() + dt.timedelta(days=days)
    due = sorted(
        (r for r in library.records if r.review_due and r.review_due <= horizon), key=lambda r: r.review_due
    )
    for record in due:
        typer.echo(
            f"{record.review_due}  {record.id}  {record.name}  ({record.organisation or 'no organisation'})"
        )
    typer.echo(f"{len(due)} of {len(library.records)} records due for review by {horizon}")


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
    typer.echo(f"# {relative(library.record_files[record.id], library.root)}")
    typer.echo(dump_records([record]).split("records:\n", 1)[1])
    console_err("")
