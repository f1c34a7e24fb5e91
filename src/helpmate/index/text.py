"""Tokens for keyword search and for the hashing embedder: lower case, stop words out, light stemming."""

from __future__ import annotations

import re

_WORD = re.compile(r"[a-z0-9][a-z0-9'+]*")
STOPWORDS = frozenset(
    """a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had has
    have having he her here hers herself him himself his how i if in into is it its itself just me more
    most my myself no nor not now of off on once only or other our ours ourselves out over own same she
    should so some such than that the their theirs them themselves then there these they this those
    through to too under until up very was we were what when where which while who whom why will with
    would you your yours yourself yourselves us get got go going gets really quite bit lot lots one two
    says said say tell told think thinks thought know knows feel feels felt seems seem like want wants
    wanted need needs able since still ever much many way well also etc per via s t""".split()
)


def stem(word: str) -> str:
    """A deliberately light stemmer: plural and common verb endings, enough for directory text."""
    if len(word) <= 3 or word.isdigit():
        return word
    for suffix, repl in (("ies", "y"), ("ing", ""), ("ers", "er"), ("ed", ""), ("es", "e"), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                return word
            base = word[: -len(suffix)] + repl
            if suffix in ("ing", "ed") and len(base) > 3 and base[-1] == base[-2] and base[-1] not in "lsz":
                base = base[:-1]  # running -> run, planned -> plan
            return base
    return word


def tokenize(text: str) -> list[str]:
    words = _WORD.findall(text.lower().replace("’", "'"))
    return [stem(w.replace("'", "")) for w in words if w not in STOPWORDS and len(w) > 1]
