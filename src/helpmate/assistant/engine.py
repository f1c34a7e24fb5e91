"""The conversation engine: a situation that accumulates over turns, safeguarding first, a plan.

Each worker message is checked for safeguarding risks before anything else; alerts accumulate
and are never dropped. The plan is rebuilt from everything said so far (minus what the worker
corrected), so needs and suggestions sharpen as the conversation goes on. A correction such as
"not bereavement, her sister is alive" removes that need for the rest of the session.

This module never imports Textual; the chat front ends only call ``Engine.turn``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from helpmate.assistant.suggest import Suggester, Suggestion

_CORRECTION = re.compile(
    r"^\s*(?:actually[, ]+)?(?:it'?s\s+)?(?:not|no)\s+(?P<what>[\w\s'-]+?)(?:[,.;:]|$)", re.I
)
MAX_MESSAGE = 100_000


@dataclass
class Situation:
    messages: list[str] = field(default_factory=list)
    excluded_needs: list[str] = field(default_factory=list)
    alerts: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    area: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "excluded_needs": self.excluded_needs,
            "alerts": self.alerts,
            "acknowledged": self.acknowledged,
            "area": self.area,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Situation:
        return cls(
            list(data.get("messages", [])),
            list(data.get("excluded_needs", [])),
            list(data.get("alerts", [])),
            list(data.get("acknowledged", [])),
            data.get("area"),
        )


@dataclass
class Turn:
    message: str
    suggestion: Suggestion
    new_alerts: list[dict[str, Any]]
    corrected: list[str]
    reply: str


def clean_message(text: str) -> str:
    """Control characters out, length capped, whitespace folded: any paste is safe to process."""
    text = "".join(ch if ch.isprintable() or ch in "\n\t" else " " for ch in text[:MAX_MESSAGE])
    return " ".join(text.split())


class Engine:
    def __init__(self, suggester: Suggester, situation: Situation | None = None, limit: int = 5) -> None:
        self.suggester = suggester
        self.situation = situation or Situation()
        self.limit = limit
        self._labels = {
            n.id: {
                n.id,
                n.id.replace("-", " "),
                n.label.lower(),
                n.label.lower().split(" and ")[0].split(",")[0],
            }
            for n in suggester.needs
        }

    def corrections(self, message: str) -> list[str]:
        match = _CORRECTION.match(message)
        if not match:
            return []
        what = match.group("what").strip().lower()
        return [
            nid for nid, names in self._labels.items() if any(what == n or what.startswith(n) for n in names)
        ]

    def turn(self, text: str) -> Turn:
        message = clean_message(text)
        # Safeguarding first: on this message alone, before the plan is rebuilt.
        new_alerts = (
            [a.to_json() for a in self.suggester.routes.alerts(message, self.situation.area)]
            if message
            else []
        )
        known = {(a["category"], a["evidence"]) for a in self.situation.alerts}
        new_alerts = [a for a in new_alerts if (a["category"], a["evidence"]) not in known]
        self.situation.alerts.extend(new_alerts)
        corrected = self.corrections(message)
        for need_id in corrected:
            if need_id not in self.situation.excluded_needs:
                self.situation.excluded_needs.append(need_id)
        if message and not corrected:
            self.situation.messages.append(message)
        suggestion = self.plan()
        return Turn(
            message, suggestion, new_alerts, corrected, compose(suggestion, self.situation, new_alerts)
        )

    def plan(self) -> Suggestion:
        text = " ".join(self.situation.messages)
        suggestion = self.suggester.suggest(
            text, area=self.situation.area, limit=self.limit, exclude_needs=set(self.situation.excluded_needs)
        )
        if self.situation.area is None and suggestion.area:
            self.situation.area = suggestion.area
        suggestion.safeguarding = list(self.situation.alerts)
        return suggestion


def compose(suggestion: Suggestion, situation: Situation, new_alerts: list[dict[str, Any]]) -> str:
    """The default reply, with no language model: alerts, what was understood, suggestions, questions."""
    lines: list[str] = []
    for alert in new_alerts:
        lines.append(
            f'SAFEGUARDING {alert["level"].upper()}: {alert["category"]} (heard: "{alert["evidence"]}").'
        )
        route = alert.get("route") or {}
        if route.get("urgent"):
            lines.append(route["urgent"])
        lines += [f"- {step}" for step in route.get("steps", [])[:3]]
    if not situation.messages:
        lines.append("Tell me about the person: what is going on, what matters to them, what they enjoy.")
        return "\n".join(lines)
    if suggestion.needs:
        lines.append("I understood: " + "; ".join(n.need.label.lower() for n in suggestion.needs) + ".")
    else:
        lines.append("I have not recognised a clear need yet.")
    for title, hits in (
        ("Standard services", suggestion.services),
        ("Community to pull in", suggestion.community),
    ):
        if hits:
            lines.append(f"{title}:")
            lines += [f"- {h.record.name} [{h.record.id}]: {suggestion.why(h)}" for h in hits[:3]]
    if suggestion.questions:
        lines.append("Worth asking: " + " ".join(suggestion.questions))
    return "\n".join(lines)
