"""An interrupted index build keeps what it embedded, says so, and the next build goes on from there;
every phase of a build is named as it starts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import pytest
import typer

from helpmate.index.builder import BuildInterrupted, build_index, read_manifest, record_text
from helpmate.index.embedders import HashingEmbedder
from helpmate.index.search import Index
from helpmate.index.store import VectorStore
from helpmate.index.vectors import CHUNK
from helpmate.knowledge.library import load_library


class InterruptingEmbedder(HashingEmbedder):
    """The hashing embedder, as if Ctrl-C were pressed once ``stop_after`` texts were embedded."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.stop_after = stop_after
        self.texts: list[str] = []
        self.loaded = 0

    def load(self) -> None:
        self.loaded += 1

    def embed(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if self.stop_after is not None and len(self.texts) + len(texts) > self.stop_after:
            raise KeyboardInterrupt
        self.texts.extend(texts)
        return super().embed(texts, progress)


def build(library: Path, home: Path, embedder: HashingEmbedder, **kw):  # type: ignore[no-untyped-def]
    store = VectorStore.open(home / "index" / "chroma", None)
    return build_index(load_library(library), home / "index", store, embedder, **kw)


def test_a_build_interrupted_after_some_records_is_resumed_without_embedding_them_again(
    library: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    records = load_library(library).records
    stop_after = CHUNK * 2 + 10  # two chunks kept, the third cut short
    first = InterruptingEmbedder(stop_after=stop_after)
    with pytest.raises(BuildInterrupted) as caught:
        build(library, home, first)
    assert caught.value.kept == CHUNK * 2 == len(first.texts)
    assert caught.value.remaining == len(records) - CHUNK * 2
    assert read_manifest(home / "index") is None  # nothing switched: no half-built index in use

    second = InterruptingEmbedder()
    report = build(library, home, second)
    all_texts = {record_text(r) for r in records}
    embedded_again = set(second.texts) & all_texts
    assert embedded_again == all_texts - set(first.texts)  # only the rest
    assert (report.resumed, report.embedded) == (CHUNK * 2, len(records) - CHUNK * 2)
    index = Index.load(home / "index")
    straight = HashingEmbedder().embed([record_text(r) for r in index.records])
    assert np.allclose(index.vectors, straight)  # the kept vectors are the right records' vectors
    assert not (home / "index" / "embedding-cache").exists()  # a finished build clears the cache


def test_a_rebuild_interrupted_then_resumed_and_a_rebuild_that_embeds_all_again(
    library: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    build(library, home, InterruptingEmbedder())
    with pytest.raises(BuildInterrupted):
        build(library, home, InterruptingEmbedder(stop_after=CHUNK + 1), rebuild=True)
    assert Index.load(home / "index").records  # the previous index is still in use
    report = build(library, home, InterruptingEmbedder(), rebuild=True)
    assert report.resumed == 0 and report.embedded == report.records  # --rebuild embeds everything


def test_a_damaged_cache_chunk_is_embedded_again(library: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    with pytest.raises(BuildInterrupted):
        build(library, home, InterruptingEmbedder(stop_after=CHUNK * 2 + 1))
    chunks = sorted((home / "index" / "embedding-cache").rglob("*.npy"))
    assert len(chunks) == 2
    chunks[0].write_bytes(b"not an array")
    report = build(library, home, InterruptingEmbedder())
    assert report.resumed == CHUNK
    assert Index.load(home / "index").vectors.shape[0] == report.records


def test_every_phase_is_named_as_it_starts_and_the_model_loads_only_when_needed(
    library: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    phases: list[str] = []
    embedder = InterruptingEmbedder()
    build(library, home, embedder, progress=lambda phase, done, total: phases.append(phase))
    named = list(dict.fromkeys(phases))
    assert named[:2] == ["loading the model", "embedding"] and embedder.loaded == 1
    for phase in (
        "writing the vectors",
        "writing the keyword index",
        "embedding the needs",
        "writing the vector store",
    ):
        assert phase in named
    phases.clear()
    again = InterruptingEmbedder()
    report = build(library, home, again, progress=lambda phase, done, total: phases.append(phase))
    assert report.up_to_date and again.loaded == 0 and not again.texts


def test_kb_index_says_on_ctrl_c_what_was_kept_and_exits_130(
    library: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from helpmate.cli import indexing

    stopping = InterruptingEmbedder(stop_after=CHUNK + 5)
    monkeypatch.setattr("helpmate.index.embedders.embedder_for", lambda settings: stopping)
    with pytest.raises(typer.Exit) as caught:
        indexing.run_index(rebuild=False)
    assert caught.value.exit_code == 130
    err = capsys.readouterr().err
    assert f"interrupted: kept {CHUNK} embedded records; run 'helpmate kb index' to go on" in err
    assert "Traceback" not in err

    monkeypatch.setattr("helpmate.index.embedders.embedder_for", lambda settings: InterruptingEmbedder())
    indexing.run_index(rebuild=False)
    out = capsys.readouterr().out
    assert f"{CHUNK} kept from an interrupted build" in out
