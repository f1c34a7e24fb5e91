"""Layers import downwards only, and nothing below the UI imports Textual: the import-linter
contracts in pyproject.toml ([tool.importlinter]), run here so `make test` fails when one breaks
(`make check` runs them too, as `lint-imports`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import helpmate

ROOT = Path(__file__).resolve().parents[2]
# The source this test run imports (the work tree's src/, or site-packages after an install).
SOURCE = Path(helpmate.__file__).resolve().parents[1]
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SOURCE), os.environ.get("PYTHONPATH", "")]),
        # One contract a line, whatever the terminal: the names are matched below.
        "COLUMNS": "300",
    }
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache", "--no-logo", *args, str(ROOT / "pyproject.toml")],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )


def test_every_import_contract_is_kept() -> None:
    result = lint_imports()
    assert result.returncode == 0, result.stdout + result.stderr
    # A contract dropped from pyproject.toml would pass silently: name the ones the README promises.
    for name in (
        "Layers import downwards only",
        "Nothing below the UI imports Textual",
        "The app imports the assistant",
        "Widgets and screens draw plain data",
        "The language-model modules import each other one way",
        "Grounding does not import the composer",
    ):
        assert f"{name}" in result.stdout, f"contract missing: {name}"
    assert "Contracts: 6 kept, 0 broken." in result.stdout
