"""One error hierarchy for failures a person can act on.

Expected failures (bad input, a missing index, a broken library file) raise a ``HelpmateError``
or one of its kinds below; the CLI prints its one line and exits with its code, the terminal app
shows it and decides what to offer by its type (a damaged index offers a rebuild), never by its
wording. Anything else is a bug and shows a traceback. ``debug()`` is the one place that reads
``HELPMATE_DEBUG``.
"""

from __future__ import annotations

import os


class HelpmateError(Exception):
    """What went wrong and what to do about it, with the exit code the CLI should use."""

    def __init__(self, message: str, *, hint: str = "", exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class IndexMissing(HelpmateError):
    """No index has been built for this library and home yet."""


class IndexDamaged(HelpmateError):
    """The index is there but cannot be read: rebuilding it (``kb index --rebuild``) mends it."""


class LibraryInvalid(HelpmateError):
    """A library file (records, needs, areas, safeguarding routes) is broken or inconsistent."""


class ConfigInvalid(HelpmateError):
    """The configuration (config.toml or an environment variable) cannot be used."""


class ModelUnavailable(HelpmateError):
    """An embedding or language model cannot be loaded or reached."""


def debug() -> bool:
    """True when ``HELPMATE_DEBUG=1``: expected errors then show their traceback too."""
    return os.environ.get("HELPMATE_DEBUG") == "1"
