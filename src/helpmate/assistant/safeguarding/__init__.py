"""Safeguarding first: every message is checked for risk before anything else.

A missed risk costs far more than a false alarm, so detection errs towards raising. Two layers can
raise an alert: readable rules a safeguarding lead can review (``rules``), and a comparison of each
clause with a bank of examples of every kind of risk and of lookalikes (``semantic``). Each alert
names its kind (what a safeguarding lead would call it), its category (the local route) and its
level:

- ``urgent``: act now (life at risk, violence happening, a child in danger);
- ``concern``: talk to your safeguarding lead today;
- ``check``: worth asking about (a weaker semantic match), shown less loudly.

The kinds, the categories, their order of severity and the needs each brings are data
(helpmate/data/safeguarding/kinds.yaml, and a library's safeguarding.yaml on top), as are the
local routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpmate.assistant.lexicon import Lexicon, lexicon
from helpmate.assistant.reading import Reading
from helpmate.assistant.safeguarding.alerts import Alert, Route, alert_lines, ordered
from helpmate.assistant.safeguarding.kinds import LEVELS, Category, Kind, Taxonomy
from helpmate.assistant.safeguarding.routes import Routes
from helpmate.assistant.safeguarding.rules import Match, Rule, load_rules, match_rules
from helpmate.assistant.safeguarding.semantic import SemanticLayer

__all__ = [
    "LEVELS",
    "Alert",
    "Category",
    "Kind",
    "Route",
    "Routes",
    "Safeguarding",
    "Taxonomy",
    "alert_lines",
    "ordered",
]


@dataclass
class Safeguarding:
    taxonomy: Taxonomy
    routes: Routes
    rules: list[Rule] = field(default_factory=load_rules)
    lex: Lexicon = field(default_factory=lexicon)
    semantic: SemanticLayer | None = None
    """The second layer, once the index (whose embedder and classifier it uses) is loaded."""

    @classmethod
    def load(cls, library_root: Path | None) -> Safeguarding:
        """The library's routes, kinds and categories (shipped defaults where it has none)."""
        data: dict[str, Any] | None = None
        path = library_root / "safeguarding.yaml" if library_root else None
        if path is not None and path.exists():
            from helpmate.knowledge.library import read_yaml

            raw = read_yaml(path)
            data = raw if isinstance(raw, dict) else None
        return cls(Taxonomy.load(data, str(path or "safeguarding.yaml")), Routes(data))

    def alerts(self, reading: Reading, area: str | None) -> list[Alert]:
        """Every risk in a message, one alert per kind (the strongest level wins), most severe
        first: the rules' alerts, and the semantic layer's for the kinds the rules did not raise."""
        found = [self.alert(m, area) for m in match_rules(self.rules, self.lex, reading)]
        if self.semantic is not None:
            raised = {a.kind for a in found}
            found += [
                self.alert(m, area, layer="semantic")
                for m in self.semantic.matches(reading)
                if m.kind not in raised
            ]
        return ordered(found)

    def alert(self, match: Match, area: str | None, layer: str = "rules") -> Alert:
        kind = self.taxonomy.kind(match.kind)
        return Alert(
            kind.category,
            match.level,
            match.evidence,
            kind.id,
            kind.label,
            layer,
            self.taxonomy.severity(kind.category),
            self.routes.route(kind.id, kind.category, area),
        )

    def needs(self, alert: Alert) -> tuple[str, ...]:
        """The needs whose help the alert brings (the first is added to the plan if missing)."""
        return self.taxonomy.needs(alert.kind or alert.category)
