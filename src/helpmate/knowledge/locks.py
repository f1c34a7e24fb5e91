"""One writer at a time: an exclusive lock on a folder (the library for an import).

Two imports of the same feed under two areas at once both passed their id checks before either
had written, and left 817 duplicate ids that stopped ``kb index`` and ``suggest``. With the lock
the second waits (saying so), then reads the library as the first left it. ``filelock`` is the
maintained cross-platform lock (an ``fcntl`` lock on Linux, released by the kernel if the holder
dies, so a killed import never leaves the library locked).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from helpmate.errors import HelpmateError

LOCK_NAME = ".helpmate.lock"


@contextmanager
def library_lock(path: Path, what: str) -> Iterator[FileLock]:
    """Hold an exclusive lock on the folder ``path`` (``path/.helpmate.lock``) for ``what``
    ("import", ...); print one line to stderr while another holder makes us wait."""
    path.mkdir(parents=True, exist_ok=True)
    lock = FileLock(path / LOCK_NAME)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:
            print(f"helpmate: waiting for another {what} to finish...", file=sys.stderr, flush=True)
            lock.acquire()
    except OSError as exc:
        raise HelpmateError(
            f"{path / LOCK_NAME}: cannot take the lock ({exc.strerror or exc})",
            hint="check the folder can be written",
        ) from exc
    try:
        yield lock
    finally:
        lock.release()
