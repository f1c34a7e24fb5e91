"""Exclusive locks around work two processes must not do at once: an index build, an import.

Two ``helpmate kb index --rebuild`` at once dropped each other's Chroma collections (one died with
a chromadb ``NotFoundError``); two imports of the same feed under two areas at once both passed
their id checks before either had written, and left 817 duplicate ids that stopped ``kb index``
and ``suggest``. The lock is the maintained ``filelock`` package: an OS lock on a file
(``fcntl.flock``), released by the kernel when the process ends however it ends, so a build or
import that was killed never leaves a stale lock behind. The second process says it is waiting,
waits, then reads what the first left.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from helpmate.errors import HelpmateError

WAIT_S = 900.0
"""How long a second build waits for the first: a cold build of the 1.5k ORUK records with MiniLM
takes about a minute on our 2-core machines, 5.6k records two to three minutes."""

LOCK_NAME = ".helpmate.lock"
"""The lock file an import holds in the library folder."""


@contextmanager
def exclusive(
    path: Path,
    what: str,
    *,
    wait_s: float = WAIT_S,
    notify: Callable[[str], None] | None = None,
    hint: str = "check there is free space and that HELPMATE_HOME is writable",
) -> Iterator[None]:
    """Hold the lock file ``path`` for the block; ``what`` names the work in messages ("index
    build"). ``notify`` hears once that another process holds it and this one waits; a negative
    ``wait_s`` waits for as long as it takes; ``hint`` says what to do when the lock cannot be taken."""
    from filelock import FileLock, Timeout  # ~0.3 s cold: only commands that write pay it

    lock = FileLock(path)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if notify:
                limit = f" (up to {wait_s:.0f} s)" if wait_s >= 0 else ""
                notify(f"another {what} is running; waiting for it to finish{limit}...")
            lock.acquire(timeout=wait_s)
    except Timeout as exc:
        raise HelpmateError(
            f"another {what} is still running after {wait_s:.0f} s (lock {path})",
            hint="let it finish, then run the command again",
        ) from exc
    except OSError as exc:  # a read-only or full disk, a missing folder
        raise HelpmateError(
            f"cannot take the lock {path}: {exc.strerror or exc}",
            hint=hint,
        ) from exc
    try:
        yield
    finally:
        lock.release()


@contextmanager
def library_lock(path: Path, what: str) -> Iterator[None]:
    """Hold an exclusive lock on the folder ``path`` (``path/.helpmate.lock``) for ``what``
    ("import", ...), waiting as long as another holder takes; one line on stderr says so."""
    path.mkdir(parents=True, exist_ok=True)  # an OSError here is the caller's to word (import)

    def waiting(_: str) -> None:
        print(f"helpmate: waiting for another {what} to finish...", file=sys.stderr, flush=True)

    with exclusive(path / LOCK_NAME, what, wait_s=-1, notify=waiting, hint="check the folder can be written"):
        yield
