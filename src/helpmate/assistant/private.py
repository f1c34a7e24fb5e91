"""Files that hold what citizens said: readable by the worker's own account only.

Sessions and exports are 0600 files in 0700 folders, and a ``HELPMATE_HOME`` that helpmate creates
is 0700, so another local user cannot read them (they were 0644 in 0755 folders). An export never
replaces a file that is already there: it takes the next free name and says which.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from helpmate.knowledge import files

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
    """Write ``path`` (0600) whole, only if no file has that name: ``FileExistsError`` otherwise."""
    files.write_new(path, text, FILE_MODE)
