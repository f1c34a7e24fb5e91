"""Entry point: the command tree and the one place errors become a line and an exit code."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from helpmate.cli import insight, kb
from helpmate.cli.common import console_err, settings_from_env

app = typer.Typer(
    name="helpmate",
    help="helpmate: standard services and community resources, side by side, for frontline workers.",
    no_args_is_help=False,
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)
app.add_typer(kb.app, name="kb")
app.add_typer(insight.app, name="insight")


@app.callback()
def main(ctx: typer.Context) -> None:
    """With no command, start the chat."""
    if ctx.invoked_subcommand is None:
        from helpmate.tui.run import run_chat

        run_chat(settings_from_env(), area=None)


@app.command()
def locate() -> None:
    """Print the paths in use (state, library, index, sessions) and where they come from."""
    settings = settings_from_env()
    rows = [
        ("home", settings.home, "HELPMATE_HOME"),
        ("knowledge", settings.knowledge, "HELPMATE_KNOWLEDGE"),
        ("index", settings.index_dir, "HELPMATE_HOME"),
        ("vector store", settings.chroma_url or settings.chroma_dir, "HELPMATE_CHROMA_URL"),
        ("sessions", settings.sessions_dir, "HELPMATE_HOME"),
        ("logs", settings.logs_dir, "HELPMATE_HOME"),
        ("models", settings.models_path, "HELPMATE_MODELS_DIR"),
    ]
    for label, value, env in rows:
        origin = "set by " + env if os.environ.get(env) else "default"
        typer.echo(f"{label:<13} {value}  ({origin})")
    typer.echo(f"{'embedder':<13} {settings.embedder} ({settings.embedder_backend})")


@app.command()
def suggest(
    text: Annotated[str | None, typer.Argument(help="The situation, as you would describe it.")] = None,
    area: Annotated[str | None, typer.Option(help="Area slug to suggest for.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    jsonl: Annotated[
        bool, typer.Option("--jsonl", help='Read {"text", "area"} JSON lines on stdin.')
    ] = False,
    limit: Annotated[int, typer.Option("--limit", "-k", min=1, max=50, help="Suggestions per track.")] = 5,
    ids: Annotated[bool, typer.Option("--ids", help="Also list each suggestion's record id.")] = False,
) -> None:
    """Suggest standard services and community resources for a situation."""
    from helpmate.cli.suggest import run_suggest

    run_suggest(settings_from_env(), text, area=area, as_json=as_json, jsonl=jsonl, limit=limit, ids=ids)


@app.command()
def chat(area: Annotated[str | None, typer.Option(help="Area slug.")] = None) -> None:
    """Chat about a person's situation in the terminal app (F1 lists the keys)."""
    from helpmate.tui.run import run_chat

    run_chat(settings_from_env(), area=area)


@app.command()
def serve(
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port on 127.0.0.1.")] = 8000,
    area: Annotated[str | None, typer.Option(help="Area slug.")] = None,
) -> None:
    """Serve the chat app to a browser on this machine only (the printed URL carries a token)."""
    from helpmate.tui.run import serve as serve_app

    settings = settings_from_env()  # a broken config file is reported here, not in every browser tab
    serve_app(port, area=area, max_sessions=settings.serve.max_sessions)


@app.command()
def ask(area: Annotated[str | None, typer.Option(help="Area slug.")] = None) -> None:
    """Line-by-line chat over the engine, with /export, /sessions, /resume, /new."""
    from helpmate.cli.chat import chat_loop

    chat_loop(settings_from_env(), area=area)


@app.command("eval")
def evaluate(
    cases: Annotated[list[Path], typer.Argument(help="Case files (YAML), see evals/TEMPLATE.yaml.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the metrics and every case as JSON.")
    ] = False,
    report: Annotated[
        Path | None, typer.Option(help="Write index.html, summary.md and metrics.json here.")
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="A previous --json or metrics.json to compare with.")
    ] = None,
    thresholds: Annotated[
        Path | None, typer.Option(help="Fail (exit 1) below the floors in this TOML.")
    ] = None,
    limit: Annotated[int, typer.Option("-k", min=1, max=50, help="Suggestions per track.")] = 5,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Every case, not only the weakest.")
    ] = False,
    practice: Annotated[bool, typer.Option("--practice", help="Practice mode for trainees.")] = False,
) -> None:
    """Run evaluation sets through the engine: recall, precision, needs, safeguarding, latency."""
    if practice:
        from helpmate.cli.practice import run_practice

        run_practice(settings_from_env(), cases, limit=limit)
        return
    from helpmate.cli.evaluate import run_eval

    run_eval(
        settings_from_env(),
        cases,
        as_json=as_json,
        limit=limit,
        verbose=verbose,
        report=report,
        baseline=baseline,
        thresholds=thresholds,
    )


def run() -> None:
    from helpmate.errors import HelpmateError

    debug = os.environ.get("HELPMATE_DEBUG", "") not in ("", "0", "false")
    try:
        app()
    except HelpmateError as exc:
        if debug:
            raise
        console_err(f"helpmate: error: {exc.message}" + (f" ({exc.hint})" if exc.hint else ""))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        console_err("helpmate: interrupted")
        sys.exit(130)


if __name__ == "__main__":
    run()
