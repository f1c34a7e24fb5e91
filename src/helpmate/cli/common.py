"""Small helpers shared by the command modules."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from helpmate.settings import Settings


def console_err(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def settings_from_env() -> Settings:
    from pydantic import ValidationError

    from helpmate.errors import HelpmateError
    from helpmate.settings import load_settings

    try:
        return load_settings()
    except ValidationError as exc:
        err = exc.errors()[0]
        name = "HELPMATE_" + "__".join(str(p) for p in err["loc"]).upper()
        raise HelpmateError(f"{name}: {err['msg']}", hint="fix or unset that environment variable") from exc
