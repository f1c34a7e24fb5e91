"""What helpmate reads back from HELPMATE_HOME is data, never code: the keyword index, the record
vectors and the library's parse cache. A team may share a home, so anyone who can write to it
could plant a file; before, a planted ``keyword.pkl`` ran a command during ``suggest``."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpmate.errors import HelpmateError
from helpmate.index.builder import build_index, keyword_text
from helpmate.index.keyword import KeywordIndex
from helpmate.index.search import Index
from helpmate.index.store import VectorStore
from helpmate.index.text import tokenize
from helpmate.knowledge.library import load_library
from tests.conftest import CountingEmbedder


class Planted:
    """Unpickling this runs ``touch MARKER``: what an attacker would put in a pickle."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):  # type: ignore[no-untyped-def]
        return (os.system, (f"touch {self.marker}",))


def build(library: Path, home: Path) -> Path:
    store = VectorStore.open(home / "index" / "chroma", None)
    report = build_index(load_library(library), home / "index", store, CountingEmbedder())
    return home / "index" / f"g{report.generation}"


def suggest(home: Path, library: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HELPMATE_HOME": str(home), "HELPMATE_KNOWLEDGE": str(library)}
    return subprocess.run(
        [sys.executable, "-m", "helpmate.cli.main", "suggest", "--json", "lonely since her husband died"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )


def test_a_planted_keyword_pickle_runs_nothing_during_suggest(library: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = build(library, home)
    marker = tmp_path / "PWNED"
    for place in (folder / "keyword.pkl", home / "index" / "keyword.pkl", folder / "keyword" / "index.pkl"):
        place.write_bytes(pickle.dumps(Planted(marker)))
    result = suggest(home, library)
    assert result.returncode == 0, result.stderr
    assert '"services"' in result.stdout
    assert not marker.exists()


@pytest.mark.parametrize(
    "name",
    [
        "keyword/data.csc.index.npy",
        "keyword/indices.csc.index.npy",
        "keyword/indptr.csc.index.npy",
        "vectors.npy",
    ],
)
def test_a_pickle_planted_inside_an_array_file_is_refused_as_damage(
    library: Path, tmp_path: Path, name: str
) -> None:
    home = tmp_path / "home"
    folder = build(library, home)
    marker = tmp_path / "PWNED"
    with open(folder / name, "wb") as out:
        np.save(out, np.array([Planted(marker)], dtype=object), allow_pickle=True)
    with pytest.raises(HelpmateError, match="damaged"):
        Index.load(home / "index")
    result = suggest(home, library)
    assert result.returncode == 2 and "damaged" in result.stderr and "Traceback" not in result.stderr
    assert not marker.exists()


def test_arrays_that_do_not_fit_together_are_damage_not_a_crash_later(library: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    folder = build(library, home)
    indices = np.load(folder / "keyword" / "indices.csc.index.npy")
    np.save(folder / "keyword" / "indices.csc.index.npy", indices + 10_000)  # records that do not exist
    with pytest.raises(HelpmateError, match="damaged"):
        Index.load(home / "index")
    np.save(folder / "keyword" / "indices.csc.index.npy", indices)
    vectors = np.load(folder / "vectors.npy")
    np.save(folder / "vectors.npy", vectors[:-1])  # one record short
    with pytest.raises(HelpmateError, match="damaged"):
        Index.load(home / "index")


def test_keyword_scores_are_those_of_bm25s_itself(library: Path, tmp_path: Path) -> None:
    import bm25s

    lib = load_library(library)
    ids = [r.id for r in lib.records]
    index = KeywordIndex.build(ids, [keyword_text(r) for r in lib.records])
    index.save(tmp_path / "kw")
    loaded = KeywordIndex.load(tmp_path / "kw", ids)
    reference = bm25s.BM25.load(tmp_path / "kw")  # bm25s reads what we saved, in its own format
    for query in ["lonely widower who likes woodwork", "rent arrears and eviction", "carer for mum"]:
        terms = [t for t in tokenize(query) if t in reference.vocab_dict]
        assert np.allclose(loaded.scores(tokenize(query)), reference.get_scores(terms), atol=1e-5)
    assert loaded.search("woodwork shed")[0][0] == "wr-com-mens-shed"
    assert not loaded.scores(["no-such-word"]).any()


def test_an_empty_library_has_an_empty_keyword_index(tmp_path: Path) -> None:
    index = KeywordIndex.build([], [])
    index.save(tmp_path / "kw")
    assert KeywordIndex.load(tmp_path / "kw", []).scores(["anything"]).shape == (0,)


# --------------------------------------------------------------------------- the parse cache


def test_a_planted_parse_cache_runs_nothing_and_the_library_is_parsed_again(
    library: Path, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    fresh = load_library(library, cache_dir=cache).records
    files = sorted(cache.glob("*.json"))
    assert files, "the cache is written as JSON"
    marker = tmp_path / "PWNED"
    for path in files:
        path.write_bytes(pickle.dumps(Planted(marker)))  # a pickle where the JSON was
        path.with_suffix(".pkl").write_bytes(pickle.dumps(Planted(marker)))  # and where an old one was
    again = load_library(library, cache_dir=cache).records
    assert not marker.exists()
    assert again == fresh
    assert all(not p.with_suffix(".pkl").exists() for p in files)  # an old pickle is removed, unread


@pytest.mark.parametrize(
    "planted",
    [
        b"{not json",
        b'{"key": "x", "records": "not a list"}',
        b'{"key": "x", "records": [{"id": "fake", "name": "Injected", "track": "service"}], "extra": 1}',
        "\udcff".encode("utf-8", "surrogatepass"),
    ],
)
def test_a_damaged_parse_cache_is_ignored(library: Path, tmp_path: Path, planted: bytes) -> None:
    cache = tmp_path / "cache"
    fresh = load_library(library, cache_dir=cache).records
    for path in cache.glob("*.json"):
        path.write_bytes(planted)
    assert load_library(library, cache_dir=cache).records == fresh


def test_a_cache_of_another_file_version_is_not_used(library: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_library(library, cache_dir=cache)
    path = library / "records" / "community.yaml"
    path.write_text(path.read_text().replace("Wrenford Men's Shed", "Wrenford Shed"), encoding="utf-8")
    names = {r.name for r in load_library(library, cache_dir=cache).records}
    assert "Wrenford Shed" in names and "Wrenford Men's Shed" not in names


def test_a_cache_that_cannot_be_written_only_costs_time(library: Path, tmp_path: Path) -> None:
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    assert load_library(library, cache_dir=blocked / "library").records


def test_loading_and_searching_the_index_imports_neither_bm25s_nor_chromadb(
    library: Path, tmp_path: Path
) -> None:
    """bm25s pulls in scipy (0.6 s) and chromadb costs 0.7 s: builds pay them, searches do not."""
    home = tmp_path / "home"
    build(library, home)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from helpmate.index.search import Index\n"
        "from helpmate.index.text import tokenize\n"
        f"index = Index.load(Path({str(home / 'index')!r}))\n"
        "assert index.keyword.scores(tokenize('lonely woodwork')).any()\n"
        "print([m for m in ('bm25s', 'scipy', 'chromadb') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
