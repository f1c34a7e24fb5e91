"""Exclusive locks around work two processes must not do at once: an index build, an import.

Two ``helpmate kb index --rebuild`` at once dropped each other's Chroma collections (one died with
a chromadb ``NotFoundError``). The lock is the maintained ``filelock`` package: an OS lock on a
file (``fcntl.flock``), released by the kernel when the process ends however it ends, so a build
that was killed never leaves a stale lock behind. The second process says it is waiting, waits,
and after ``wait_s`` gives up with one line saying what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from helpmate.errors import HelpmateError

WAIT_S = 900.0
"""How long a second build waits for the first: a cold build of the 1.5k ORUK records with MiniLM
takes about a minute on our 2-core machines, 5.6k records two to three minutes."""


@contextmanager
def exclusive(
    path: Path, what: str, *, wait_s: float = WAIT_S, notify: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold the lock file ``path`` for the block; ``what`` names the work in messages ("index
    build"). ``notify`` hears once that another process holds it and this one waits."""
    from filelock import FileLock, Timeout  # ~0.3 s cold: only commands that write pay it

    lock = FileLock(path)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if notify:
                notify(f"another {what} is running; waiting for it to finish (up to {wait_s:.0f} s)...")
            lock.acquire(timeout=wait_s)
    except Timeout as exc:
        raise HelpmateError(
            f"another {what} is still running after {wait_s:.0f} s (lock {path})",
            hint="let it finish, then run the command again",
        ) from exc
    except OSError as exc:  # a read-only or full disk, a missing folder
        raise HelpmateError(
            f"cannot take the lock {path}: {exc.strerror or exc}",
            hint="check there is free space and that HELPMATE_HOME is writable",
        ) from exc
    try:
        yield
    finally:
        lock.release()
