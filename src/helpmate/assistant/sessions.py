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
from helpmate.assistant.suggest import ALERT_NEEDS, Suggestion
from helpmate.errors import HelpmateError
from helpmate.knowledge.library import atomic_write
from helpmate.knowledge.records import Record
from helpmate.knowledge.text import one_line


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
                Situation.from_json(data["situation"]),
                list(data.get("turns", [])),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise HelpmateError(f"{path}: the session file is damaged ({type(exc).__name__})") from exc

    def list(self) -> list[Session]:
        sessions = []
        for path in sorted(self.folder.glob("*.json"), reverse=True):
            try:
                sessions.append(self.load(path.stem))
            except HelpmateError:
                continue
        return sessions


def _contact(record: Record) -> str:
    parts = [record.contact.phone, record.contact.email, record.contact.url]
    return ", ".join(p for p in parts if p) or "no contact details in the directory"


def _record_lines(record: Record, citizen: bool) -> list[str]:
    lines = [f"- Contact: {_contact(record)}"]
    if record.how_to_access:
        lines.append(f"- {'How to start' if citizen else 'How to refer'}: {record.how_to_access}")
    if record.opening_times:
        lines.append(f"- When: {record.opening_times}")
    if record.address:
        lines.append(f"- Where: {record.address} {record.postcode}".rstrip())
    if record.cost:
        lines.append(f"- Cost: {record.cost}")
    if not citizen and record.eligibility.text:
        lines.append(f"- Eligibility: {record.eligibility.text}")
    return lines


def export_markdown(session: Session, suggestion: Suggestion, citizen: bool = False) -> str:
    """The worker's plan (situation, alerts, plan per need with contacts and how to refer, open
    questions), or a plain-language version to give to the citizen."""
    situation = session.situation
    # Help for a safeguarding concern (a refuge, a crisis team) is left out of the citizen's copy:
    # a paper found at home can put the person at risk. The worker's copy says so.
    risky = {nid for a in situation.alerts for nid in ALERT_NEEDS.get(a["category"], ())}
    if citizen:
        lines = ["# Your plan", "", "Here are some places that could help, and how to get in touch.", ""]
        for group in suggestion.groups:
            if group.urgent or group.need_id in risky:
                continue
            hits = [h for h in group.services + group.community if not risky & set(h.record.all_needs())]
            if not hits:
                continue
            if group.need_id:
                lines += [f"## {group.label}", ""]
            for hit in hits:
                r = hit.record
                lines += [f"### {r.name}", "", one_line(r.description, 400), ""]
                lines += _record_lines(r, citizen=True) + [""]
        lines.append("If you ever feel unsafe, call 999. Samaritans are there day and night on 116 123.")
        return "\n".join(lines) + "\n"
    lines = [f"# Session {session.id}", "", f"Started {session.created}", "", "## Situation", ""]
    lines += [f"> {m}" for m in situation.messages] or ["(nothing yet)"]
    lines += ["", "Needs: " + (", ".join(n.need.label for n in suggestion.needs) or "none recognised")]
    if situation.excluded_needs:
        lines.append("Corrected (not needs): " + ", ".join(situation.excluded_needs))
    for title, items in (
        ("What matters", situation.what_matters),
        ("Strengths and interests", situation.strengths),
    ):
        if items:
            lines.append(f"{title}: " + "; ".join(items))
    if situation.facts:
        lines.append("Facts: " + "; ".join(f"{k}: {v}" for k, v in situation.facts.items()))
    if situation.alerts:
        lines += ["", "## Safeguarding", ""]
        for alert in situation.alerts:
            ack = " (acknowledged)" if situation.is_acknowledged(alert) else ""
            lines.append(
                f'- **{alert["level"].upper()}: {alert["category"]}**{ack}, heard: "{alert["evidence"]}"'
            )
            route = alert.get("route") or {}
            lines += [f"  - {step}" for step in route.get("steps", [])]
        lines += [
            "",
            "The citizen's copy leaves out the help for these concerns: share it in person, when it is safe.",
        ]
    lines += ["", "## Plan", ""]
    for group in suggestion.groups:
        lines += [f"### {group.label}" + (" (safeguarding)" if group.urgent else ""), ""]
        for title, hits in (("Standard services", group.services), ("Community to pull in", group.community)):
            if not hits:
                continue
            lines.append(f"{title}:")
            for hit in hits:
                r = hit.record
                pin = " (pinned)" if r.id in situation.pinned else ""
                lines.append(f"- **{r.name}** (`{r.id}`){pin}: {suggestion.why(hit)}")
                lines += ["  " + line for line in _record_lines(r, citizen=False)]
            lines.append("")
    if situation.dismissed:
        lines += ["## Dismissed", ""] + [f"- `{rid}`: {why}" for rid, why in situation.dismissed.items()]
        lines.append("")
    if suggestion.questions:
        lines += ["## Open questions", ""] + [f"- {q}" for q in suggestion.questions]
    return "\n".join(lines) + "\n"
