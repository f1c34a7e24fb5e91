"""Sessions: every turn saved atomically under ``HELPMATE_HOME/sessions``, listed, resumed, exported.

A session file is JSON: the situation (messages, corrections, alerts and acknowledgements) and
the turns with the replies shown. It is rewritten through a temporary file and a rename after
every turn, so a crash or a kill loses nothing that was shown.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpmate.assistant.engine import Situation, Turn
from helpmate.assistant.safeguarding import Alert
from helpmate.errors import HelpmateError
from helpmate.knowledge.library import atomic_write


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
        return self.folder / f"{session_id}.json"

    def record_turn(self, session: Session, turn: Turn) -> None:
        session.turns.append(
            {
                "at": dt.datetime.now().isoformat(timespec="seconds"),
                "message": turn.message,
                "reply": turn.reply,
                "services": [h.record.id for h in turn.suggestion.services],
                "community": [h.record.id for h in turn.suggestion.community],
            }
        )
        self.save(session)

    def save(self, session: Session) -> None:
        atomic_write(self.path(session.id), json.dumps(session.to_json(), ensure_ascii=False, indent=1))

    def load(self, session_id: str) -> Session:
        path = self.path(session_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise HelpmateError(
                f"no session '{session_id}'", hint="see /sessions for the list", exit_code=1
            ) from exc
        except ValueError as exc:
            raise HelpmateError(f"{path}: the session file is damaged") from exc
        try:
            return Session(
                str(data["id"]),
                str(data["created"]),
                situation_from_json(data["situation"]),
                list(data.get("turns", [])),
            )
        except (KeyError, TypeError, AttributeError, ValueError) as exc:
            raise HelpmateError(f"{path}: the session file is damaged ({type(exc).__name__})") from exc

    def list(self) -> list[Session]:
        sessions = []
        for path in sorted(self.folder.glob("*.json"), reverse=True):
            try:
                sessions.append(self.load(path.stem))
            except HelpmateError:
                continue
        return sessions


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
