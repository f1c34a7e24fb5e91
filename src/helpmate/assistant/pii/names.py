"""People's names, including the ones spaCy's model cannot see: lower case, alone, at a sentence start.

spaCy's small English model finds "Grace Okoro" and "Jan Kowalski" from their capitals, and often
"john smith" too, but misses "her lad kyle", "mate steve" or "Rose rang again", and sometimes takes
a relation into the name ("daughter aisha"). This recogniser reads the same spaCy ``Doc`` Presidio
made (nothing is tokenised twice) and adds, word by word:

* the model's PERSON entities, trimmed of relation words, titles and places ("Mill Lane Surgery");
* a word after a cue: a title ("mrs kowalczyk"), "called"/"named"/"known as", or a relation
  ("her son Piotr", "mate steve", "mum is shannon price"), when it could be a name: capitalised,
  in the name lists, or not an ordinary English word (and not a verb or a pronoun: "her son will");
* a first name that is not also an ordinary word, in any case ("john", "shannon", "Jadwiga");
* a capitalised first name inside a sentence even when it is a word ("saw Mark", "with Grace");
* at a sentence start, an ambiguous first name followed by a surname ("Grace Okoro") or by a verb
  in the past or present ("Rose rang again", but not "Will you" or "May be eligible");
* then the surname and middle names after any of these: capitalised after a capitalised name, in
  lower case when the word is a surname or not an ordinary word ("shannon price", "chidi nwosu").

The word lists are data (``lexicon.py``). What it cannot know: a name that is an ordinary word, in
lower case, with no cue ("saw grace yesterday"), and names in scripts other than Latin.
"""

from __future__ import annotations

import re
from typing import Any

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult

from helpmate.assistant.pii.lexicon import Lexicon

RECOGNIZER_NAME = "UkNameRecognizer"
NER_SCORE = 0.85  # spaCy's PERSON, as Presidio scores it
RULE_SCORE = 0.8

_SHAPE = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?")
_NOT_PERSON_LABELS = {
    "GPE",
    "LOC",
    "ORG",
    "FAC",
    "NORP",
    "PRODUCT",
    "EVENT",
    "WORK_OF_ART",
    "LAW",
    "LANGUAGE",
}
_NOT_NAME_POS = {"AUX", "ADP", "DET", "PRON", "CCONJ", "SCONJ", "PART", "NUM", "PUNCT", "SYM", "VERB", "ADV"}
_SENTENCE_END = ".!?\n"
_JOINERS = {"and", "&", "of", "for", "the", "'s", "’s", "-"}
_FUNCTION_POS = {"AUX", "PRON", "DET", "ADP", "CCONJ", "SCONJ", "PART"}


def _phrase_regex(phrases: Any, tail: str = "") -> re.Pattern[str]:
    words = sorted({str(p).lower() for p in phrases}, key=len, reverse=True)
    alternation = "|".join(r"\s+".join(re.escape(w) for w in p.split()) for p in words)
    return re.compile(rf"(?<![\w'’])(?:{alternation}){tail}\s*$", re.I)


class NameRecognizer(EntityRecognizer):  # type: ignore[misc]
    """Presidio recogniser for PERSON built on spaCy's entities, cues and name lists (see above)."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        bridge = r"(?:\s*(?:,|-|:|\bis\b|\bwas\b))?"
        self._after_title = _phrase_regex(lexicon.titles, r"\.?")
        self._after_intro = _phrase_regex([" ".join(p) for p in lexicon.introducers], r"\s*[:,-]?")
        self._after_relation = _phrase_regex(lexicon.relations, bridge)
        relations = "|".join(re.escape(r) for r in sorted(lexicon.relations, key=len, reverse=True))
        age = r"(?:aged?\s*)?\d{1,3}\b"
        self._role_after = re.compile(
            rf"^(?:\s+(?:is|was)\s+{age}|\s*[,(]\s*{age}|\s+aged?\s+\d{{1,3}}\b|\s*\(\s*(?:{relations})\b"
            rf"|\s+and\s+(?:his|her|their)\s+(?:{relations})\b)",
            re.I,
        )
        self._not_people = [p.lower() for p in lexicon.not_people]
        self._not_people_re = _phrase_regex(lexicon.not_people).pattern.removesuffix(r"\s*$")
        super().__init__(supported_entities=["PERSON"], name=RECOGNIZER_NAME, supported_language="en")

    def load(self) -> None:
        """Nothing to load: the lexicon comes in built."""

    def analyze(self, text: str, entities: list[str], nlp_artifacts: Any = None) -> list[RecognizerResult]:
        if nlp_artifacts is None or nlp_artifacts.tokens is None:
            return []
        results = []
        name = RECOGNIZER_NAME
        for start, end, score, why in self.find(text, nlp_artifacts.tokens):
            explanation = AnalysisExplanation(name, score, textual_explanation=why)
            results.append(
                RecognizerResult(
                    "PERSON",
                    start,
                    end,
                    score,
                    explanation,
                    {"recognizer_name": name, "recognizer_identifier": self.id},
                )
            )
        return results

    # ------------------------------------------------------------------------------ word tests
    def _alpha(self, token: Any) -> bool:
        return bool(_SHAPE.fullmatch(token.text)) and not (token.text.isupper() and len(token.text) > 1)

    def _candidate(self, token: Any) -> bool:
        """Could be a name word at all (whatever its case)."""
        low = token.lower_
        lex = self.lexicon
        return (
            self._alpha(token)
            and not token.is_stop
            and low not in lex.not_names
            and low not in lex.titles
            and low not in lex.relations
            and low not in lex.place_words
            and len(low) >= 2
        )

    def _could_be_name(self, token: Any) -> bool:
        """After a cue: capitalised, in the name lists, or an unknown word that is not a verb. A
        capitalised first name counts here even when it is a month or a common word ("the
        daughter June", "his brother Will"); in lower case, an ordinary word must not be read as a
        verb or an adverb ("the client, said ...", "her son will")."""
        low = token.lower_
        listed_cap = token.text[0].isupper() and low in self.lexicon.first_names and self._alpha(token)
        if not (self._candidate(token) or listed_cap):
            return False
        if token.text[0].isupper():
            return listed_cap or token.pos_ not in _FUNCTION_POS
        if self.lexicon.is_name(low):
            bad = _FUNCTION_POS | ({"VERB", "ADV"} if self._word(token) else set())
            return token.pos_ not in bad
        return not self._word(token) and token.pos_ not in _NOT_NAME_POS - {"VERB", "ADV"}

    def _word(self, token: Any) -> bool:
        """An ordinary word, in its own form or its lemma's ("says" is "say")."""
        return self.lexicon.is_word(token.lower_) or self.lexicon.is_word(token.lemma_.lower())

    @staticmethod
    def _sentence_start(text: str, token: Any) -> bool:
        before = text[: token.idx].rstrip(" \t\"'“‘(*•-")
        return not before or before[-1] in _SENTENCE_END

    def _place_follows(self, doc: Any, i: int) -> bool:
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        return nxt is not None and nxt.text[:1].isupper() and nxt.lower_ in self.lexicon.place_words

    # ------------------------------------------------------------------------------ finding
    def find(self, text: str, doc: Any) -> list[tuple[int, int, float, str]]:
        """(start, end, score, why) for every name found in ``doc`` (the spaCy Doc of ``text``)."""
        place = {t.i for ent in doc.ents if ent.label_ in _NOT_PERSON_LABELS for t in ent}
        org = self._organisation_words(doc)
        found: list[tuple[int, int, float, str]] = []
        named: set[int] = set()  # token indices inside names found so far
        for ent in doc.ents:
            if ent.label_ == "PERSON" and not any(t.i in org for t in ent):  # "Tai Chi for Health"
                span = self._trim_entity(ent)
                if span is not None:
                    found.append((*span, NER_SCORE, "spaCy PERSON"))
                    named.update(t.i for t in ent if span[0] <= t.idx < span[1])
        for token in doc:
            if token.i in named and token.i - 1 in named:
                continue
            head = self._head(text, doc, token, place, named)
            if head is None:
                continue
            first, why = head
            if org.get(token.i, 0) > (2 if why in {"title", "introduced"} else 0):
                continue  # a service's name, unless a cue says a person: "name Victoria Lane"
            last = self._extend(doc, token.i, cued=why in {"title", "introduced", "relation"})
            first = min(first, self._extend_left(text, doc, token.i))
            named.update(range(token.i, last + 1))
            found.append((first, doc[last].idx + len(doc[last]), RULE_SCORE, why))
        return found

    def _head(
        self, text: str, doc: Any, token: Any, place: set[int], named: set[int]
    ) -> tuple[int, str] | None:
        """Where a name starting at ``token`` begins (a title included) and why, or None."""
        lex = self.lexicon
        low = token.lower_
        before = text[max(0, token.idx - 40) : token.idx]
        title = self._after_title.search(before)
        if title and self._could_be_name(token):
            return token.idx - (len(before) - title.start()), "title"
        if self._after_intro.search(before) and self._could_be_name(token):
            return token.idx, "introduced"
        if self._after_relation.search(before) and self._could_be_name(token):
            return token.idx, "relation"
        if self._coordinated(doc, token, named) and self._could_be_name(token):
            return token.idx, "listed with a name"
        listed = lex.is_name(low) or not self._word(token)
        if (
            token.text[0].isupper()
            and listed
            and self._alpha(token)
            and self._role_after.match(text[token.idx + len(token) :])
        ):
            return token.idx, "age or relation after"  # "May is 84", "April (mum)", "Joy and her husband"
        if not self._candidate(token) or self._place_follows(doc, token.i):
            return None
        cap = token.text[0].isupper()
        if cap and token.i in place and token.i and doc[token.i - 1].lower_ in lex.locatives:
            return None  # "moved from Lincoln"
        if token.ent_type_ in {"NORP", "LANGUAGE"} and token.text[0].isupper():
            return None  # "speaks Polish and English"
        start_of_sentence = self._sentence_start(text, token)
        first = low in lex.first_names
        word = self._word(token)
        nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
        if first and not word and (cap or len(low) >= 3):
            return token.idx, "first name"
        if cap and not start_of_sentence and lex.is_name(low) and not word:
            return token.idx, "capitalised name"
        if cap and not start_of_sentence and first:
            return token.idx, "capitalised first name"
        # spaCy's tags are guesses on unknown words, and on two listed names in lower case.
        both_listed = (
            first and nxt is not None and nxt.lower_ in lex.surnames and token.pos_ not in _FUNCTION_POS
        )
        guessable = not word or both_listed or token.pos_ not in _NOT_NAME_POS
        if nxt is None or not self._surname(token, nxt) or not guessable:
            # "Rose rang again": an ambiguous first name opening a sentence, then a verb.
            opener = cap and start_of_sentence and first and token.pos_ not in _NOT_NAME_POS
            if opener and nxt is not None and nxt.tag_ in {"VBD", "VBZ"} and nxt.pos_ == "VERB":
                return token.idx, "first name opening a sentence"
            return None
        # Two words that read as a forename and surname: "Grace Okoro", "winston campbell".
        if cap:
            pair = lex.is_name(nxt.lower_) or not self._word(nxt)
        else:
            pair = nxt.lower_ in lex.surnames or (not word and not self._word(nxt))
        if (first or not word) and pair:
            return token.idx, "forename and surname"
        return None

    def _organisation_words(self, doc: Any) -> dict[int, int]:
        """Tokens of Title Case phrases that name a service, not a person: a phrase holding a place
        or organisation word ("Talk Shop Men's Peer Support Group"), or joined by "and", "for" or
        "of" with an ordinary word in it ("Tai Chi for Health", "Millfield Knit and Natter").
        Capitals in acronyms ("NI", "PIP") do not count; a list of names ("Tobi and Kemi") is not
        one, as no word in it is an ordinary word. Maps each such token to its phrase's length."""
        lex = self.lexicon
        runs: list[list[Any]] = []
        current: list[Any] = []
        for token in [*doc, None]:
            titled = token is not None and self._alpha(token) and token.text[0].isupper()
            joins = token is not None and current and token.lower_ in _JOINERS
            if titled or joins:
                current.append(token)
                continue
            while current and current[-1].lower_ in _JOINERS:
                current.pop()
            if current:
                runs.append(current)
            current = []
        out: dict[int, int] = {}
        for m in re.finditer(self._not_people_re, doc.text, re.I):  # "Marie Curie", "Jobcentre Plus"
            out.update((t.i, 99) for t in doc if m.start() <= t.idx < m.end())
        for run in runs:
            if self._sentence_start(doc.text, run[0]):  # "See Dr Patel": capitalised as an opener
                run = run[1:]
            if not run:
                continue
            titled = [t for t in run if t.lower_ not in _JOINERS | lex.titles | lex.not_names]
            plain = [t for t in titled if self._word(t) and not lex.is_name(t.lower_)]
            joiners = {t.lower_ for t in run} & _JOINERS
            titled_person = any(t.lower_ in lex.titles for t in run[:1]) or (
                run[0].i > 0 and doc[run[0].i - 1].lower_.rstrip(".") in lex.titles
            )  # "Mrs Chen Mei Ling"
            if (
                any(t.lower_ in lex.place_words for t in titled[1:])
                or (plain and joiners - {"and", "&"})
                or (plain and len(titled) >= 3 and not titled_person)
                or (2 * len(plain) > len(titled) and joiners)
            ):
                out.update((t.i, len(titled)) for t in run)
        return out

    @staticmethod
    def _coordinated(doc: Any, token: Any, named: set[int]) -> bool:
        """``token`` follows a name in a list: "kids Tobi and Kemi", "Dylan Evans, Gethin"."""
        i = token.i
        return i >= 2 and doc[i - 1].lower_ in {"and", "&", ",", "or"} and (i - 2) in named

    def _surname(self, prev: Any, token: Any) -> bool:
        """``token`` continues the name ``prev`` began: "Grace Okoro", "shannon price"."""
        if not self._candidate(token) or not prev.whitespace_ or "\n" in prev.whitespace_:
            return False
        low = token.lower_
        if prev.text[0].isupper():
            return token.text[0].isupper() or (low in self.lexicon.surnames and not self._word(token))
        if token.text[0].isupper():
            return False
        if low in self.lexicon.surnames:
            both_listed = prev.lower_ in self.lexicon.first_names and token.pos_ not in _FUNCTION_POS
            return (
                not self._word(token)
                or both_listed
                or token.pos_ not in {"VERB", "AUX", "ADP", "ADV", "PRON", "DET"}
            )
        return not self._word(token) and token.pos_ in {"PROPN", "NOUN", "X", "ADJ"}

    def _extend(self, doc: Any, i: int, cued: bool = False) -> int:
        """The index of the last word of the name starting at ``doc[i]``: up to three more words,
        hyphenated parts and particles included ("O'Brien-Smith", "Rhys ap Gwilym"); after a cue,
        a surname that is a street word too ("name Victoria Lane")."""
        end = i
        nxt = doc[i + 1] if i + 1 < len(doc) else None
        street_surname = nxt is not None and nxt.text[:1].isupper() and nxt.lower_ in self.lexicon.place_words
        if street_surname and cued and doc[i].whitespace_ == " " and not self._place_follows(doc, i + 1):
            return i + 1
        for _ in range(3):
            j = end + 1
            if (
                (
                    j + 1 < len(doc)
                    and doc[j].text == "-"
                    and not doc[end].whitespace_
                    and not doc[j].whitespace_
                )
                and doc[j + 1].text[:1].isupper()
                and self._candidate(doc[j + 1])
            ):
                end = j + 1
                continue
            if (
                j + 1 < len(doc)
                and doc[j].lower_ in self.lexicon.particles
                and doc[end].whitespace_
                and doc[j + 1].text[:1].isupper()
                and self._candidate(doc[j + 1])
            ):
                end = j + 1
                continue
            if j < len(doc) and self._surname(doc[end], doc[j]) and not self._place_follows(doc, j):
                end = j
                continue
            break
        return end

    def _extend_left(self, text: str, doc: Any, i: int) -> int:
        """Where the name at ``doc[i]`` starts, taking in a capitalised forename spaCy or the lists
        missed: "Precious Mensah"."""
        if i == 0 or not doc[i].text[:1].isupper():
            return int(doc[i].idx)
        prev = doc[i - 1]
        if (
            prev.text[:1].isupper()
            and self._candidate(prev)
            and prev.whitespace_ == " "
            and (not self._sentence_start(text, prev) or prev.lower_ in self.lexicon.first_names)
            and (prev.i == 0 or doc[prev.i - 1].lower_ not in self.lexicon.titles)
        ):
            return int(prev.idx)
        return int(doc[i].idx)

    def _trim_entity(self, ent: Any) -> tuple[int, int] | None:
        """spaCy's PERSON span without leading cue words and from the first place word on."""
        lex = self.lexicon
        tokens = list(ent)
        cut = next(
            (k for k, t in enumerate(tokens) if k and t.lower_ in lex.place_words and t.text[:1].isupper()),
            None,
        )
        if cut is not None:
            tokens = tokens[:cut]
        while tokens and (
            not self._alpha(tokens[0])
            or tokens[0].is_stop
            or tokens[0].lower_ in lex.relations
            or tokens[0].lower_ in lex.titles
        ):
            tokens = tokens[1:]

        def loose_end(t: Any) -> bool:  # "Qureshi rang", "Kevin interprets", "martin dob"
            ordinary = t.text.islower() and self._word(t) and not lex.is_name(t.lower_)
            return not self._alpha(t) or t.is_stop or t.lower_ in lex.not_names or ordinary

        while len(tokens) > 1 and loose_end(tokens[-1]) or tokens and not self._alpha(tokens[-1]):
            tokens = tokens[:-1]
        if not tokens:
            return None
        text = " ".join(t.text for t in tokens).lower()
        if any(text == p or text.startswith(p + " ") for p in self._not_people):
            return None
        if all(t.lower_ in lex.not_names for t in tokens):
            return None
        if len(tokens) > 1 and all(self._word(t) and not lex.is_name(t.lower_) for t in tokens):
            return None  # "Spectrum Social", "Adult Autism": ordinary words the model took for a name
        # In lower case the model guesses; keep its guess only where a word could be a name.
        if not any(t.text[:1].isupper() or lex.is_name(t.lower_) or not self._word(t) for t in tokens):
            return None
        return tokens[0].idx, tokens[-1].idx + len(tokens[-1])
