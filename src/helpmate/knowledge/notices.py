"""Notices on records: what a knowledge manager or a worker learnt before the directory feed did.

A group stops for the summer, a service has a twelve-week waiting list, a club moved hall. Such a
notice is kept in the library as ``notices.yaml`` beside ``records/`` (one notice per record),
so it survives a re-import (imports only write ``records/imported/``), can be read and diffed like
every other library file, and says who set it and when::

    notices:
      - record: bristol-123
        text: Closed until 6 January
        kind: closed
        until: 2027-01-06
        by: sam
        set: 2026-12-03

A notice with an ``until`` date in the past is expired: it is no longer shown with the record and
``helpmate kb stale`` lists it so someone clears or renews it.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from helpmate.errors import HelpmateError
from helpmate.knowledge.files import atomic_write
from helpmate.knowledge.library import read_yaml

NoticeKind = Literal["closed", "waiting", "moved", "info"]
KINDS: tuple[str, ...] = get_args(NoticeKind)
FILENAME = "notices.yaml"
MAX_TEXT = 300
HEADER = (
    "# Notices on records: closures, waiting lists, moves (helpmate kb notice ID TEXT).\n"
    "# One per record; a notice whose 'until' date has passed is ignored and listed by 'kb stale'.\n"
)


@dataclass(frozen=True)
class Notice:
    record: str
    text: str
    kind: NoticeKind = "info"
    until: dt.date | None = None
    by: str = ""
    set: dt.date | None = None

    def current(self, today: dt.date | None = None) -> bool:
        """True while the notice holds (no end date, or the end date is today or later)."""
        return self.until is None or self.until >= (today or dt.date.today())

    def line(self) -> str:
        """The notice in one line, as beside a suggestion: "Closed until 6 January (closed, until 2027-01-06)"."""
        until = f", until {self.until}" if self.until else ""
        return f"{self.text} ({self.kind}{until})"

    def to_json(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "text": self.text,
            "kind": self.kind,
            "until": self.until.isoformat() if self.until else None,
            "by": self.by,
            "set": self.set.isoformat() if self.set else None,
        }


def notices_path(library_root: Path) -> Path:
    return Path(library_root) / FILENAME


def clean_text(text: str) -> str:
    """One line, printable, at most MAX_TEXT characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:MAX_TEXT]


def _date(value: Any, where: str) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise HelpmateError(f"{where}: '{value}' is not a date", hint="write it as YYYY-MM-DD") from exc


def _parse(item: Any, path: Path, number: int) -> Notice:
    where = f"{path}: notice {number}"
    if not isinstance(item, dict):
        raise HelpmateError(f"{where}: expected a mapping with record and text", hint="fix or remove it")
    record, text = str(item.get("record") or "").strip(), clean_text(str(item.get("text") or ""))
    if not record or not text:
        raise HelpmateError(f"{where}: a notice needs a record id and a text", hint="fix or remove it")
    kind = str(item.get("kind") or "info")
    if kind not in KINDS:
        raise HelpmateError(f"{where}: kind '{kind}' is not one of {', '.join(KINDS)}", hint="fix it")
    return Notice(
        record,
        text,
        kind,  # type: ignore[arg-type]
        _date(item.get("until"), where),
        str(item.get("by") or ""),
        _date(item.get("set"), where),
    )


_CACHE: dict[Path, tuple[tuple[int, int], dict[str, Notice]]] = {}


def load_notices(library_root: Path) -> dict[str, Notice]:
    """Every notice in the library by record id (current and expired: see ``Notice.current``).

    No file is no notices. A broken file raises one ``HelpmateError`` naming it and the notice.
    Parsed files are cached by size and modification time, so calling this for each record shown
    costs a ``stat``.
    """
    path = notices_path(library_root)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (stat.st_size, stat.st_mtime_ns)
    cached = _CACHE.get(path)
    if cached and cached[0] == stamp:
        return dict(cached[1])
    data = read_yaml(path) or {}
    items = data.get("notices") if isinstance(data, dict) else None
    if items is None:
        items = []
    if not isinstance(items, list):
        raise HelpmateError(f"{path}: 'notices' must be a list", hint="fix or remove the file")
    found: dict[str, Notice] = {}
    for number, item in enumerate(items, start=1):
        notice = _parse(item, path, number)
        found[notice.record] = notice
    _CACHE[path] = (stamp, found)
    return dict(found)


def _write(library_root: Path, notices: dict[str, Notice]) -> None:
    items = []
    for notice in sorted(notices.values(), key=lambda n: n.record):
        item = {k: v for k, v in notice.to_json().items() if v not in (None, "")}
        if notice.until:
            item["until"] = notice.until  # YAML dates, not quoted strings
        if notice.set:
            item["set"] = notice.set
        items.append(item)
    body = yaml.safe_dump({"notices": items}, sort_keys=False, allow_unicode=True, width=100)
    atomic_write(notices_path(library_root), HEADER + body)


def set_notice(
    library_root: Path,
    record_id: str,
    text: str,
    *,
    kind: str = "info",
    until: dt.date | None = None,
    by: str | None = None,
    today: dt.date | None = None,
) -> Notice:
    """Add or replace the notice on a record (atomically: the old file or the new, never half)."""
    text = clean_text(text)
    if not text:
        raise HelpmateError("the notice is empty", hint='say what changed, e.g. "Closed until 6 January"')
    if kind not in KINDS:
        raise HelpmateError(f"kind '{kind}' is not one of {', '.join(KINDS)}")
    today = today or dt.date.today()
    if until is not None and until < today:
        raise HelpmateError(f"--until {until} is in the past", hint="give a date from today on")
    who = clean_text(by if by is not None else os.environ.get("USER", "") or "unknown")[:60]
    notices = load_notices(library_root)
    notice = Notice(record_id, text, kind, until, who, today)  # type: ignore[arg-type]
    notices[record_id] = notice
    _write(library_root, notices)
    return notice


def clear_notice(library_root: Path, record_id: str) -> bool:
    """Take the notice off a record; False when it had none."""
    notices = load_notices(library_root)
    if notices.pop(record_id, None) is None:
        return False
    _write(library_root, notices)
    return True


def current_notice(library_root: Path, record_id: str, today: dt.date | None = None) -> Notice | None:
    """The record's notice while it holds; None when it has none, it expired, or the file is broken
    (a broken notices file must not stop a worker seeing a record: ``kb notice --list`` says why)."""
    try:
        notice = load_notices(library_root).get(record_id)
    except HelpmateError:
        return None
    return notice if notice is not None and notice.current(today) else None
