"""One error type for failures a person can act on.

Expected failures (bad input, a missing index, a broken library file) raise ``HelpmateError``;
the CLI prints its one line and exits with its code, without a traceback unless
``HELPMATE_DEBUG=1``. Anything else is a bug and shows a traceback.
"""

from __future__ import annotations


class HelpmateError(Exception):
    """What went wrong and what to do about it, with the exit code the CLI should use."""

    def __init__(self, message: str, *, hint: str = "", exit_code: int = 2) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message
