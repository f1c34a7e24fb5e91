"""Sessions: every turn saved atomically under ``HELPMATE_HOME/sessions``, listed, resumed, exported.

A session file is JSON: the situation (messages, corrections, alerts and acknowledgements) and
the turns with the replies shown. It is rewritten through a temporary file and a rename after
every turn, so a crash or a kill loses nothing that was shown.

A session is named by its file, never by what the file says: only ids of helpmate's own form
(``20260101-093000-ab12``) are read or written, so ``/resume ../../x`` or a file whose ``"id"`` is
a path cannot reach outside ``sessions/``, and a copy of a session saves under its own name. A
file is checked against ``SessionFile`` (pydantic) before anything reads it: a wrong shape is
"damaged", in one line naming the file, and nothing else changes. Files are 0600 in a 0700 folder.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    field_validator,
)

from helpmate.assistant.engine import Situation, Turn
from helpmate.assistant.private import FILE_MODE, private_dir
from helpmate.assistant.safeguarding import Alert
from helpmate.assistant.safeguarding.kinds import LEVELS
from helpmate.errors import HelpmateError
from helpmate.knowledge.files import atomic_write

SESSION_ID = re.compile(r"[0-9]{8}-[0-9]{6}-[A-Za-z0-9]{1,16}")
"""The only ids helpmate reads or writes: the date, the time and a few letters or digits."""
ID_HINT = "a session id looks like 20260101-093000-ab12; /sessions lists them"


def valid_id(session_id: str) -> bool:
    return SESSION_ID.fullmatch(session_id) is not None


# ---------------------------------------------------------------------------------- the file's shape

Text = Annotated[StrictStr, Field(min_length=1)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore")  # a field a later version adds is no damage


class RouteFile(_Part):
    urgent: StrictStr = ""
    steps: list[StrictStr] = []
    contacts: list[dict[StrictStr, StrictStr]] = []


class AlertFile(_Part):
    category: Text
    level: Text
    evidence: StrictStr
    kind: StrictStr = ""
    label: StrictStr = ""
    layer: StrictStr = ""
    severity: StrictInt | None = None
    route: RouteFile | None = None

    @field_validator("level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level not in LEVELS:
            raise ValueError(f"unknown alert level {level!r}")
        return level


class SituationFile(_Part):
    messages: list[StrictStr] = []
    excluded_needs: list[StrictStr] = []
    alerts: list[AlertFile] = []
    acknowledged: list[StrictStr] = []
    area: StrictStr | None = None
    what_matters: list[StrictStr] = []
    strengths: list[StrictStr] = []
    facts: dict[StrictStr, StrictStr] = {}
    added_needs: list[StrictStr] = []
    pinned: list[StrictStr] = []
    dismissed: dict[StrictStr, StrictStr] = {}
    edited: list[StrictStr] = []
    household_mentioned: StrictBool = False
    raised_needs: list[StrictStr] = []


class TurnFile(_Part):
    at: StrictStr = ""
    message: StrictStr = ""
    reply: StrictStr
    services: list[StrictStr] = []
    community: list[StrictStr] = []


class SessionFile(_Part):
    """A session file as this and earlier versions write it (its ``"id"`` is not read)."""

    created: StrictStr
    situation: SituationFile
    turns: list[TurnFile] = []


def _first_problem(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "the file"
    return f"{where}: {error['msg']}"


@dataclass
class Session:
    id: str
    created: str
    situation: Situation = field(default_factory=Situation)
    turns: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        first = self.situation.messages[0] if self.situation.messages else "(empty)"
        return first[:60] + ("…" if len(first) > 60 else "")

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created": self.created,
            "situation": self.situation.to_json(),
            "turns": self.turns,
        }


class SessionStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def new(self) -> Session:
        now = dt.datetime.now()
        return Session(f"{now:%Y%m%d-%H%M%S}-{secrets.token_hex(2)}", now.isoformat(timespec="seconds"))

    def path(self, session_id: str) -> Path:
        if not valid_id(session_id):
            raise HelpmateError(f"not a session id: {session_id!r}", hint=ID_HINT, exit_code=1)
        return self.folder / f"{session_id}.json"

    def record_turn(self, session: Session, turn: Turn) -> None:
        """The turn joins the session, then the session is saved (``OSError`` when that fails: the
        turn stays in memory and is saved with the next one)."""
        self.add_turn(session, turn)
        self.save(session)

    def add_turn(self, session: Session, turn: Turn) -> None:
        session.turns.append(
            {
                "at": dt.datetime.now().isoformat(timespec="seconds"),
                "message": turn.message,
                "reply": turn.reply,
                "services": [h.record.id for h in turn.suggestion.services],
                "community": [h.record.id for h in turn.suggestion.community],
            }
        )

    def save(self, session: Session) -> None:
        path = self.path(session.id)
        private_dir(self.folder)
        atomic_write(path, json.dumps(session.to_json(), ensure_ascii=False, indent=1), mode=FILE_MODE)

    def load(self, session_id: str) -> Session:
        """The session in ``<session_id>.json``, named by its file; ``HelpmateError`` (one line,
        naming the file) when there is none or it is damaged."""
        path = self.path(session_id)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise HelpmateError(
                f"no session '{session_id}'", hint="see /sessions for the list", exit_code=1
            ) from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise HelpmateError(f"{path}: the session file cannot be read ({exc})", exit_code=1) from exc
        try:
            data = SessionFile.model_validate_json(text)
        except ValidationError as exc:
            raise HelpmateError(
                f"{path}: the session file is damaged ({_first_problem(exc)})",
                hint="it is left as it is; start a new session or restore the file",
                exit_code=1,
            ) from exc
        try:
            situation = situation_from_json(data.situation.model_dump())
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise HelpmateError(f"{path}: the session file is damaged ({exc})", exit_code=1) from exc
        return Session(session_id, data.created, situation, [t.model_dump() for t in data.turns])

    def scan(self) -> tuple[list[Session], list[tuple[str, str]]]:
        """Every saved session, newest first, and the files that are not one: (file name, why)."""
        sessions: list[Session] = []
        damaged: list[tuple[str, str]] = []
        for path in sorted(self.folder.glob("*.json"), reverse=True):
            if not valid_id(path.stem):
                damaged.append((path.name, "not named as helpmate names a session"))
                continue
            try:
                sessions.append(self.load(path.stem))
            except HelpmateError as exc:
                damaged.append((path.name, exc.message.removeprefix(f"{path}: ")))
        return sessions, damaged

    def list(self) -> list[Session]:
        return self.scan()[0]


def situation_from_json(data: dict[str, Any]) -> Situation:
    """Reads situations saved by this and earlier versions (missing fields start empty)."""
    known = {k: v for k, v in data.items() if k in Situation.__dataclass_fields__}
    known["alerts"] = [Alert.from_json(a) for a in known.get("alerts") or []]
    situation = Situation(**known)
    # Earlier versions acknowledged a whole category; that covers the alerts raised by then,
    # never a later alert of the same kind.
    categories = [a for a in situation.acknowledged if ": " not in a]
    if categories:
        situation.acknowledged = [a for a in situation.acknowledged if ": " in a] + [
            alert.key for alert in situation.alerts if alert.category in categories
        ]
    return situation
