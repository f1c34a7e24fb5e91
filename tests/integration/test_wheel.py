"""A normal (non-editable) install finds its sample library, prompts and language data.

The wheel is built from this checkout and installed into a fresh virtual environment. The
environment borrows the dependencies already installed beside the tests (through a .pth file, so
nothing is downloaded), but not helpmate itself: the package comes from the wheel alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

pytestmark = pytest.mark.integration


def test_the_wheel_installs_and_suggests_from_its_own_sample_library(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(wheels),
            str(REPO),
        ],
        check=True,
        timeout=600,
    )
    wheel = next(wheels.glob("helpmate-*.whl"))
    with zipfile.ZipFile(wheel) as archive:  # the bank's vectors spare a first index minutes of embedding
        assert "helpmate/data/safeguarding/vectors-all-MiniLM-L6-v2.npz" in archive.namelist()
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # Dependencies from the test environment; helpmate only from the wheel.
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        timeout=600,
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HELPMATE_") and k not in ("PYTHONPATH", "VIRTUAL_ENV")
    }
    env.update(HELPMATE_HOME=str(tmp_path / "home"), HELPMATE_EMBEDDER="hashing", HF_HUB_OFFLINE="1")
    where = subprocess.run(
        [
            str(python),
            "-c",
            "import helpmate, helpmate.settings as s; print(helpmate.__file__); print(s.SAMPLE_LIBRARY)",
        ],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    ).stdout.split()
    assert all(str(site) in line for line in where), where
    run = [str(python), "-m", "helpmate.cli.main"]
    subprocess.run([*run, "kb", "index"], check=True, env=env, cwd=tmp_path, timeout=600, capture_output=True)
    out = subprocess.run(
        [*run, "suggest", "--json", "Lonely since her husband died, she used to sing in a choir."],
        check=True,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=600,
    )
    data = json.loads(out.stdout)
    assert data["community"] and data["needs"], data
