"""A safeguarding alert, typed from detection to the screen, and the one way it is put into words.

Every front end (the terminal app, the line chat, the suggest table, the exports) shows alerts
through ``ordered`` and ``alert_lines``, so the order (urgent first, then the stated severity of
the category) and the wording are the same everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from helpmate.assistant.safeguarding.kinds import LEVELS, Taxonomy


@dataclass(frozen=True)
class Route:
    category: str
    urgent: str = ""
    steps: tuple[str, ...] = ()
    contacts: tuple[dict[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "urgent": self.urgent,
            "steps": list(self.steps),
            "contacts": [dict(c) for c in self.contacts],
        }


@dataclass(frozen=True)
class Alert:
    category: str
    """What the alert is about (its route and its place in the order of severity)."""
    level: str
    """urgent (act now), concern (talk to your safeguarding lead today) or check (worth asking)."""
    evidence: str
    """The words that raised it."""
    kind: str = ""
    """What a safeguarding lead would name (kinds.yaml); the category when no kind is known."""
    label: str = ""
    """The kind in words, for the worker."""
    layer: str = "rules"
    """Which layer raised it: the readable rules, or the semantic comparison with the exemplar bank."""
    severity: int = field(default=99, compare=False)
    """The category's place in the library's order of severity (0 is the most severe)."""
    route: Route | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """What the worker acknowledges: the category and the words, so a new alert of the same
        kind later in the conversation shows again."""
        return f"{self.category}: {self.evidence}"

    @property
    def title(self) -> str:
        return self.label or self.category.replace("-", " ").capitalize()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "category": self.category,
            "kind": self.kind or self.category,
            "label": self.title,
            "level": self.level,
            "evidence": self.evidence,
            "layer": self.layer,
            "severity": self.severity,
        }
        if self.route:
            data["route"] = self.route.to_json()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        """An alert as saved in a session (by this or an earlier version); raises ValueError when
        it is not one."""
        if not isinstance(data, dict):
            raise ValueError("an alert must be a mapping")
        category, level, evidence = data.get("category"), data.get("level"), data.get("evidence")
        if not all(isinstance(v, str) and v for v in (category, level)) or not isinstance(evidence, str):
            raise ValueError("an alert needs a category, a level and its evidence as text")
        if level not in LEVELS:
            raise ValueError(f"unknown alert level {level!r}")
        route = data.get("route")
        parsed_route = None
        if isinstance(route, dict):
            parsed_route = Route(
                str(category),
                str(route.get("urgent") or ""),
                tuple(str(s) for s in route.get("steps") or [] if isinstance(s, str)),
                tuple(
                    {str(k): str(v) for k, v in c.items()}
                    for c in route.get("contacts") or []
                    if isinstance(c, dict)
                ),
            )
        severity = data.get("severity")
        if not isinstance(severity, int):
            severity = _default_taxonomy().severity(str(category))
        return cls(
            str(category),
            str(level),
            evidence,
            str(data.get("kind") or category),
            str(data.get("label") or ""),
            str(data.get("layer") or "rules"),
            severity,
            parsed_route,
        )


def ordered(alerts: Iterable[Alert]) -> list[Alert]:
    """Alerts in the one order used everywhere: by level (urgent, concern, check), then by the
    severity of their category as safeguarding.yaml lists them, then as raised."""
    return sorted(
        alerts, key=lambda a: (LEVELS.index(a.level) if a.level in LEVELS else len(LEVELS), a.severity)
    )


def alert_lines(alerts: Iterable[Alert], steps: int = 3) -> list[str]:
    """Each alert in words (level, what it is, what was heard) and the first steps of its route."""
    lines: list[str] = []
    for alert in ordered(alerts):
        if alert.level == "check":
            lines.append(f'Worth asking about: {alert.title.lower()} (heard: "{alert.evidence}").')
            continue
        lines.append(f'SAFEGUARDING {alert.level.upper()}: {alert.title} (heard: "{alert.evidence}").')
        if alert.route and alert.route.urgent:
            lines.append(alert.route.urgent)
        if alert.route:
            lines += [f"- {step}" for step in alert.route.steps[:steps]]
    return lines


_TAXONOMY: list[Taxonomy] = []


def _default_taxonomy() -> Taxonomy:
    if not _TAXONOMY:
        _TAXONOMY.append(Taxonomy.load())
    return _TAXONOMY[0]
