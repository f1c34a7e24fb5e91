"""Reading and writing the settings the settings screen changes, in the same TOML config file.

``helpmate.settings`` reads ``config.toml`` (``HELPMATE_CONFIG`` or ``HELPMATE_HOME/config.toml``);
there is no writer below the UI, so a small one lives here: it keeps every other key and table
of the file, changes only ``area``, ``[llm] provider / model / redact`` and ``[tui] theme``, and
writes atomically. Comments in the file are not kept (tomllib drops them); the screen says so.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

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


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def dumps(data: dict[str, Any]) -> str:
    """TOML for a table of plain values and one level of sub-tables (all the config file holds)."""
    lines = [f"{_key(k)} = {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for name, table in data.items():
        if isinstance(table, dict):
            lines += ["", f"[{_key(name)}]"]
            lines += [f"{_key(k)} = {_value(v)}" for k, v in table.items()]
    return "\n".join(lines).lstrip("\n") + "\n"


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
    from helpmate.knowledge.library import atomic_write

    data = read_config(path)
    if area:
        data["area"] = area
    else:
        data.pop("area", None)
    llm = dict(data.get("llm", {}))
    llm.update(provider=provider, model=model, redact=redact)
    data["llm"] = llm
    tui = dict(data.get("tui", {}))
    tui["theme"] = theme
    data["tui"] = tui
    atomic_write(path, dumps(data))
