"""The import pipeline: read a feed, resolve duplicates, give track and needs, write atomically.

An import owns one file, ``records/imported/<area>--<feed>.yaml``. Importing the same feed again
rewrites that file with exactly the same bytes (nothing changes); a newer version of the feed
replaces it (records gone from the feed are removed). The file is written to a temporary file and
renamed into place, so a failed import leaves the library exactly as it was.

Duplicate ids inside a feed: the copy with a usable description wins; among those, the one
modified most recently; then the first in the feed. Every duplicate is reported.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from helpmate.errors import HelpmateError
from helpmate.knowledge.importers.base import Draft, FeedRead
from helpmate.knowledge.importers.hsds import read_hsds
from helpmate.knowledge.importers.oruk import read_oruk
from helpmate.knowledge.library import (
    atomic_write,
    describe_validation_error,
    dump_records,
    load_library,
    load_records_file,
    relative,
)
from helpmate.knowledge.records import Record
from helpmate.knowledge.rules import NeedTagger, decide_track
from helpmate.settings import SAMPLE_LIBRARY

FORMATS: dict[str, Callable[[Path], FeedRead]] = {"oruk": read_oruk, "hsds": read_hsds}
SLUG = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
TEMPLATE_FILES = ("needs.yaml", "safeguarding.yaml")


@dataclass
class ImportReport:
    target: Path
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


def import_feed(library_root: Path, path: Path, fmt: str, area: str) -> ImportReport:
    if fmt not in FORMATS:
        raise HelpmateError(f"unknown format '{fmt}'", hint=f"use one of: {', '.join(FORMATS)}")
    if not SLUG.match(area):
        raise HelpmateError(
            f"area '{area}' is not a slug", hint="use lower-case words joined by '-', e.g. north-lincs"
        )
    path = Path(path)
    feed = FORMATS[fmt](path)  # raises HelpmateError for a file that cannot be read at all
    if not feed.drafts:
        raise HelpmateError(
            f"{path}: no usable records in this feed"
            + (f" ({len(feed.skipped)} skipped, first: {feed.skipped[0][1]})" if feed.skipped else ""),
            hint="check the file and the --format",
        )
    init_library(library_root)
    library = load_library(library_root)
    target = library_root / "records" / "imported" / f"{area}--{_slug(path.stem)}.yaml"
    report = ImportReport(target=target, skipped=list(feed.skipped))
    drafts = _dedupe(feed.drafts, report)
    tagger = NeedTagger(library.needs)
    feed_name = f"{fmt}:{path.name}"

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
        data.update(
            id=draft.source_id,
            track=track,
            track_origin="override" if override else "rule",
            needs_suggested=tagger.suggest(data["name"], f"{data.get('description', '')} {draft.extra_text}"),
            areas=[area],
            source={"feed": feed_name, "id": draft.source_id},
        )
        try:
            records.append(Record.model_validate(data))
        except ValidationError as exc:
            report.skipped.append((f"record {draft.source_id}", describe_validation_error(exc)))
    for record in records:
        report.tracks[record.track] = report.tracks.get(record.track, 0) + 1

    clashes = [
        (r.id, library.record_files[r.id])
        for r in records
        if r.id in library.record_files and library.record_files[r.id].resolve() != target.resolve()
    ]
    if clashes:
        rid, other = clashes[0]
        raise HelpmateError(
            f"{path}: {len(clashes)} record id(s) already in the library from another file, "
            f"e.g. {rid} in {relative(other, library_root)}",
            hint="a feed is imported once, under one area; delete the other file first to move it",
        )

    previous = {r.id: r for r in load_records_file(target)} if target.exists() else {}
    for record in records:
        old = previous.pop(record.id, None)
        if old is None:
            report.added += 1
        elif old == record:
            report.unchanged += 1
        else:
            report.updated += 1
    report.removed = len(previous)
    text = dump_records(records, header={"feed": feed_name, "format": fmt, "area": area})
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        atomic_write(target, text)
        report.changed = True
    return report
