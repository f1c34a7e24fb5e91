"""Small helpers shared by the command modules."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.progress import Progress

    from helpmate.settings import Settings


def console_err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def progress_bar(label: str) -> Progress:
    """A progress bar on stderr for work over a second; silent when stderr is not a terminal."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    return Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    )


def settings_from_env() -> Settings:
    import tomllib

    from pydantic import ValidationError

    from helpmate.errors import HelpmateError
    from helpmate.settings import config_path, load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "HELPMATE_" + "__".join(str(p) for p in err["loc"]).upper()
        raise HelpmateError(
            f"{name}: {err['msg']}", hint=f"fix that environment variable or the setting in {config_path()}"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise HelpmateError(
            f"{config_path()}: not valid TOML ({exc})", hint="fix or remove the config file"
        ) from exc
