"""``helpmate kb index``: one build at a time, what it is doing shown from its first second, and a
Ctrl-C that keeps what was embedded.

A knowledge manager indexing Bristol (817 records) saw a bar for minutes, then nothing for 2.5
minutes, and a Ctrl-C threw away 5 minutes of embedding. Now every phase is named as it starts
(on a terminal in the bar, otherwise one line each on stderr), the build embeds into a cache it
keeps (``helpmate.index.vectors``), and an interruption says how much the next run will not redo.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

import typer

from helpmate.cli.common import console_err, settings_from_env

if TYPE_CHECKING:
    from helpmate.index.builder import BuildReport

LOCK = "build.lock"
NOTE_EVERY_S = 30.0
"""Away from a terminal, how often a long embedding says how far it has got."""


class PhaseView:
    """What the build is doing: a bar with the phase, the count and the time left on a terminal;
    one line per phase (and a count every 30 s while embedding) when stderr is not a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.phase = ""
        self.noted = 0.0
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> PhaseView:
        if self.tty:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                transient=True,
                console=Console(stderr=True),
            )
            self._bar.start()
            self._task = self._bar.add_task("starting", total=None)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._bar is not None:
            self._bar.stop()

    def __call__(self, phase: str, done: int = 0, total: int | None = None) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=phase, completed=done, total=total)
        elif phase != self.phase:
            console_err(f"helpmate: {phase}" + (f" ({total} to do)" if total else "") + "...")
            self.noted = time.monotonic()
        elif total and time.monotonic() - self.noted >= NOTE_EVERY_S:
            console_err(f"helpmate: {phase}: {done} of {total}")
            self.noted = time.monotonic()
        self.phase = phase


def run_index(rebuild: bool) -> None:
    from helpmate.assistant.runtime import open_store
    from helpmate.errors import HelpmateError
    from helpmate.index.builder import BuildInterrupted, build_index
    from helpmate.index.embedders import embedder_for, prepare
    from helpmate.knowledge.library import load_library
    from helpmate.knowledge.locks import exclusive

    settings = settings_from_env()
    embedder = embedder_for(settings)  # a wrong HELPMATE_EMBEDDER is one line before anything is made
    index_dir = settings.index_dir
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HelpmateError(
            f"cannot write the index in {index_dir}: {exc.strerror or exc}",
            hint="free some space or make HELPMATE_HOME writable",
        ) from exc
    # The ONNX export, once per machine (in a child process: this one never imports torch).
    prepare(embedder, say=lambda line: console_err(f"helpmate: {line}"))
    try:
        with (
            exclusive(index_dir / LOCK, "index build", notify=lambda line: console_err(f"helpmate: {line}")),
            PhaseView() as show,
        ):
            show("reading the library")
            library = load_library(settings.knowledge, cache_dir=settings.cache_dir / "library")
            report = build_index(
                library,
                index_dir,
                open_store(settings),
                embedder,
                rebuild=rebuild,
                progress=show,
            )
    except BuildInterrupted as exc:
        kept = (
            f"kept {exc.kept} embedded record{'' if exc.kept == 1 else 's'}" if exc.kept else "kept nothing"
        )
        console_err(
            f"helpmate: interrupted: {kept}; run 'helpmate kb index' to go on "
            "(the previous index is still in use)"
        )
        raise typer.Exit(130) from None
    except KeyboardInterrupt:
        console_err("helpmate: interrupted before anything was embedded; the previous index is still in use")
        raise typer.Exit(130) from None
    typer.echo(describe(report))


def describe(report: BuildReport) -> str:
    if report.up_to_date:
        return f"index up to date: {report.records} records ({report.seconds:.2f} s)"
    resumed = f", {report.resumed} kept from an interrupted build" if report.resumed else ""
    return (
        f"indexed {report.records} records: {report.embedded} embedded, {report.reused} reused{resumed}, "
        f"{report.removed} removed, generation {report.generation} ({report.seconds:.1f} s)"
    )
