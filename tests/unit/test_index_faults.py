"""Real processes on a read-only home, a full disk and two builds at once: searching writes nothing,
a build that cannot write says so in one line and leaves the previous index in use, and a second
build waits for the first instead of dying in chromadb."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from helpmate.errors import HelpmateError
from helpmate.index.builder import read_manifest
from helpmate.index.search import Index
from helpmate.knowledge.locks import exclusive

HELPMATE = [sys.executable, "-m", "helpmate.cli.main"]
SITUATION = "lonely since her husband died, used to love gardening"


def helpmate(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HELPMATE_HOME": str(home)}
    return subprocess.run([*HELPMATE, *args], capture_output=True, text=True, env=env, timeout=300)


def state(home: Path) -> dict[str, tuple[int, str]]:
    """Every file under the home with its mtime and content hash."""
    return {
        str(p.relative_to(home)): (p.stat().st_mtime_ns, hashlib.sha256(p.read_bytes()).hexdigest())
        for p in sorted(home.rglob("*"))
        if p.is_file()
    }


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("helpmate: error:")]
    assert len(errors) == 1, result.stderr
    return errors[0]


def mount(*args: str) -> bool:
    return subprocess.run(["mount", *args], capture_output=True).returncode == 0


@contextmanager
def read_only(home: Path) -> Iterator[Path]:
    """The home, read-only: a read-only bind mount as root (root ignores file modes), else chmod."""
    if os.geteuid() != 0:
        paths = [home, *home.rglob("*")]
        for p in paths:
            p.chmod(p.stat().st_mode & ~0o222)
        try:
            yield home
        finally:
            for p in paths:
                p.chmod(p.stat().st_mode | 0o200)
        return
    view = home.parent / "read-only-home"
    view.mkdir()
    if not mount("--bind", str(home), str(view)):
        pytest.skip("cannot bind-mount here")
    try:
        if not mount("-o", "remount,bind,ro", str(view)):
            pytest.skip("cannot remount read-only here")
        yield view
    finally:
        subprocess.run(["umount", str(view)], check=False)


@pytest.fixture
def indexed_home(library: Path, tmp_path: Path) -> Path:
    home = tmp_path / "home"
    result = helpmate(home, "kb", "index")
    assert result.returncode == 0, result.stderr
    return home


def test_suggest_on_a_read_only_home_works_and_writes_nothing(indexed_home: Path) -> None:
    before = state(indexed_home)
    with read_only(indexed_home) as home:
        result = helpmate(home, "suggest", "--json", SITUATION)
        assert result.returncode == 0, result.stderr
        assert '"services"' in result.stdout
        line = one_line_error(helpmate(home, "kb", "index"))
        assert "writable" in line
    assert state(indexed_home) == before


def test_suggest_changes_no_file_of_the_home(indexed_home: Path) -> None:
    before = state(indexed_home)
    assert helpmate(indexed_home, "suggest", SITUATION).returncode == 0
    assert state(indexed_home) == before  # before, chroma.sqlite3 changed on every suggest


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    where = tmp_path / "small-disk"
    where.mkdir()
    if os.geteuid() != 0 or not mount("-t", "tmpfs", "-o", "size=24m", "tmpfs", str(where)):
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=False)


def fill(disk: Path) -> None:
    with open(disk / "filler", "wb") as out:
        try:
            while True:
                out.write(b"\0" * 65536)
                out.flush()
        except OSError:
            pass


def test_a_full_disk_fails_the_build_in_one_line_and_the_previous_index_stays(
    library: Path, small_disk: Path
) -> None:
    home = small_disk / "home"
    assert helpmate(home, "kb", "index").returncode == 0
    manifest = read_manifest(home / "index")
    fill(small_disk)
    path = library / "records" / "community.yaml"
    path.write_text(path.read_text().replace("Wrenford Men's Shed", "Renamed Shed"), encoding="utf-8")
    line = one_line_error(helpmate(home, "kb", "index"))
    assert "No space left" in line and "previous index is still in use" in line
    assert read_manifest(home / "index") == manifest
    assert sorted(p.name for p in (home / "index").glob("g*")) == [manifest["folder"]]
    before = state(home)
    result = helpmate(home, "suggest", "--json", "-k", "20", "lonely retired joiner who likes woodwork")
    assert result.returncode == 0, result.stderr
    assert "Wrenford Men's Shed" in result.stdout  # the previous index answers
    assert state(home) == before
    (small_disk / "filler").unlink()
    assert helpmate(home, "kb", "index").returncode == 0
    assert Index.load(home / "index").by_id["wr-com-mens-shed"].name == "Renamed Shed"


def test_two_rebuilds_at_once_wait_for_each_other(indexed_home: Path) -> None:
    lock = indexed_home / "index" / "build.lock"
    env = {**os.environ, "HELPMATE_HOME": str(indexed_home)}
    errs = [indexed_home.parent / f"err{i}" for i in range(2)]
    with exclusive(lock, "test"):  # a first build holds the lock while two more start
        procs = [
            subprocess.Popen(
                [*HELPMATE, "kb", "index", "--rebuild"],
                env=env,
                stdout=subprocess.PIPE,
                stderr=open(err, "w"),  # noqa: SIM115 - closed when the process ends
                text=True,
            )
            for err in errs
        ]
        deadline = time.monotonic() + 120
        while not all("another index build is running; waiting" in e.read_text() for e in errs):
            assert time.monotonic() < deadline, [e.read_text() for e in errs]
            time.sleep(0.2)
    for proc, err in zip(procs, errs, strict=True):
        out, _ = proc.communicate(timeout=300)
        assert proc.returncode == 0, err.read_text()
        assert "indexed" in out and "Traceback" not in err.read_text()
    index = Index.load(indexed_home / "index")
    assert index.records
    from helpmate.index.store import VectorStore

    store = VectorStore.open(indexed_home / "index" / "chroma", None)
    assert [n for n in store.names() if n.startswith("helpmate-g")] == [index.manifest["collection"]]


def test_a_build_that_waits_too_long_gives_up_in_one_line(tmp_path: Path) -> None:
    lock = tmp_path / "build.lock"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"from filelock import FileLock; import time; held = FileLock({str(lock)!r}); held.acquire(); "
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        heard: list[str] = []
        with (
            pytest.raises(HelpmateError, match="still running after 1 s") as caught,
            exclusive(lock, "index build", wait_s=1, notify=heard.append),
        ):
            pass
        assert caught.value.hint and heard and "waiting" in heard[0]
    finally:
        holder.kill()
        holder.wait()
    with exclusive(lock, "index build", wait_s=5):  # the kernel released the killed holder's lock
        pass
