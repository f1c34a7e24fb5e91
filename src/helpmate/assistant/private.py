"""Files that hold what citizens said: readable by the worker's own account only.

Sessions and exports are 0600 files in 0700 folders, and a ``HELPMATE_HOME`` that helpmate creates
is 0700, so another local user cannot read them (they were 0644 in 0755 folders). An export never
replaces a file that is already there: it takes the next free name and says which.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path, *, tighten: bool = True) -> Path:
    """``path`` as a folder, every folder created here 0700. ``tighten`` also makes an existing
    ``path`` 0700 (helpmate's own sessions/ and exports/, left 0755 by earlier versions); a folder
    the worker named (``/export ~/Desktop``) is theirs and is left as it is."""
    missing = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=DIR_MODE)
        os.chmod(folder, DIR_MODE)  # mkdir's mode passes through the umask
    if tighten and not missing and path.is_dir() and not path.is_symlink():
        with contextlib.suppress(PermissionError):  # not ours: left as it is
            os.chmod(path, DIR_MODE)
    return path


def write_new(path: Path, text: str) -> None:
    """Write ``path`` (0600) whole, only if no file has that name: ``FileExistsError`` otherwise.
    The text goes to a temporary file first and is linked into place, so a reader never sees half
    of it and a file that appears meanwhile is never replaced."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        try:
            os.link(tmp, path)
        except OSError as exc:
            if isinstance(exc, FileExistsError) or exc.errno not in (errno.EPERM, errno.ENOTSUP):
                raise
            _write_exclusive(path, text)  # a file system without hard links (FAT, some mounts)
    finally:
        Path(tmp).unlink(missing_ok=True)


def _write_exclusive(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
