"""Reading and writing the settings the settings screen changes, in the same TOML config file.

``helpmate.settings`` reads ``config.toml`` (``HELPMATE_CONFIG`` or ``HELPMATE_HOME/config.toml``);
there is no writer below the UI, so a small one lives here: it changes only ``area``, ``[llm]
provider / model / redact`` and ``[tui] theme``, keeps every other key, table and comment of the
file as it was (tomlkit edits the document in place), and writes atomically.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import InlineTable, Table

DEFAULT_THEME = "textual-dark"


def read_config(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def read_theme(path: Path) -> str:
    try:
        theme = read_config(path).get("tui", {}).get("theme")
    except (OSError, tomllib.TOMLDecodeError):
        return DEFAULT_THEME
    return theme if isinstance(theme, str) and theme else DEFAULT_THEME


def save_settings(
    path: Path,
    *,
    area: str | None,
    provider: str,
    model: str,
    redact: bool,
    theme: str,
) -> None:
    """Change the screen's settings in the config file, keeping everything else in it."""
    from helpmate.knowledge.files import atomic_write

    try:
        doc = tomlkit.parse(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        doc = tomlkit.document()
    if area:
        doc["area"] = area
    elif "area" in doc:
        del doc["area"]
    _table(doc, "llm").update(provider=provider, model=model, redact=redact)
    _table(doc, "tui")["theme"] = theme
    atomic_write(path, tomlkit.dumps(doc))


def _table(doc: tomlkit.TOMLDocument, name: str) -> Table | InlineTable:
    table = doc.get(name)
    if not isinstance(table, Table | InlineTable):
        table = tomlkit.table()
        doc[name] = table
    return table
