"""Safeguarding first: every message is checked for risk signals before anything else.

Detection is deliberately rule-based and conservative: a missed risk costs far more than a false
alarm, and rules can be read, tested and reviewed by a safeguarding lead. Each rule names a
category and a level:

- ``urgent``: act now (life at risk, violence happening, a child in danger);
- ``concern``: discuss with your safeguarding lead today.

A match does not count when its clause negates it ("no thoughts of harming himself when I asked",
"denies any violence") or puts it in the past ("she used to drink", "her ex was violent years ago,
she's safe now"). Reported speech still counts ("mum says he talks about ending it").

The local route for each category comes from the library's ``safeguarding.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CATEGORIES = ("immediate-danger", "suicide-self-harm", "domestic-abuse", "child-at-risk", "adult-at-risk")

_P = r"(?:his|her|their|my|your)"
_PERSON = r"(?:him|her|them|me|you|himself|herself|themselves|myself)"
_PARTNER = (
    r"(?:partner|husband|wife|boyfriend|girlfriend|fianc[eé]e?|ex|ex-partner|ex-husband|ex-wife|bloke|fella)"
)

# (category, level, pattern). Patterns run on lower-cased text with curly quotes straightened.
RULES: list[tuple[str, str, str]] = [
    # immediate danger
    (
        "immediate-danger",
        "urgent",
        r"\b(?:has|had|got|with|keeps|carrying|waving)\s+(?:a\s+)?(?:knife|gun|weapon|blade)\b",
    ),
    ("immediate-danger", "urgent", rf"\b(?:kill|stab|shoot|hurt)\s+{_PERSON}\s+if\b"),
    ("immediate-danger", "urgent", r"\bthreaten\w*\s+to\s+(?:kill|stab|hurt|burn)\b"),
    (
        "immediate-danger",
        "urgent",
        r"\b(?:in\s+danger|not\s+safe)\s+(?:right\s+)?now\b|\bright\s+now\b.*\b(?:hitting|attacking|kicking)\b",
    ),
    (
        "immediate-danger",
        "urgent",
        r"\b(?:unconscious|not\s+breathing|collapsed|taken\s+an\s+overdose|has\s+overdosed)\b",
    ),
    (
        "immediate-danger",
        "urgent",
        r"\b(?:can'?t|cannot|daren'?t|won'?t)\s+go\s+(?:back\s+)?(?:home|out\s+the\s+front)\b.*\b(?:kill|knife|hurt|waiting)\b",
    ),
    # suicide and self-harm
    ("suicide-self-harm", "urgent", r"\bsuicid\w*"),
    # Reflexive only: "before it kills him" (the drink) or "hurt her" (someone else) is not self-harm.
    (
        "suicide-self-harm",
        "urgent",
        r"\b(?:kill|hang|hurt|harm)\w*\s+(?:himself|herself|themselves|myself|yourself)\b",
    ),
    ("suicide-self-harm", "urgent", rf"\b(?:end|ending)\s+(?:it\s+all|it|{_P}\s+(?:own\s+)?life|things)\b"),
    ("suicide-self-harm", "urgent", rf"\b(?:take|taking)\s+{_P}\s+(?:own\s+)?life\b"),
    (
        "suicide-self-harm",
        "urgent",
        r"\b(?:want|wants|wanted|wanting)\s+to\s+die\b|\bbetter\s+off\s+(?:dead|without\s+\w+)\b",
    ),
    (
        "suicide-self-harm",
        "urgent",
        r"(?:\bnot|n't)\s+(?:want\s+to\s+)?(?:be\s+here|wake\s+up|go\s+on|carry\s+on|live)\b(?:\s+any\s*more)?",
    ),
    (
        "suicide-self-harm",
        "urgent",
        r"\b(?:easier|better)\s+if\s+(?:i|he|she|they)\s+(?:wasn'?t|weren'?t|was\s+not|were\s+not)\s+(?:here|around)\b",
    ),
    (
        "suicide-self-harm",
        "urgent",
        r"\b(?:wish\w*|want\w*)\s+(?:i|he|she|they)?\s*(?:could\s+)?(?:just\s+)?(?:disappear|not\s+exist|fall\s+asleep\s+and\s+not\s+wake)\b",
    ),
    (
        "suicide-self-harm",
        "urgent",
        r"\b(?:stockpil\w+|saving\s+up|hoarding)\s+(?:\w+\s+)?(?:tablets|pills|medication|meds)\b",
    ),
    (
        "suicide-self-harm",
        "urgent",
        rf"\bgiv\w+\s+(?:{_P}\s+)?(?:things|stuff|belongings|possessions)\s+away\b",
    ),
    (
        "suicide-self-harm",
        "urgent",
        r"\b(?:cutting|cuts\s+on|burning)\s+(?:him|her|them)sel\w*|\bcuts\s+on\s+(?:his|her|their)\s+(?:arms?|legs?|wrists?)\b|\bbeen\s+cutting\b",
    ),
    ("suicide-self-harm", "urgent", r"\bself[- ]?harm\w*"),
    (
        "suicide-self-harm",
        "concern",
        r"\b(?:no|not\s+see\s+the|doesn'?t\s+see\s+the|can'?t\s+see\s+the)\s+point\s+(?:in\s+)?(?:anything|living|going\s+on|any\s*more)\b",
    ),
    # domestic abuse
    (
        "domestic-abuse",
        "urgent",
        rf"\b{_PARTNER}\b[^.;]{{0,40}}\b(?:hits?|hitting|beats?|beat\s+her|beat\s+him|punch\w*|kick\w*(?!\s+(?:him|her|them|me)\s+out)|strangl\w*|chok\w*|pushed|shoved|slapped|(?<!heart\s)(?<!panic\s)(?<!asthma\s)attack\w*|assault\w*|raped?|violent|got\s+physical)\b",
    ),
    ("domestic-abuse", "urgent", rf"\b{_PARTNER}\b[^.;]{{0,60}}\b(?:kill|hurt)\s+(?:her|him|them)\b"),
    (
        "domestic-abuse",
        "concern",
        rf"\b{_PARTNER}\b[^.;]{{0,60}}\b(?:controls?|controlling|checks|monitors|tracks|takes|took|keeps)\s+(?:all\s+)?(?:of\s+)?(?:her|his|their)\s+(?:money|phone|bank|cards?|benefits|wages|passport)\b",
    ),
    (
        "domestic-abuse",
        "concern",
        r"\b(?:coercive|controlling\s+(?:relationship|behaviour|partner)|domestic\s+(?:abuse|violence)|scared\s+(?:of\s+(?:him|her|my\s+partner)|to\s+go\s+home)|frightened\s+(?:of\s+(?:him|her)|to\s+go\s+home)|won'?t\s+let\s+(?:her|him)\s+(?:see|go\s+out|leave|have))\b",
    ),
    (
        "domestic-abuse",
        "concern",
        r"\b(?:black\s+eye|bruis\w+)\b[^.;]{0,60}\b(?:partner|husband|boyfriend|wife|girlfriend|he\s+did|she\s+did)\b",
    ),
    # child at risk
    (
        "child-at-risk",
        "urgent",
        r"\b(?:child|children|kids?|baby|toddler|son|daughter|boy|girl)\b[^.;]{0,50}\b(?:left\s+(?:alone|on\s+(?:his|her|their)\s+own)|home\s+alone|not\s+(?:being\s+)?fed|hungry\s+all\s+the\s+time|hit\s+by|beaten|bruises?\s+(?:on|all)|sexual\w*\s+abus\w*)\b",
    ),
    (
        "child-at-risk",
        "urgent",
        r"\b(?:groom\w+|county\s+lines|child\s+sexual\s+exploitation|cse\b|sexting\s+(?:an?\s+)?older|older\s+(?:men|man|boys|lads)\b[^.;]{0,40}\b(?:gifts|money|lifts|phone|drugs|parties)|\b(?:gifts|money|lifts|phones?|drugs|vapes)\b[^.;]{0,40}\bfrom\s+(?:an?\s+)?older\s+(?:men|man|boys|lads|guys?))",
    ),
    (
        "child-at-risk",
        "concern",
        r"\b(?:they'?re|they\s+are|kids\s+are|children\s+are|are)\s+left\s+(?:on\s+their\s+own|alone|home\s+alone)\b|\bleft\s+(?:on\s+their\s+own|home\s+alone|alone)\s+(?:at\s+night|overnight|while\s+(?:she|he|they)\s+(?:goes|go)\s+out)",
    ),
    (
        "child-at-risk",
        "concern",
        r"\b(?:neglect\w*|going\s+missing|goes\s+missing|missing\s+from\s+home|not\s+been\s+to\s+school\s+for|carrying\s+drugs|running\s+drugs)\b",
    ),
    (
        "child-at-risk",
        "concern",
        r"\b(?:kids?|children|child|baby)\b[^.;]{0,60}\b(?:witness\w*|saw|see|sees|heard|in\s+the\s+(?:room|house))\b[^.;]{0,40}\b(?:violence|fighting|hitting|attack)",
    ),
    # adult at risk
    (
        "adult-at-risk",
        "urgent",
        r"\b(?:has|got|took|taken|using|holds?|keeps?)\s+(?:\w+\s+)?(?:bank\s+card|pin|cards?|pension\s+book|money)\b[^.;]{0,40}\b(?:won'?t\s+give|not\s+given|without\s+asking|kept|keeps)\b",
    ),
    (
        "adult-at-risk",
        "concern",
        r"\b(?:has|got|took|taken|holds?|keeps?)\s+(?:her|his|their)\s+(?:bank\s+card|pin|cards|pension|money)\b",
    ),
    (
        "adult-at-risk",
        "concern",
        r"\b(?:financial\s+abuse|being\s+scammed|scam\w*|cuckoo\w*|taken\s+over\s+(?:her|his|their)\s+(?:flat|home|house)|moved\s+into\s+(?:her|his|their)\s+(?:flat|home)\s+and)\b",
    ),
    (
        "adult-at-risk",
        "concern",
        r"\btakes?\s+(?:him|her|them)\s+to\s+the\s+(?:cashpoint|cash\s+machine|bank|atm|post\s+office)\b",
    ),
    (
        "adult-at-risk",
        "concern",
        r"\bgiven\s+(?:them|him|her)\s+(?:his|her|their)\s+(?:bank\s+)?(?:card|pin|savings|pension)\b|\b(?:cash|money|savings)\s+(?:seems\s+to\s+|keeps\s+)?(?:vanish|disappear|go(?:ing)?\s+missing)\w*",
    ),
    (
        "adult-at-risk",
        "concern",
        r"\b(?:started\s+)?(?:using|taken\s+over|taking\s+over|dealing\s+from)\s+(?:her|his|their)\s+(?:flat|house|home)\b",
    ),
    (
        "adult-at-risk",
        "concern",
        r"\b(?:self[- ]neglect\w*|living\s+in\s+squalor|not\s+(?:eating|washing)\s+(?:or|and)\s+(?:washing|eating)|soiled|no\s+heating\s+and\s+(?:can'?t|won'?t))\b",
    ),
    (
        "adult-at-risk",
        "concern",
        r"\b(?:carer|son|daughter|nephew|niece|neighbour|grandson)\b[^.;]{0,40}\b(?:shouts\s+at|hits|pushes|locks|takes\s+(?:her|his)\s+money|won'?t\s+let\s+(?:her|him))\b",
    ),
]
_COMPILED = [(cat, level, re.compile(pattern)) for cat, level, pattern in RULES]

# Clauses, so that a negation in one ("she doesn't eat much") never reaches a risk said in the
# next (", and says she wants to die").
_CLAUSE = re.compile(
    r"(?<=[.!?;])\s+|\s+but\s+|,\s+(?=(?:and\s+)?(?:she|he|they|i|now|since|says|said|tells|told|keeps|"
    r"mentioned|talks|talked|admits|admitted|disclosed)\b)"
)
_NEGATION = re.compile(
    r"\b(?:no|not|never|denies|denied|deny|without|nothing|none|isn'?t|wasn'?t|doesn'?t|didn'?t|hasn'?t|haven'?t|"
    r"don'?t|won'?t|ruled\s+out|no\s+longer|no\s+sign\s+of|no\s+thoughts?\s+of|no\s+concerns?\s+about)\b"
)
_PAST = re.compile(
    r"\b(?:used\s+to|years\s+ago|in\s+the\s+past|long\s+time\s+ago|previously|a\s+while\s+back|back\s+then|"
    r"when\s+(?:she|he|they)\s+(?:was|were)\s+(?:younger|a\s+teenager|at\s+school)|sober\s+for|clean\s+for|"
    r"as\s+a\s+(?:teenager|child|kid|student)|has\s+been\s+safe|is\s+safe\s+now|safe\s+and\s+settled|now\s+safe|since\s+left\s+him|left\s+(?:him|her)\s+\w+\s+years)\b"
)


@dataclass
class Route:
    category: str
    urgent: str = ""
    steps: list[str] = field(default_factory=list)
    contacts: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Alert:
    category: str
    level: str
    evidence: str
    route: Route | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"category": self.category, "level": self.level, "evidence": self.evidence}
        if self.route:
            data["route"] = {
                "urgent": self.route.urgent,
                "steps": self.route.steps,
                "contacts": self.route.contacts,
            }
        return data


def _normalise(text: str) -> str:
    return text.lower().replace("’", "'").replace("‘", "'")


_ANSWERED_NO = re.compile(
    r"\b(?:said|says|say|answered)\s+(?:no|not)\b|\bno,?\s+never\b|\bdenied\b|\bdenies\b"
)


def _discounted(clause: str, start: int, end: int) -> bool:
    """True when the clause negates the match, answers it with a no, or places it in the past."""
    before = clause[max(0, start - 45) : start]
    if _NEGATION.search(before) or _ANSWERED_NO.search(clause[end:]):
        return True
    return bool(_PAST.search(clause))


def detect(text: str) -> list[Alert]:
    """Risk signals in a message, one alert per category (the strongest level wins)."""
    found: dict[str, Alert] = {}
    for clause in _CLAUSE.split(_normalise(text)):
        for category, level, pattern in _COMPILED:
            for match in pattern.finditer(clause):
                # Self-harm wording such as "n't want to be here" carries its own negation.
                if not match.group(0).startswith(("not", "n't")) and _discounted(
                    clause, match.start(), match.end()
                ):
                    continue
                if match.group(0).startswith(("not", "n't")) and _PAST.search(clause):
                    continue
                current = found.get(category)
                if current is None or (current.level == "concern" and level == "urgent"):
                    found[category] = Alert(category, level, match.group(0).strip())
                break
    return sorted(found.values(), key=lambda a: (a.level != "urgent", CATEGORIES.index(a.category)))


class Routes:
    """Local safeguarding routes from a library's ``safeguarding.yaml`` (national ones as the fallback)."""

    def __init__(self, data: dict[str, Any] | None) -> None:
        self.data = data or {}

    @classmethod
    def load(cls, library_root: Path) -> Routes:
        path = library_root / "safeguarding.yaml"
        if not path.exists():
            return cls(None)
        from helpmate.knowledge.library import read_yaml

        data = read_yaml(path)
        return cls(data if isinstance(data, dict) else None)

    def route(self, category: str, area: str | None) -> Route | None:
        sources = []
        if area:
            sources.append(((self.data.get("areas") or {}).get(area) or {}).get("routes") or [])
        sources.append((self.data.get("default") or {}).get("routes") or [])
        for routes in sources:
            for item in routes:
                if isinstance(item, dict) and item.get("category") == category:
                    return Route(
                        category,
                        str(item.get("urgent", "")),
                        [str(s) for s in item.get("steps") or []],
                        [dict(c) for c in item.get("contacts") or [] if isinstance(c, dict)],
                    )
        return None

    def alerts(self, text: str, area: str | None) -> list[Alert]:
        alerts = detect(text)
        for alert in alerts:
            alert.route = self.route(alert.category, area)
        return alerts
