"""The import pipeline: read a feed, resolve duplicates, give track and needs, write atomically.

A feed is the same feed whatever its file is called (a fresh export is often saved under a dated
name): it is known by its area and its *source*, given with ``--source`` or else the feed's own
name (an HSDS package's) or its file name without dates and copy numbers. An import owns one
file, ``records/imported/<area>--<source>.yaml``. Importing the same feed again rewrites that
file with exactly the same bytes (nothing changes); a newer version updates its records in place
(added, updated, removed, unchanged), keeping the needs a knowledge manager confirmed by hand
(``needs``) and the track choices of ``overrides.yaml``. The file is written to a temporary file
and renamed into place, under an exclusive lock on the library, so a failed import (a full disk
too) leaves the library exactly as it was and two imports at once never both pass the id checks.

Duplicate ids inside a feed: the copy with a usable description wins; among those, the one
modified most recently; then the first in the feed. Every duplicate is reported.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import ValidationError

from helpmate.errors import HelpmateError
from helpmate.knowledge.files import atomic_write
from helpmate.knowledge.importers.base import Draft, FeedRead
from helpmate.knowledge.importers.hsds import read_hsds
from helpmate.knowledge.importers.oruk import read_oruk
from helpmate.knowledge.importers.unchanged import (
    ImportNote,
    feed_hash,
    find_unchanged,
    inputs_hash,
    write_note,
)
from helpmate.knowledge.library import (
    Library,
    describe_validation_error,
    dump_records,
    load_library,
    load_records_file,
    relative,
)
from helpmate.knowledge.locks import library_lock
from helpmate.knowledge.records import Record
from helpmate.knowledge.rules import NeedTagger, decide_track
from helpmate.settings import SAMPLE_LIBRARY

FORMATS: dict[str, Callable[[Path], FeedRead]] = {"oruk": read_oruk, "hsds": read_hsds}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TEMPLATE_FILES = ("needs.yaml", "safeguarding.yaml")
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"
# What makes two exports of one feed differ in name: dates, times, epoch stamps, "(1)" copies.
_DATED = re.compile(
    r"(?<![0-9])(?:"
    r"\d{4}[-_.]?\d{2}[-_.]?\d{2}(?:[t_ -]?\d{2}[-_.:h]?\d{2}(?:[-_.:m]?\d{2})?z?)?"  # 2025-01-15T10-30
    r"|\d{1,2}[-_.]\d{1,2}[-_.]\d{4}"  # 15-01-2025
    r"|\d{4}[-_.]\d{2}"  # 2025-01
    r"|1\d{9}"  # 1566177582 (seconds since 1970)
    r"|(?:19|20)\d{2}"  # 2025
    r")(?![0-9])"
    rf"|(?<![a-z]){_MONTH}[-_ ]?(?:19|20)\d{{2}}(?![0-9])|\(\d+\)|\bcopy\b",
    re.IGNORECASE,
)
# The stock name of the Open Referral template's datapackage.json, never set by most publishers.
_TEMPLATE_NAMES = {"human-services-data", "hsds", "datapackage"}


@dataclass
class ImportReport:
    target: Path
    source: str = ""
    moved_from: Path | None = None
    """The feed's file before it took its name from the source (an older import's dated name)."""
    warnings: list[str] = field(default_factory=list)
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    duplicates: list[tuple[str, str, int]] = field(default_factory=list)
    """(id, name kept, copies dropped)"""
    tracks: dict[str, int] = field(default_factory=dict)
    changed: bool = False

    @property
    def imported(self) -> int:
        return self.added + self.updated + self.unchanged


def init_library(root: Path) -> bool:
    """Give an empty directory the taxonomy and safeguarding template; True when anything was added."""
    root.mkdir(parents=True, exist_ok=True)
    added = False
    for name in TEMPLATE_FILES:
        if not (root / name).exists() and (SAMPLE_LIBRARY / name).exists():
            shutil.copyfile(SAMPLE_LIBRARY / name, root / name)
            added = True
    (root / "records").mkdir(exist_ok=True)
    return added


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "feed"


def source_from_name(name: str) -> str:
    """A feed's source from a file name: 'Bristol services 2025-01-15 (1).json' -> 'bristol-services'."""
    stem = re.sub(r"\.(?:json|zip|csv|ya?ml)$", "", name.strip(), flags=re.IGNORECASE)
    return _slug(_DATED.sub(" ", stem))


def feed_source(path: Path, feed_name: str, given: str | None) -> str:
    """``--source``, else the feed's own name (unless it is the template's), else the file's."""
    if given is not None:
        if not re.search(r"[a-z0-9]", given.lower()):
            raise HelpmateError(
                f"--source '{given}' has no letters or digits",
                hint="name the feed, e.g. --source bristol-services",
            )
        return _slug(given)
    own = _slug(feed_name) if feed_name.strip() else ""
    if own and own not in _TEMPLATE_NAMES:
        return own
    return source_from_name(path.name)


def _header(path: Path) -> dict[str, object]:
    """The feed, format, area and source an imported file starts with (read without its records)."""
    try:
        with open(path, encoding="utf-8") as handle:
            head = []
            for line in handle:
                if line.startswith("records:"):
                    break
                head.append(line)
        data = yaml.safe_load("".join(head))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def find_feed_file(library_root: Path, area: str, source: str, legacy: set[str]) -> Path | None:
    """The file an earlier import of this feed wrote: same area and source. Files written before
    sources were recorded are known by their feed's file name without dates (one of ``legacy``)."""
    canonical = library_root / "records" / "imported" / f"{area}--{source}.yaml"
    found = []
    for path in sorted((library_root / "records" / "imported").glob("*.yaml")):
        head = _header(path)
        if head.get("area") != area:
            continue
        if "source" in head:
            same = head["source"] == source
        else:
            same = source_from_name(str(head.get("feed", "")).split(":", 1)[-1]) in legacy | {source}
        if same:
            found.append(path)
    if canonical in found:
        return canonical
    return found[0] if found else None


def _dedupe(drafts: list[Draft], report: ImportReport) -> list[Draft]:
    groups: dict[str, list[Draft]] = {}
    for draft in drafts:
        groups.setdefault(draft.source_id, []).append(draft)
    kept = []
    for source_id, copies in groups.items():
        if len(copies) == 1:
            kept.append(copies[0])
            continue
        best = sorted(
            enumerate(copies),
            key=lambda pair: (not pair[1].fields.get("description"), _neg(pair[1].modified), pair[0]),
        )[0][1]
        kept.append(best)
        report.duplicates.append((source_id, best.fields["name"], len(copies) - 1))
    return kept


def _neg(date_text: str) -> str:
    # Sort later dates first with a plain ascending sort.
    return "".join(chr(0x10FFFF - ord(c)) for c in date_text)


def _normalise_url(url: str) -> str:
    url = url.strip()
    if url and not url.startswith(("http://", "https://")) and "." in url and " " not in url:
        return "https://" + url.lstrip("/")
    return url


def import_feed(
    library_root: Path, path: Path, fmt: str, area: str, source: str | None = None
) -> ImportReport:
    """Import a feed under ``area``; ``source`` names it (default: from the feed or its file)."""
    if fmt not in FORMATS:
        raise HelpmateError(f"unknown format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    if not SLUG.match(area):
        raise HelpmateError(
            f"area '{area}' is not a slug", hint="use lower-case words joined by '-', e.g. north-lincs"
        )
    path = Path(path)
    inputs = None
    with contextlib.suppress(OSError):  # a feed that cannot be read is said by the full import
        inputs = feed_hash(library_root, path, fmt, area, source)
        if (found := find_unchanged(library_root, inputs)) is not None:
            return _again(*found)
    feed = FORMATS[fmt](path)  # raises HelpmateError for a file that cannot be read at all
    if not feed.drafts:
        raise HelpmateError(
            f"{path}: no usable records in this feed"
            + (f" ({len(feed.skipped)} skipped, first: {feed.skipped[0][1]})" if feed.skipped else ""),
            hint="check the file and the --format",
        )
    name = feed_source(path, feed.name, source)
    try:
        with library_lock(library_root, "import"):
            init_library(library_root)
            report = _import(library_root, path, fmt, area, name, feed, explicit=source is not None)
            if inputs is not None:
                # Hashed again: init_library may have just added the taxonomy the hash covers.
                _leave_note(library_root, feed_hash(library_root, path, fmt, area, source), report)
            return report
    except OSError as exc:  # a full disk, a read-only library: nothing was half-written
        where = exc.filename or library_root
        raise HelpmateError(
            f"{where}: cannot write the import ({exc.strerror or (exc.args[0] if exc.args else exc)})",
            hint="free some space or fix the permissions, then import again; the library is unchanged",
        ) from exc


def _again(target: Path, note: ImportNote) -> ImportReport:
    """The report of the import that wrote ``target``, given again: the feed is as it was then."""
    report = ImportReport(target=target, source=note.source, unchanged=note.records, tracks=dict(note.tracks))
    report.skipped, report.duplicates, report.warnings = (
        list(note.skipped),
        list(note.duplicates),
        list(note.warnings),
    )
    return report


def _leave_note(library_root: Path, inputs: str, report: ImportReport) -> None:
    with contextlib.suppress(OSError):  # without a note the next import only reads the feed again
        _write_note(library_root, inputs, report)


def _write_note(library_root: Path, inputs: str, report: ImportReport) -> None:
    note = ImportNote(
        inputs=inputs_hash(library_root, inputs, report.target),
        file_sha256=hashlib.sha256(report.target.read_bytes()).hexdigest(),
        source=report.source,
        records=report.imported,
        skipped=report.skipped,
        duplicates=report.duplicates,
        tracks=report.tracks,
        warnings=report.warnings,
    )
    write_note(report.target, note)


def _import(
    library_root: Path, path: Path, fmt: str, area: str, source: str, feed: FeedRead, *, explicit: bool
) -> ImportReport:
    library = load_library(library_root)
    canonical = library_root / "records" / "imported" / f"{area}--{source}.yaml"
    legacy = {source_from_name(path.name)}
    found = find_feed_file(library_root, area, source, legacy)
    report = ImportReport(target=found or canonical, source=source, skipped=list(feed.skipped))
    report.warnings = list(feed.warnings)
    if found is None and canonical.exists():
        raise HelpmateError(
            f"{relative(canonical, library_root)} holds another feed ({_header(canonical).get('feed', '?')})",
            hint="name this one with --source NAME, or delete that file to replace it",
        )
    drafts = _dedupe(feed.drafts, report)
    previous = {r.id: r for r in load_records_file(report.target)} if report.target.exists() else {}
    records = _records(drafts, library, fmt, area, source, previous, report)
    if previous and not explicit and not previous.keys() & {r.id for r in records}:
        raise HelpmateError(
            f"{path}: looks like a different feed from {relative(report.target, library_root)} "
            f"(none of its {len(previous)} record ids are in it)",
            hint=f"import it beside that one with --source NAME, or replace it with --source {source}",
        )
    target = report.target
    clashes = [
        (r.id, library.record_files[r.id])
        for r in records
        if r.id in library.record_files and library.record_files[r.id].resolve() != target.resolve()
    ]
    if clashes:
        rid, other = clashes[0]
        held = _header(other)
        hint = "a feed is imported under one area; to move it to another, delete that file first"
        if held.get("area") == area and held.get("source"):
            hint = f"if it is the same feed, import it with --source {held['source']} to update it"
        raise HelpmateError(
            f"{path}: {len(clashes)} record id(s) already in the library from another file, "
            f"e.g. {rid} in {relative(other, library_root)}"
            + (f" (area {held['area']})" if held.get("area") else ""),
            hint=hint,
        )
    for record in records:
        old = previous.pop(record.id, None)
        if old is None:
            report.added += 1
        elif old == record:
            report.unchanged += 1
        else:
            report.updated += 1
    report.removed = len(previous)
    header = {"feed": f"{fmt}:{path.name}", "format": fmt, "area": area, "source": source}
    try:
        _write(dump_records(records, header=header), target, canonical, report)
    except OSError as exc:
        exc.filename = exc.filename or str(report.target)  # a failed write() names no file
        raise
    return report


def _write(text: str, target: Path, canonical: Path, report: ImportReport) -> None:
    if target != canonical and not canonical.exists():
        # An older import's file (a dated name) takes the source's name as it is updated; put back
        # if the write fails, so the library is as it was.
        target.rename(canonical)
        report.moved_from, report.target = target, canonical
        try:
            atomic_write(canonical, text)
        except BaseException:
            canonical.rename(target)
            raise
        report.changed = True
    elif not target.exists() or target.read_text(encoding="utf-8") != text:
        atomic_write(target, text)
        report.changed = True


def _records(
    drafts: list[Draft],
    library: Library,
    fmt: str,
    area: str,
    source: str,
    previous: dict[str, Record],
    report: ImportReport,
) -> list[Record]:
    """Records from drafts: track (an override wins), suggested needs, and the needs a knowledge
    manager confirmed in the earlier import kept."""
    tagger = NeedTagger(library.needs)
    feed_name = f"{fmt}:{source}"  # the feed, not its file: a renamed export changes no record
    records: list[Record] = []
    for draft in drafts:
        data = dict(draft.fields)
        data["contact"] = {
            **data.get("contact", {}),
            "url": _normalise_url(data.get("contact", {}).get("url", "")),
        }
        override = library.overrides.track_for(draft.source_id, data.get("organisation", ""))
        track = override or decide_track(
            data["name"], data.get("description", ""), data.get("organisation", "")
        )
        suggested = tagger.suggest(data["name"], f"{data.get('description', '')} {draft.extra_text}")
        old = previous.get(draft.source_id)
        confirmed = list(old.needs) if old is not None else []
        data.update(
            id=draft.source_id,
            track=track,
            track_origin="override" if override else "rule",
            needs=confirmed,
            needs_suggested=[n for n in suggested if n not in confirmed],
            areas=[area],
            source={"feed": feed_name, "id": draft.source_id},
        )
        try:
            records.append(Record.model_validate(data))
        except ValidationError as exc:
            report.skipped.append((f"record {draft.source_id}", describe_validation_error(exc)))
    for record in records:
        report.tracks[record.track] = report.tracks.get(record.track, 0) + 1
    return records
