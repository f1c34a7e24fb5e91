"""Importing a feed again when nothing has changed, without reading it again.

A knowledge manager imports the same export every night, and most nights nothing in it changed.
Reading a region's feed (200,000 records: HTML cleaned, who each record is for, needs suggested)
takes minutes, so each import leaves a note beside the file it wrote
(``records/imported/<area>--<source>.import.json``) saying what it was made from and what it
reported. An import whose inputs are the same as the note's, into a file that is byte for byte what
that import wrote, is the same import: its report is given again and nothing is read or written.

The inputs are everything the records depend on: the feed's bytes, the format, area and source, the
library's taxonomy and track overrides, the other record files (a record id there would now clash),
and helpmate's own import code and data (a new rule changes the records). Anything that differs, or a
note that is missing, damaged or planted (it is data checked against a schema, never code), means a
full import, as before.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

import helpmate
from helpmate.knowledge.files import atomic_write

CHUNK = 1 << 20
_CODE: str | None = None


class ImportNote(BaseModel):
    """What one import was made from (``inputs``), what it wrote and what it reported."""

    model_config = ConfigDict(extra="forbid")
    inputs: str
    file_sha256: str
    source: str
    records: int
    skipped: list[tuple[str, str]] = []
    duplicates: list[tuple[str, str, int]] = []
    tracks: dict[str, int] = {}
    warnings: list[str] = []


def note_path(target: Path) -> Path:
    return target.with_name(f"{target.stem}.import.json")


def _file_hash(path: Path, digest: Any = None) -> Any:
    digest = digest or hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest


def _code_hash() -> str:
    """helpmate's import code and the data it reads (eligibility words, cleaning), once a process."""
    global _CODE
    if _CODE is None:
        package = Path(helpmate.__file__).parent
        digest = hashlib.sha256()
        for path in sorted([*(package / "knowledge").rglob("*.py"), *(package / "data").glob("*.yaml")]):
            digest.update(path.relative_to(package).as_posix().encode())
            _file_hash(path, digest)
        _CODE = digest.hexdigest()
    return _CODE


def feed_hash(library_root: Path, feed: Path, fmt: str, area: str, source: str | None) -> str:
    """One hash of the feed, how it is imported, the taxonomy, the overrides and helpmate's code."""
    digest = hashlib.sha256(f"{fmt}\0{area}\0{source or ''}\0{_code_hash()}\0".encode())
    files = sorted(p for p in feed.rglob("*") if p.is_file()) if feed.is_dir() else [feed]
    for path in files:
        digest.update(f"feed:{path.relative_to(feed) if feed.is_dir() else path.name}\0".encode())
        _file_hash(path, digest)
    for name in ("needs.yaml", "overrides.yaml"):
        path = library_root / name
        digest.update(f"{name}\0".encode())
        if path.is_file():
            _file_hash(path, digest)
    return digest.hexdigest()


def inputs_hash(library_root: Path, feed: str, target: Path) -> str:
    """``feed`` (``feed_hash``) with the library's other record files: their ids decide whether the
    feed's ids clash, so any change among them (size or time is enough) means a full import."""
    digest = hashlib.sha256(feed.encode())
    records = library_root / "records"
    for path in sorted(records.rglob("*.yaml")) if records.is_dir() else []:
        if path.resolve() == target.resolve():
            continue
        stat = path.stat()
        digest.update(f"{path.relative_to(records).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}\0".encode())
    return digest.hexdigest()


def find_unchanged(library_root: Path, feed: str) -> tuple[Path, ImportNote] | None:
    """The imported file an import of this feed wrote, if it is still exactly as written and
    nothing else it depends on has changed."""
    folder = library_root / "records" / "imported"
    for note_file in sorted(folder.glob("*.import.json")) if folder.is_dir() else []:
        try:
            note = ImportNote.model_validate_json(note_file.read_bytes())
        except (OSError, ValueError, ValidationError):
            continue  # damaged or planted: the import reads the feed
        target = note_file.with_name(note_file.name.removesuffix(".import.json") + ".yaml")
        if not target.is_file() or note.inputs != inputs_hash(library_root, feed, target):
            continue
        with contextlib.suppress(OSError):
            if _file_hash(target).hexdigest() == note.file_sha256:
                return target, note
    return None


def write_note(target: Path, note: ImportNote) -> None:
    """Leave the note beside the file; one that cannot be written only costs the next import time."""
    with contextlib.suppress(OSError):
        atomic_write(note_path(target), note.model_dump_json(indent=1))
