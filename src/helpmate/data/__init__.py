"""What helpmate ships beside its code: the sample library, prompts, and the language it reads with.

Read through ``importlib.resources`` so a normal (non-editable) install finds them too. A wheel is
installed unpacked, so each resource is a real path on disk.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def path(*parts: str) -> Path:
    """A shipped file or folder, e.g. ``path("library")`` for the sample library."""
    return Path(str(files(__name__).joinpath(*parts)))
