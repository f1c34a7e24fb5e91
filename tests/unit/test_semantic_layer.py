"""The semantic safeguarding layer: the part of a message that carries a risk raises it, at the
level its probability reaches, and a risk answered with a no or put in the past raises nothing.

The embedder here is a fake that reads meaning by a few marker words (a sentence model's job), so
the tests show the layer's own behaviour: which parts it compares, how it picks the level and the
evidence, and what it leaves out.
"""

from __future__ import annotations

import numpy as np

from helpmate.assistant.lexicon import lexicon
from helpmate.assistant.reading import Reader
from helpmate.assistant.safeguarding.semantic import SemanticLayer
from helpmate.index.classifier import train
from helpmate.knowledge.bank import NONE
from helpmate.knowledge.library import load_library
from tests.conftest import SAMPLE

LIBRARY = load_library(SAMPLE)
READER = Reader(LIBRARY.needs, LIBRARY.areas)

MARKERS = {"properly": 0, "bruises": 1, "vague": 2}
"""A marker word and the axis it lights: 0 suicide, 1 adult physical abuse, 2 a faint hint of it."""


def embed(texts: list[str]) -> np.ndarray:
    out = np.zeros((len(texts), 4), dtype=np.float32)
    for row, text in enumerate(texts):
        words = text.lower().split()
        for word, axis in MARKERS.items():
            if any(w.strip(".,;") == word for w in words):
                out[row, axis] = 1.0
        out[row, 3] = 1.0  # every part says something ordinary too
    return out / np.linalg.norm(out, axis=1, keepdims=True)


def layer() -> SemanticLayer:
    vectors = np.array(
        [[1, 0, 0, 1], [1, 0, 0, 0.5], [0, 1, 0, 1], [0, 1, 0, 0.5], [0, 0, 0, 1], [0, 0, 0, 1]]
        + [[0, 0, 1, 1], [0, 0, 1, 1], [0, 0, 1, 1]],
        dtype=np.float32,
    )
    labels = [
        "suicide",
        "suicide",
        "adult-physical",
        "adult-physical",
        NONE,
        NONE,
        "adult-physical",
        "adult-physical",
        NONE,
    ]
    classifier = train(vectors / np.linalg.norm(vectors, axis=1, keepdims=True), labels)
    return SemanticLayer(classifier, embed, lexicon(), concern=0.9, check=0.5)


def test_the_clause_that_carries_the_risk_raises_it_with_its_words() -> None:
    reading = READER.read(
        "She came in about her council tax bill, he told me next time he will do it properly."
    )
    matches = layer().matches(reading)
    assert [m.kind for m in matches] == ["suicide"]
    assert matches[0].level == "concern"
    assert "properly" in matches[0].evidence and "council tax" not in matches[0].evidence


def test_an_ordinary_message_raises_nothing() -> None:
    assert (
        layer().matches(READER.read("He wants to join a walking group and learn to cook on a budget.")) == []
    )


def test_a_risk_answered_no_or_in_the_past_raises_nothing() -> None:
    assert layer().matches(READER.read("I asked if he would do it properly and he said no, never.")) == []
    assert layer().matches(READER.read("Her carer left bruises on her arm years ago, she is safe now.")) == []


def test_a_weaker_likeness_is_worth_asking_about_not_a_concern() -> None:
    strong = layer().matches(READER.read("Her son leaves bruises on her arms when she forgets things."))
    faint = layer().matches(READER.read("Something vague about how her son treats her at home."))
    assert [(m.kind, m.level) for m in strong] == [("adult-physical", "concern")]
    assert [m.level for m in faint] == ["check"]


def test_the_shipped_vectors_cover_the_bank_and_the_sample_taxonomy() -> None:
    """Editing a bank file or the sample taxonomy without `python -m helpmate.index.semantic` would make every first index
    embed the changed texts again (minutes): this says so before a release does."""
    from helpmate.index.builder import need_texts
    from helpmate.index.semantic import shipped_vectors, text_keys
    from helpmate.knowledge.bank import load_bank

    texts, _ = load_bank(None).labelled()
    texts += [ex for n in LIBRARY.needs for ex in n.examples] + [need_texts(n) for n in LIBRARY.needs]
    texts += [k for n in LIBRARY.needs for k in n.keywords]
    known = shipped_vectors("all-MiniLM-L6-v2")
    missing = [t for t, k in zip(texts, text_keys(texts), strict=True) if bytes(k) not in known]
    assert not missing, f"{len(missing)} bank texts have no shipped vector, e.g. {missing[0]!r}"
    assert all(v.shape == (384,) for v in list(known.values())[:5])


def test_a_risk_and_its_lookalike_that_a_sentence_model_cannot_tell_apart_are_told_by_their_words() -> None:
    """MiniLM puts "do it properly" (suicide) beside "do the job properly": here the fake embedder
    gives every text the same vector, so only the words can separate them, as the classifier the
    index now trains reads them."""
    from helpmate.index.classifier import Classifier, train_lexical

    risks = [
        "next time he will do it properly",
        "says he will do it properly next time",
        "told me he would do it properly",
        "he wants to do it properly this time",
    ]
    lookalikes = [
        "next time he will do the job properly",
        "says he will do the garden properly",
        "told me he would fix the boiler properly",
        "he wants to learn to cook properly",
    ]
    ordinary = ["he wants to join a walking group", "she is looking for a lunch club"]
    texts = risks + lookalikes + ordinary
    labels = ["suicide"] * len(risks) + [NONE] * (len(lookalikes) + len(ordinary))

    def same(parts: list[str]) -> np.ndarray:
        return np.ones((len(parts), 4), dtype=np.float32) / 2.0

    trained = train_lexical(texts, same(texts), labels)
    classifier = Classifier.from_arrays(trained.to_arrays("semantic"), "semantic")  # as the index keeps it
    assert classifier is not None
    words = SemanticLayer(classifier, same, lexicon(), concern=0.6, check=0.5)
    risk = words.matches(READER.read("Rang about his council tax. He said next time he will do it properly."))
    assert [(m.kind, m.level) for m in risk] == [("suicide", "concern")]
    assert "properly" in risk[0].evidence and "council tax" not in risk[0].evidence
    assert words.matches(READER.read("He said next time he will do the job properly, he is a joiner.")) == []
