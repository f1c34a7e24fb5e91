"""The semantic layer: each part of a message compared with a bank of examples of every kind of risk.

Rules see only the phrasings someone wrote a rule for, and risk is said in endless ways ("next
time he'd do it properly", "keeps her bank card while she goes without"). This layer embeds each
sentence and clause of a message with the index's embedder and scores its vector and its words
with the classifier trained, when the index was built, on the exemplar bank
(helpmate/data/safeguarding/bank-*.yaml) and the taxonomy's everyday examples
(``index/semantic.py``, ``index/classifier.py``). A part whose probability of some kind
of risk reaches ``concern`` raises a concern; one that reaches only ``check`` raises a quieter
"worth asking about". A part that answers a risk with a no or puts it in the past ("asked about
ending it, said no"; "years ago") is left out, as the rules leave it out. The evidence shown is
the part that raised it, and the alert says it came from this layer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from helpmate.assistant.lexicon import Lexicon
from helpmate.assistant.reading import Reading
from helpmate.assistant.safeguarding.rules import Match
from helpmate.index.classifier import Classifier
from helpmate.knowledge.bank import NONE

MIN_WORDS = 3
"""Parts shorter than this say too little to compare."""
TIE = 0.02
"""Probabilities this close are one finding: the shorter part is shown as the evidence."""


@dataclass
class SemanticLayer:
    classifier: Classifier
    embed: Callable[[list[str]], np.ndarray]
    lex: Lexicon
    concern: float = 0.981
    check: float = 0.7

    def units(self, reading: Reading) -> list[str]:
        """The sentences and clauses of a message worth comparing (each once)."""
        parts = [s.text for s in reading.sentences] + [c.text for c in reading.clauses]
        return [
            p
            for p in dict.fromkeys(part.strip(" ,.;") for part in parts)
            if len(p.split()) >= MIN_WORDS
            and not self.lex.risk_answered_no.search(p)
            and not self.lex.risk_past.search(p)
        ]

    def matches(self, reading: Reading) -> list[Match]:
        """The strongest part per kind, at ``concern`` or ``check`` level."""
        units = self.units(reading)
        if not units:
            return []
        probs = self.classifier.probabilities(self.embed(units), units)
        none = self.classifier.classes.index(NONE)
        risk = 1.0 - probs[:, none]
        probs[:, none] = -1.0
        best: dict[str, tuple[float, int]] = {}
        for row, p in enumerate(risk):
            if p < self.check:
                continue
            kind = self.classifier.classes[int(np.argmax(probs[row]))]
            if (
                kind not in best
                or p > best[kind][0] + TIE
                or (p >= best[kind][0] - TIE and len(units[row]) < len(units[best[kind][1]]))
            ):
                # The worker reads the evidence: of parts about as likely, the shortest says it.
                best[kind] = (max(float(p), best[kind][0]) if kind in best else float(p), row)
        return [
            Match(kind, "concern" if p >= self.concern else "check", units[row], -1)
            for kind, (p, row) in best.items()
        ]
