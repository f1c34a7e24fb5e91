"""Writing a file whole: a reader, a crash or a full disk sees the old content or the new, never half.

Both ways write the text to a temporary file beside the target, flush it to disk and set its mode,
then put it in place: ``atomic_write`` replaces what is there (a records file, a session, a
report); ``write_new`` never replaces anything (an export the worker asked for takes a free name).
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path


def _written_beside(path: Path, text: str, mode: int | None) -> str:
    """A temporary file in ``path``'s folder holding ``text``, on disk, with ``mode`` (or the
    umask's default). The caller moves it into place or removes it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is None:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
        os.chmod(tmp, mode)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def atomic_write(path: Path, text: str, mode: int | None = None) -> None:
    """Replace ``path`` with ``text`` in one step. ``mode`` (0o600) is set, or the umask's."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = _written_beside(path, text, mode)
    try:
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_new(path: Path, text: str, mode: int) -> None:
    """Write ``path`` whole, only if no file has that name (``FileExistsError`` otherwise): the
    temporary file is linked into place, so a file that appears meanwhile is never replaced."""
    tmp = _written_beside(path, text, mode)
    try:
        try:
            os.link(tmp, path)
        except OSError as exc:
            if isinstance(exc, FileExistsError) or exc.errno not in (errno.EPERM, errno.ENOTSUP):
                raise
            _write_exclusive(path, text, mode)  # a file system without hard links (FAT, some mounts)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _write_exclusive(path: Path, text: str, mode: int) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
