"""Index builds: incremental by content hash, safe against interruption; search filters."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from helpmate.errors import HelpmateError
from helpmate.index.builder import build_index, read_manifest
from helpmate.index.search import Filters, Index
from helpmate.index.store import VectorStore
from helpmate.knowledge.library import load_library
from tests.conftest import CountingEmbedder


def build(library: Path, home: Path, embedder: CountingEmbedder, **kw):  # type: ignore[no-untyped-def]
    store = VectorStore.open(home / "index" / "chroma", None)
    return build_index(load_library(library), home / "index", store, embedder, **kw), store


def edit_record(library: Path, record_id: str, **changes: object) -> None:
    path = library / "records" / "community.yaml"
    data = yaml.safe_load(path.read_text())
    for item in data["records"]:
        if item["id"] == record_id:
            item.update(changes)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def test_second_build_embeds_nothing_and_a_change_embeds_one(
    library: Path, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    home = tmp_path / "home"
    first, _ = build(library, home, embedder)
    total = first.records
    assert first.embedded == total and embedder.calls >= total
    embedder.calls = 0
    again, _ = build(library, home, embedder)
    assert again.up_to_date and embedder.calls == 0
    edit_record(library, "wr-com-mens-shed", description="Now meets on Thursdays too.")
    third, store = build(library, home, embedder)
    assert (third.embedded, third.reused) == (1, total - 1)
    index = Index.load(home / "index", store)
    assert index.by_id["wr-com-mens-shed"].description == "Now meets on Thursdays too."
    assert len(index.records) == total and index.vectors.shape == (total, 384)


def test_a_changed_areas_file_reaches_the_index_without_embedding_again(
    library: Path, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    home = tmp_path / "home"
    build(library, home, embedder)
    areas = yaml.safe_load((library / "areas.yaml").read_text())
    areas["areas"][0]["localities"] = [{"name": "Wrenford Green", "places": ["Green Lane"]}]
    (library / "areas.yaml").write_text(yaml.safe_dump(areas, sort_keys=False))
    embedder.calls = 0
    report, store = build(library, home, embedder)
    assert not report.up_to_date and report.embedded == 0 and embedder.calls == 0
    assert Index.load(home / "index", store).areas[0].localities[0].name == "Wrenford Green"


def test_interrupted_build_leaves_the_previous_index_usable(
    library: Path, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    home = tmp_path / "home"
    build(library, home, embedder)
    before = read_manifest(home / "index")
    edit_record(library, "wr-com-mens-shed", name="Renamed Shed")

    def interrupt() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        build(library, home, embedder, before_switch=interrupt)
    assert read_manifest(home / "index") == before
    index = Index.load(home / "index", VectorStore.open(home / "index" / "chroma", None))
    assert index.by_id["wr-com-mens-shed"].name == "Wrenford Men's Shed"
    # The next build finishes the job (the vector embedded before the interruption was kept) and
    # clears the half-built generation.
    report, store = build(library, home, embedder)
    assert (report.embedded, report.resumed) == (0, 1)
    assert [n for n in store.names() if n.startswith("helpmate-g")] == [f"helpmate-g{report.generation}"]


def test_missing_or_damaged_index_says_what_to_run(
    library: Path, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    home = tmp_path / "home"
    store = VectorStore.open(home / "index" / "chroma", None)
    with pytest.raises(HelpmateError, match="helpmate kb index"):
        Index.load(home / "index", store)
    report, store = build(library, home, embedder)
    folder = home / "index" / f"g{report.generation}"
    for damaged in ("keyword/vocab.index.json", "keyword/data.csc.index.npy", "vectors.npy", "needs.npz"):
        saved = (folder / damaged).read_bytes()
        (folder / damaged).write_bytes(b"garbage")
        with pytest.raises(HelpmateError, match="damaged.*--rebuild"):
            Index.load(home / "index", store)
        (folder / damaged).write_bytes(saved)
    Index.load(home / "index")
    (home / "index" / "manifest.json").write_text("{not json")
    with pytest.raises(HelpmateError, match="--rebuild"):
        Index.load(home / "index", store)


def test_filters_on_area_track_age_and_audience(
    library: Path, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    (library / "records" / "elsewhere.yaml").write_text(
        "records:\n  - id: far-1\n    name: Far away shed\n    track: community\n    areas: [elsewhere]\n"
        "    description: woodwork mending tools shed\n",
        encoding="utf-8",
    )
    home = tmp_path / "home"
    _, store = build(library, home, embedder)
    index = Index.load(home / "index", store)
    query = embedder.embed(["woodwork shed mending"])[0]

    def ids(track: str, **filters: object) -> list[str]:
        hits = index.rank(query, ["woodwork", "shed"], [], track=track, filters=Filters(**filters), limit=200)
        return [h.record.id for h in hits]

    assert "far-1" in ids("community") and "far-1" not in ids("community", area="wrenford")
    assert all(index.by_id[i].track == "service" for i in ids("service"))
    youth = [
        r.id
        for r in index.records
        if r.eligibility.min_age is not None
        and r.eligibility.min_age >= 11
        and r.eligibility.max_age is not None
        and r.eligibility.max_age <= 25
    ]
    assert youth and not set(youth) & set(ids("community", age=80) + ids("service", age=80))
    older_only = ids("community", audience="older-people")
    assert older_only and all(
        not index.by_id[i].audiences or "older-people" in index.by_id[i].audiences for i in older_only
    )


def test_hashing_embedder_is_deterministic_and_normalised() -> None:
    emb = CountingEmbedder()
    a, b = emb.embed(["a friendly knitting group"]), emb.embed(["a friendly knitting group"])
    assert np.array_equal(a, b) and abs(float(np.linalg.norm(a[0])) - 1) < 1e-5


def test_a_contact_change_reuses_the_vector(
    library: Path, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    home = tmp_path / "home"
    first, _ = build(library, home, embedder)
    edit_record(library, "wr-com-mens-shed", contact={"phone": "01632 960999"})
    report, store = build(library, home, embedder)
    assert not report.up_to_date and report.embedded == 0 and report.reused == first.records
    assert Index.load(home / "index", store).by_id["wr-com-mens-shed"].contact.phone == "01632 960999"


def test_an_index_of_the_earlier_layout_is_brought_up_to_date_reusing_its_vectors(
    library: Path, tmp_path: Path, embedder: CountingEmbedder
) -> None:
    """Before, the vectors lived only in Chroma and the keyword index was a pickle."""
    import json
    import shutil

    home = tmp_path / "home"
    first, _ = build(library, home, embedder)
    folder = home / "index" / f"g{first.generation}"
    (folder / "vectors.npy").unlink()
    shutil.rmtree(folder / "keyword")
    (folder / "keyword.pkl").write_bytes(b"an old pickle, never read")
    manifest = json.loads((home / "index" / "manifest.json").read_text())
    del manifest["keyword"]
    (home / "index" / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(HelpmateError, match="earlier helpmate.*helpmate kb index"):
        Index.load(home / "index")
    embedder.calls = 0
    report, _ = build(library, home, embedder)
    assert (report.embedded, report.reused) == (0, first.records) and embedder.calls == 0
    assert Index.load(home / "index").vectors.shape == (first.records, 384)
