"""The library: human-editable YAML files, one place of truth.

Layout of a library directory::

    needs.yaml          the needs taxonomy
    areas.yaml          areas (slug, name, postcode prefixes, places)
    safeguarding.yaml   local safeguarding routes
    overrides.yaml      optional: a knowledge manager's track overrides for imported records
    records/**/*.yaml   records, each file a mapping with a ``records`` list

Loading is strict by default (the first problem raises a ``HelpmateError`` naming the file,
the record and what to do); ``validate`` collects every problem instead.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from helpmate.errors import HelpmateError
from helpmate.knowledge.records import Area, Need, Record

try:  # the C loader is about ten times faster on a large imported feed
    _Loader: Any = yaml.CSafeLoader
    _Dumper: Any = yaml.CSafeDumper
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Loader = yaml.SafeLoader
    _Dumper = yaml.SafeDumper

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    severity: Severity
    where: str
    message: str
    kind: str = ""
    """What sort of problem (a key of ``KINDS``), so ``kb validate`` can group 800 of them."""

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"

    @property
    def group(self) -> str:
        """The kind, read from the message where the check that made it gave none."""
        if self.kind:
            return self.kind
        text = self.message.lower()
        if "injection" in text or "instructions to the assistant" in text:
            return "injection"
        return "other"

    @property
    def rank(self) -> int:
        """Problems first: errors (safeguarding routes first), then safety warnings, then the rest."""
        safety = KINDS.get(self.group, ("", False))[1]
        if self.severity == "error":
            return 0 if self.group == "safeguarding" else 1
        return 2 if safety else 3


# kind -> (what it is, in a heading; whether it bears on a citizen's safety)
KINDS: dict[str, tuple[str, bool]] = {
    "safeguarding": ("safeguarding routes (safeguarding.yaml)", True),
    "injection": ("record text that gives instructions to the assistant (a prompt injection?)", True),
    "file": ("library files that cannot be read", False),
    "schema": ("entries that do not fit the schema", False),
    "duplicate-id": ("duplicate record ids", False),
    "unknown-need": ("unknown need tags", False),
    "overrides": ("overrides.yaml", False),
    "contact": ("contact details that look wrong", False),
    "eligibility": ("eligibility fields the record's own text disagrees with", False),
    "review-overdue": ("reviews overdue", False),
    "other": ("other", False),
}


@dataclass
class Overrides:
    """Track choices a knowledge manager makes for imported records (``overrides.yaml``)."""

    record_tracks: dict[str, str] = field(default_factory=dict)
    organisation_tracks: dict[str, str] = field(default_factory=dict)

    def track_for(self, record_id: str, organisation: str) -> str | None:
        if record_id in self.record_tracks:
            return self.record_tracks[record_id]
        return self.organisation_tracks.get(organisation.strip().lower())


@dataclass
class Library:
    root: Path
    needs: list[Need]
    areas: list[Area]
    records: list[Record]
    record_files: dict[str, Path]
    overrides: Overrides
    problems: list[Problem] = field(default_factory=list)

    @property
    def need_ids(self) -> set[str]:
        return {n.id for n in self.needs}

    def need(self, need_id: str) -> Need | None:
        return next((n for n in self.needs if n.id == need_id), None)

    def record(self, record_id: str) -> Record | None:
        return next((r for r in self.records if r.id == record_id), None)

    @property
    def area_slugs(self) -> set[str]:
        slugs = {a.slug for a in self.areas}
        for record in self.records:
            slugs.update(record.areas)
        return slugs

    def record_paths(self) -> list[Path]:
        return sorted((self.root / "records").rglob("*.yaml"))


def relative(path: Path, root: Path | None = None) -> str:
    """A path as a person would like to read it: relative to the library or the cwd when possible."""
    for base in (root, Path.cwd()):
        if base is None:
            continue
        try:
            return str(path.resolve().relative_to(base.resolve()))
        except ValueError:
            continue
    return str(path)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning every way it can be broken into one actionable line."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise HelpmateError(f"{path}: file not found", hint="check the path") from exc
    except OSError as exc:
        raise HelpmateError(f"{path}: cannot read ({exc.strerror})") from exc
    if b"\x00" in raw[:4096]:
        raise HelpmateError(
            f"{path}: this is a binary file, not YAML", hint="restore it from version control"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise HelpmateError(f"{path}: not UTF-8 text (byte {exc.start})", hint="save it as UTF-8") from exc
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise HelpmateError(
            f"{path}:{line}: broken YAML ({exc.problem})", hint="fix the file by hand or restore it from git"
        ) from exc
    except yaml.YAMLError as exc:
        raise HelpmateError(
            f"{path}: broken YAML ({exc})", hint="fix the file or restore it from git"
        ) from exc


def describe_validation_error(exc: ValidationError) -> str:
    parts = []
    for err in exc.errors()[:3]:
        loc = ".".join(str(p) for p in err["loc"]) or "record"
        parts.append(f"{loc}: {err['msg']}")
    more = f" (and {len(exc.errors()) - 3} more)" if len(exc.errors()) > 3 else ""
    return "; ".join(parts) + more


def _items(data: Any, key: str, path: Path) -> list[Any]:
    if data is None:
        return []
    if not isinstance(data, dict) or not isinstance(data.get(key, []), list):
        raise HelpmateError(
            f"{path}: expected a mapping with a '{key}' list at the top",
            hint=f"start the file with '{key}:' followed by '- ' items",
        )
    return list(data.get(key) or [])


def _load_typed(path: Path, key: str, model: Any, problems: list[Problem] | None) -> list[Any]:
    out = []
    for i, item in enumerate(_items(read_yaml(path), key, path), start=1):
        try:
            out.append(model.model_validate(item))
        except ValidationError as exc:
            ident = item.get("id") or item.get("slug") if isinstance(item, dict) else None
            where = f"{path}: {key} item {i}" + (f" ({ident})" if ident else "")
            _report(problems, Problem("error", where, describe_validation_error(exc), "schema"))
    return out


def _report(problems: list[Problem] | None, problem: Problem) -> None:
    if problems is None:
        raise HelpmateError(f"{problem.where}: {problem.message}", hint="fix the record, then run again")
    problems.append(problem)


def load_overrides(root: Path) -> Overrides:
    path = root / "overrides.yaml"
    if not path.exists():
        return Overrides()
    data = read_yaml(path) or {}
    shape = "'track' must be a mapping with 'records' and 'organisations' mappings under it"
    if not isinstance(data, dict):
        raise HelpmateError(f"{path}: expected a mapping with 'track' at the top", hint=shape)
    tracks = data.get("track") or {}
    if not isinstance(tracks, dict) or not all(
        isinstance(tracks.get(k) or {}, dict) for k in ("records", "organisations")
    ):
        raise HelpmateError(f"{path}: {shape}", hint="see docs/importing.md")
    records = {str(k): str(v) for k, v in (tracks.get("records") or {}).items()}
    orgs = {str(k).strip().lower(): str(v) for k, v in (tracks.get("organisations") or {}).items()}
    for name, value in [*records.items(), *orgs.items()]:
        if value not in ("service", "community"):
            raise HelpmateError(f"{path}: track for '{name}' is '{value}'", hint="use service or community")
    return Overrides(records, orgs)


def load_records_file(path: Path, problems: list[Problem] | None = None) -> list[Record]:
    return _load_typed(path, "records", Record, problems)


_SCHEMA = hashlib.sha256(json.dumps(Record.model_json_schema(), sort_keys=True).encode()).hexdigest()[:12]


class _ParsedFile(BaseModel):
    """What the parse cache keeps of one records file. JSON, validated against the record schema on
    load: a damaged or planted cache is data that fails validation and is parsed again, never code
    that runs (a pickle in HELPMATE_HOME, which a team may share, could run any command)."""

    model_config = ConfigDict(extra="forbid")
    key: str
    records: list[Record]


def _cached_records(path: Path, cache_dir: Path | None) -> list[Record]:
    """Records of one file, from a parse cache keyed by the file's size and mtime when it is fresh.

    Parsing and validating the 5.6k records of the shared feeds takes about 2 s; the cache brings a
    re-index with nothing changed well under the 3 s goal. A strict load only: a file with problems
    raises before anything is cached.
    """
    if cache_dir is None:
        return load_records_file(path)
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{_SCHEMA}"
    cache = cache_dir / f"{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:20]}.json"
    try:
        cached = _ParsedFile.model_validate_json(cache.read_bytes())
        if cached.key == key:
            return cached.records
    except (OSError, ValueError):  # missing, unreadable, not JSON or not records: parse the file
        pass
    records = load_records_file(path)
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp.write_text(_ParsedFile(key=key, records=records).model_dump_json(), encoding="utf-8")
        os.replace(tmp, cache)
        cache.with_suffix(".pkl").unlink(missing_ok=True)  # an older helpmate's pickle: never read
    except OSError:  # a cache we cannot write (full disk, read-only home) only costs time
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
    return records


def load_library(root: Path, *, collect: bool = False, cache_dir: Path | None = None) -> Library:
    """Load a library. With ``collect`` every problem is listed in ``problems`` instead of raised.

    ``cache_dir`` (strict loads only) keeps parsed record files between runs.
    """
    root = Path(root)
    if not root.is_dir():
        raise HelpmateError(
            f"library not found at {root}", hint="set HELPMATE_KNOWLEDGE or run 'helpmate kb init DIR'"
        )
    problems: list[Problem] | None = [] if collect else None
    needs_path = root / "needs.yaml"
    if not needs_path.exists():
        raise HelpmateError(
            f"{needs_path}: the needs taxonomy is missing", hint="run 'helpmate kb init' to add it"
        )
    needs = _collecting(
        problems, [], lambda: with_shipped_kinds(_load_typed(needs_path, "needs", Need, problems)), root
    )
    areas_path = root / "areas.yaml"
    areas: list[Area] = []
    if areas_path.exists():
        areas = _collecting(problems, [], lambda: _load_typed(areas_path, "areas", Area, problems), root)
    overrides = _collecting(problems, Overrides(), lambda: load_overrides(root), root, "overrides")

    records: list[Record] = []
    record_files: dict[str, Path] = {}
    for path in sorted((root / "records").rglob("*.yaml")):
        try:
            loaded = load_records_file(path, problems) if collect else _cached_records(path, cache_dir)
        except HelpmateError as exc:
            if problems is None:
                raise
            problems.append(Problem("error", relative(path, root), exc.message.split(": ", 1)[-1], "file"))
            continue
        for record in loaded:
            if record.id in record_files:
                _report(
                    problems,
                    Problem(
                        "error",
                        f"{path}: record {record.id}",
                        f"duplicate id, also in {relative(record_files[record.id], root)}",
                        "duplicate-id",
                    ),
                )
                continue
            record_files[record.id] = path
            records.append(apply_overrides(record, overrides))
    return Library(root, needs, areas, records, record_files, overrides, problems or [])


def with_shipped_kinds(needs: list[Need]) -> list[Need]:
    """Needs as a library written before kinds existed has them: a need without ``kind`` (and
    ``over_when``) takes them from the shipped taxonomy's need of the same id, else ``identity``
    (a fact of the person's life that no tense ends)."""
    if all(n.kind is not None for n in needs):
        return needs
    shipped = {n.id: n for n in _shipped_needs()}
    filled = []
    for need in needs:
        if need.kind is None:
            twin = shipped.get(need.id)
            update: dict[str, Any] = {"kind": twin.kind if twin and twin.kind else "identity"}
            if twin and not need.over_when:
                update["over_when"] = list(twin.over_when)
            if twin and not need.names:
                update["names"] = list(twin.names)
            need = need.model_copy(update=update)
        filled.append(need)
    return filled


_SHIPPED: list[Need] = []


def _shipped_needs() -> list[Need]:
    if not _SHIPPED:
        from helpmate import data

        _SHIPPED.extend(_load_typed(data.path("library", "needs.yaml"), "needs", Need, None))
    return _SHIPPED


def _collecting(problems: list[Problem] | None, empty: Any, read: Any, root: Path, kind: str = "file") -> Any:
    """``read()``; when problems are collected, a file that cannot be read at all becomes one
    problem (with its file and line) and ``empty`` stands in, so the other files are still checked."""
    if problems is None:
        return read()
    try:
        return read()
    except HelpmateError as exc:
        where, _, message = exc.message.partition(": ")
        problems.append(Problem("error", relative(Path(where), root), message or where, kind))
        return empty


def apply_overrides(record: Record, overrides: Overrides) -> Record:
    """Imported records take a knowledge manager's override; hand-written ones keep their track."""
    if record.track_origin == "manual":
        return record
    track = overrides.track_for(record.id, record.organisation)
    if track is None or track == record.track and record.track_origin == "override":
        return record
    return record.model_copy(update={"track": track, "track_origin": "override"})


# --------------------------------------------------------------------------- writing


def _str_representer(dumper: Any, value: str) -> Any:
    # Multi-line text as a literal block: readable and diff-friendly.
    style = "|" if "\n" in value and not any(line != line.rstrip() for line in value.split("\n")) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class _RecordDumper(_Dumper):  # type: ignore[misc,valid-type]
    pass


_RecordDumper.add_representer(str, _str_representer)


def dump_records(records: Iterable[Record], header: dict[str, Any] | None = None) -> str:
    """YAML for a records file: stable key order, empty fields left out, so diffs stay small."""
    items = []
    for record in records:
        data = record.model_dump(mode="json", exclude_defaults=True)
        data.setdefault("track", record.track)
        items.append(data)
    doc: dict[str, Any] = dict(header or {})
    doc["records"] = items
    return yaml.dump(doc, Dumper=_RecordDumper, sort_keys=False, allow_unicode=True, width=100)


# --------------------------------------------------------------------------- validation


def validate_library(
    root: Path, today: dt.date | None = None, categories: Iterable[str] = ()
) -> list[Problem]:
    """Every problem in a library, most serious first (``Problem.rank``): the safeguarding routes,
    then every other file helpmate reads (needs, areas, overrides, notices, records) and each record's
    needs, eligibility, reviews, contacts and injected instructions (``libcheck.record_problems``).
    ``categories`` are the alert categories the engine raises."""
    from helpmate.knowledge.libcheck import (
        notices_problems,
        record_problems,
        safeguarding_problems,
        taxonomy_problems,
    )

    today = today or dt.date.today()
    library = load_library(root, collect=True)
    problems = safeguarding_problems(root, library.area_slugs, tuple(categories))
    problems += list(library.problems) + taxonomy_problems(library.needs, library.areas)
    problems += notices_problems(root, {record.id for record in library.records})
    for record in library.records:
        where = f"{relative(library.record_files[record.id], root)}: record {record.id}"
        problems += record_problems(record, where, library.need_ids if library.needs else None, today)
    order = list(KINDS)
    return sorted(problems, key=lambda p: (p.rank, order.index(p.group) if p.group in order else len(order)))
