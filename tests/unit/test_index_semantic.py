"""The semantic safeguarding classifier travels with the index's own files: it is trained when the
index is built (for an embedder that reads meaning), kept in the generation's needs.npz, read back
by ``Index.load`` without pickle, and trained again when the exemplar bank changes."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from helpmate.index.builder import build_index
from helpmate.index.embedders import HashingEmbedder
from helpmate.index.search import Index
from helpmate.index.semantic import load_classifier
from helpmate.index.store import VectorStore
from helpmate.knowledge.bank import LIBRARY_BANK, NONE
from helpmate.knowledge.library import load_library
from tests.conftest import SAMPLE


class MeaningEmbedder(HashingEmbedder):
    """The hashing embedder standing in for a sentence model (fast, deterministic)."""

    name = "meaning-stand-in"
    reads_meaning = True


def build(library: Path, home: Path, embedder: HashingEmbedder):  # type: ignore[no-untyped-def]
    store = VectorStore.open(home / "index" / "chroma", None)
    return build_index(load_library(library), home / "index", store, embedder)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample library and a home with its index built by the meaning stand-in, once
    for this module (the build trains the classifier: the slowest step, about 15 s)."""
    folder = tmp_path_factory.mktemp("semantic")
    shutil.copytree(SAMPLE, folder / "library")
    build(folder / "library", folder / "home", MeaningEmbedder())
    return folder


def test_the_classifier_is_trained_at_build_and_loaded_from_the_generation(built: Path) -> None:
    classifier = load_classifier(Index.load(built / "home" / "index").need_vectors)
    assert classifier is not None
    assert NONE in classifier.classes and len(classifier.classes) > 2
    # It reads the words beside the vector: what sets a risk apart from its lookalike.
    assert len(classifier.vocab) == 2 and len(classifier.idf) == classifier.weights.shape[1] - 384
    probs = classifier.probabilities(
        MeaningEmbedder().embed(["she says he will kill her tonight"]), ["she says he will kill her tonight"]
    )
    assert probs.shape == (1, len(classifier.classes))


def test_an_embedder_that_shares_words_only_gets_no_classifier(library: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    build(library, home, HashingEmbedder())
    assert load_classifier(Index.load(home / "index").need_vectors) is None


def test_a_changed_bank_retrains_the_classifier_and_reuses_the_record_vectors(
    built: Path, tmp_path: Path
) -> None:
    library, home = tmp_path / "library", tmp_path / "home"
    shutil.copytree(built / "library", library)  # the module's first build, as files: ours to change
    shutil.copytree(built / "home", home)
    before = Index.load(home / "index").need_vectors["semantic_bank"]
    (library / LIBRARY_BANK).write_text(
        'kinds:\n  immediate-danger:\n    risks:\n      - "he is at her door with a bat right now"\n',
        encoding="utf-8",
    )
    report = build(library, home, MeaningEmbedder())
    assert not report.up_to_date and report.embedded == 0 and report.reused == report.records
    assert Index.load(home / "index").need_vectors["semantic_bank"] != before
