"""The readable rules: patterns a safeguarding lead can review, in helpmate/data/safeguarding/rules.yaml.

Each rule names a kind of risk and a level. Rules run clause by clause on a ``Reading``; a match
does not count when its clause denies it ("no thoughts of harming himself when I asked"), answers
it with a no ("asked about ending it, said no"), or puts it in the past ("her ex was violent
years ago, she's safe now"). Reported speech still counts ("mum says he talks about ending it").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from helpmate import data
from helpmate.assistant.lexicon import Lexicon
from helpmate.assistant.reading import Reading
from helpmate.errors import LibraryInvalid

NEGATION_WINDOW = 45
"""How many characters before a signal a "no", "not" or "denies" reaches."""


@dataclass(frozen=True)
class Rule:
    kind: str
    level: str
    pattern: re.Pattern[str]
    note: str = ""
    context: re.Pattern[str] | None = None
    """When set, the rule counts only in a message that also says this somewhere (a threat to
    kill is domestic abuse when the message speaks of a partner)."""


@dataclass(frozen=True)
class Match:
    kind: str
    level: str
    evidence: str
    clause: int


def load_rules(path: Path | None = None) -> list[Rule]:
    from helpmate.knowledge.library import read_yaml

    source = path or data.path("safeguarding", "rules.yaml")
    raw = read_yaml(source)
    items = raw.get("rules") if isinstance(raw, dict) else None
    if not isinstance(items, list):
        raise LibraryInvalid(f"{source}: expected a 'rules' list")
    rules = []
    for number, item in enumerate(items, start=1):
        try:
            context = re.compile(item["context"], re.I) if item.get("context") else None
            rules.append(
                Rule(
                    str(item["kind"]),
                    str(item["level"]),
                    re.compile(item["pattern"], re.I),
                    str(item.get("note", "")),
                    context,
                )
            )
        except (KeyError, TypeError, re.error) as exc:
            raise LibraryInvalid(f"{source}: rule {number} is broken ({exc})") from exc
    return rules


def _discounted(lex: Lexicon, clause: str, start: int, end: int) -> bool:
    """The clause denies the signal, answers it with a no, or places it in the past."""
    before = clause[max(0, start - NEGATION_WINDOW) : start]
    if lex.risk_negation.search(before) or lex.risk_answered_no.search(clause[end:]):
        return True
    return bool(lex.risk_past.search(clause))


def match_rules(rules: list[Rule], lex: Lexicon, reading: Reading) -> list[Match]:
    """Every kind the rules find in the reading, with the strongest level and the first words
    that raised it."""
    found: dict[str, Match] = {}
    for number, clause in enumerate(reading.clauses):
        text = clause.text.lower()
        for rule in rules:
            if rule.context is not None and not rule.context.search(reading.text):
                continue
            for match in rule.pattern.finditer(text):
                words = match.group(0)
                # Self-harm wording such as "n't want to be here" carries its own negation.
                own_negation = words.startswith(("not", "n't"))
                if not own_negation and _discounted(lex, text, match.start(), match.end()):
                    continue
                if own_negation and lex.risk_past.search(text):
                    continue
                current = found.get(rule.kind)
                if current is None or (current.level == "concern" and rule.level == "urgent"):
                    found[rule.kind] = Match(rule.kind, rule.level, words.strip(), number)
                break
    return list(found.values())
