"""Small helpers shared by the command modules: safe printing, settings, areas, the index."""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from helpmate.errors import HelpmateError

if TYPE_CHECKING:
    from rich.progress import Progress

    from helpmate.assistant.runtime import Runtime
    from helpmate.index.embedders import Embedder
    from helpmate.settings import Settings

# Terminal control sequences: what a citizen's words, a feed or a record can carry that a
# terminal would obey (OSC 52 writes the clipboard, CSI 2J clears the screen, a bare CR overwrites
# a line). ESC sequences first, whole; then any C0/C1 control left, except newline and tab.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI ... final byte
    r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"  # OSC, DCS, SOS, PM, APC
    r"|\x1b[ -/]*[0-~]?"  # any other ESC sequence
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_C1 = re.compile(r"[\x80-\x9f]")


def safe(text: object) -> str:
    """``text`` with every terminal control sequence and control character removed (newline and
    tab kept): anything the CLI prints that came from a person, a feed or a record goes through it."""
    return _CONTROLS.sub("", _ESCAPES.sub("", str(text)))


def safe_json(data: Any) -> str:
    """One line of JSON. ``json.dumps`` escapes C0 controls (ESC too) but, with non-ASCII kept
    readable, prints C1 controls raw; they are escaped here as well."""
    text = json.dumps(data, ensure_ascii=False)
    return _C1.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def console_err(line: str) -> None:
    print(safe(line), file=sys.stderr, flush=True)


def echo(line: object = "") -> None:
    print(safe(line), flush=True)


def progress_bar(label: str) -> Progress:
    """A progress bar on stderr for work over a second; silent when stderr is not a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


def settings_from_env() -> Settings:
    import tomllib

    from pydantic import ValidationError

    from helpmate.settings import config_path, load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "HELPMATE_" + "__".join(str(p) for p in err["loc"]).upper()
        raise HelpmateError(
            f"{name}: {err['msg']}", hint=f"fix that environment variable or the setting in {config_path()}"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise HelpmateError(
            f"{config_path()}: not valid TOML ({exc})", hint="fix or remove the config file"
        ) from exc
    except UnicodeDecodeError as exc:
        raise HelpmateError(
            f"{config_path()}: not UTF-8 text (byte {exc.start})", hint="save the config file as UTF-8"
        ) from exc
    except OSError as exc:
        raise HelpmateError(
            f"{config_path()}: cannot read the config file ({exc.strerror or exc})",
            hint="fix its permissions, or set HELPMATE_CONFIG to another file",
        ) from exc


# --------------------------------------------------------------------------- areas


def known_areas(runtime: Runtime) -> list[str]:
    """The areas a library has: areas.yaml and every record's areas."""
    index = runtime.index
    return sorted({a.slug for a in index.areas} | {s for r in index.records for s in r.areas})


def list_areas(known: Iterable[str], most: int = 10) -> str:
    """'a, b, c', or the first ``most`` and how many there are."""
    names = sorted(known)
    if not names:
        return "the library has no areas (add them to areas.yaml, or import a feed with --area)"
    if len(names) <= most:
        return "the areas are: " + ", ".join(names)
    return f"the first {most} of {len(names)} areas are: " + ", ".join(names[:most])


def check_area(area: object, known: Iterable[str], origin: str) -> None:
    """Refuse an area the library does not have, in one line that lists those it has."""
    known = set(known)
    if area is None or area in known:
        return
    raise HelpmateError(f"unknown area '{safe(area)}' ({origin}); {list_areas(known)}", exit_code=2)


def area_origin(settings: Settings, given: str | None) -> str:
    """Where the area in use came from, for an error a person can act on."""
    from helpmate.settings import config_path

    if given:
        return "from --area"
    if os.environ.get("HELPMATE_AREA"):
        return "from HELPMATE_AREA"
    return f"from 'area' in {config_path()}"


# --------------------------------------------------------------------------- the index


def ensure_index(settings: Settings, *, rebuild_stale: bool = False) -> Embedder:
    """Build the index when there is none (a trainer or worker expects the command to work, as
    ``make chat`` does), or when the library changed since and ``rebuild_stale``; progress and
    what is happening go to stderr. The embedder's ONNX files are made first if this machine has
    none yet (once, in a child process, as ``kb index`` does). Returns the embedder, so the model
    loads once."""
    from helpmate.index.builder import library_fingerprint, read_manifest
    from helpmate.index.embedders import embedder_for, prepare, problem

    embedder = embedder_for(settings)
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        why = f"no index yet for {settings.knowledge}: building it"
    elif rebuild_stale and manifest.get("fingerprint") != _fingerprint(settings, library_fingerprint):
        why = "the library changed since the index was built: updating it"
    else:
        why = ""
    # Only for an index this embedder built (or will build): another embedder's index is refused
    # by load_runtime in one line before anything is made.
    if (not manifest or why or manifest.get("embedder") == embedder.name) and problem(embedder):
        prepare(embedder, say=lambda line: console_err(f"helpmate: {line}"))
    return _build(settings, why, embedder) if why else embedder


def _fingerprint(settings: Settings, fingerprint: Any) -> str | None:
    try:
        return str(fingerprint(settings.knowledge))
    except OSError:
        return None


def _build(settings: Settings, why: str, embedder: Embedder) -> Embedder:
    from helpmate.assistant.private import private_dir
    from helpmate.assistant.runtime import open_store
    from helpmate.cli.indexing import LOCK, PhaseView
    from helpmate.index.builder import build_index, read_manifest
    from helpmate.knowledge.library import load_library
    from helpmate.knowledge.locks import exclusive

    if not settings.home.exists():  # 0700: sessions of what citizens said are kept here too
        private_dir(settings.home, tighten=False)
    try:
        settings.index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise HelpmateError(
            f"cannot write the index in {settings.index_dir}: {exc.strerror or exc}",
            hint="free some space or make HELPMATE_HOME writable",
        ) from exc
    # The same lock as 'helpmate kb index': an automatic build and a manual one never run at once.
    with exclusive(
        settings.index_dir / LOCK, "index build", notify=lambda line: console_err(f"helpmate: {line}")
    ):
        if why.startswith("no index") and read_manifest(settings.index_dir) is not None:
            return embedder  # built by whoever held the lock before us
        library = load_library(settings.knowledge, cache_dir=settings.cache_dir / "library")
        console_err(f"helpmate: {why} ({len(library.records)} records; 'helpmate kb index' does the same)")
        store = open_store(settings)
        with PhaseView() as show:
            report = build_index(library, settings.index_dir, store, embedder, progress=show)
    console_err(
        f"helpmate: index ready: {report.records} records, {report.embedded} embedded ({report.seconds:.1f} s)"
    )
    return embedder


def open_runtime(
    settings: Settings, area: str | None, *, rebuild_stale: bool = False, check_default: bool = True
) -> Runtime:
    """The engine's parts for a command: the index built if missing, the area in use checked (the
    given one, else with ``check_default`` HELPMATE_AREA or the config file's, which once gave
    0 + 0 suggestions silently when misspelt)."""
    from helpmate.assistant.runtime import load_runtime

    embedder = ensure_index(settings, rebuild_stale=rebuild_stale)
    runtime = load_runtime(settings, embedder)
    used = area or (settings.area if check_default else None)
    check_area(used, known_areas(runtime), area_origin(settings, area))
    return runtime
