"""Imports under faults, with real processes: a full disk, and two imports at once."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpmate.knowledge.library import load_library
from tests.conftest import ORUK, oruk_service, write_json

HELPMATE = [sys.executable, "-m", "helpmate.cli.main"]


def snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".helpmate.lock"
    }


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs: the Bristol feed's import (1.1 MB of YAML) cannot fit."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)], capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_import_on_a_full_disk_is_one_line_and_leaves_the_library_as_it_was(
    small_disk: Path, tmp_path: Path
) -> None:
    library = small_disk / "library"
    env = {**os.environ, "HELPMATE_KNOWLEDGE": str(library)}
    small = write_json(  # an earlier, smaller export of the same feed
        tmp_path / "bristol_services.json", [oruk_service("2a3483ea-8966-4f50-9dc3-7bafa1e5c623", "1625ip")]
    )
    first = subprocess.run(
        [*HELPMATE, "kb", "import", str(small), "--area", "bristol"], capture_output=True, text=True, env=env
    )
    assert first.returncode == 0, first.stderr
    before = snapshot(library)
    full = subprocess.run(
        [*HELPMATE, "kb", "import", str(ORUK / "bristol_services.json"), "--area", "bristol"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert full.returncode == 2 and "Traceback" not in full.stderr
    assert full.stderr.count("\n") == 1 and "No space left on device" in full.stderr
    assert "bristol--bristol-services.yaml" in full.stderr and "the library is unchanged" in full.stderr
    assert snapshot(library) == before  # no partial file, no temporary file left behind


def _wait_for(paths: list[Path], text: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if all(text in p.read_text() for p in paths):
            return
        time.sleep(0.2)
    raise AssertionError(f"not all of {paths} said {text!r}")


def test_two_imports_of_one_feed_under_two_areas_at_once_never_leave_duplicates(
    empty_library: Path, tmp_path: Path
) -> None:
    from helpmate.knowledge.locks import library_lock

    feed = str(ORUK / "north_lincolnshire_services.json")
    procs, errs = [], []
    with library_lock(empty_library, "test"):  # both start while the library is held
        for area in ("north-lincolnshire", "scunthorpe"):
            err = tmp_path / f"{area}.err"
            errs.append(err)
            procs.append(
                subprocess.Popen(
                    [*HELPMATE, "kb", "import", feed, "--area", area],
                    stdout=subprocess.DEVNULL,
                    stderr=open(err, "w"),  # noqa: SIM115 - closed with the process
                )
            )
        _wait_for(errs, "waiting for another import to finish")
    codes = [p.wait(timeout=300) for p in procs]
    assert sorted(codes) == [0, 2]
    loser = errs[codes.index(2)].read_text().splitlines()
    assert loser[-1].startswith("helpmate: error:") and "already in the library" in loser[-1]
    assert "Traceback" not in "".join(loser)
    library = load_library(empty_library)  # strict: a duplicate id would raise
    assert len(library.records) == 738
