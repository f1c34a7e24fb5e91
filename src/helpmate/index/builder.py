"""Building the index from the library: incremental by content hash, never half-switched.

Each build writes a new *generation*: a folder ``index/gN/`` (record snapshot, record vectors,
keyword index, need vectors), which is all that searching reads, and a Chroma collection
``helpmate-gN`` for ``helpmate kb search``. Records whose embedded text is unchanged reuse their
vectors from the previous generation; what is embedded goes into an embedding cache chunk by chunk
(``index/vectors.py``), so a build that is interrupted keeps it and the next one goes on from
there. Only when everything is written does ``index/manifest.json`` switch to the new generation
(an atomic rename), so a build that is interrupted or fails leaves the previous index in use.

Builds take an exclusive lock (``helpmate.knowledge.locks``) in the CLI: two at once would drop
each other's Chroma collections.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from helpmate.errors import HelpmateError
from helpmate.index.embedders import Embedder
from helpmate.index.keyword import KeywordIndex
from helpmate.index.semantic import FORMAT as SEMANTIC_FORMAT
from helpmate.index.semantic import embed_bank, semantic_arrays
from helpmate.index.store import ALL_AREAS, PREFIX, VectorStore, area_key
from helpmate.index.text import TOKENIZER
from helpmate.index.vectors import CHUNK, VECTORS, EmbeddingCache, load_vectors, save_vectors
from helpmate.knowledge.bank import Bank, load_bank
from helpmate.knowledge.files import atomic_write
from helpmate.knowledge.library import Library
from helpmate.knowledge.records import Need, Record

MANIFEST = "manifest.json"
FORMAT_VERSION = 1


def record_text(record: Record) -> str:
    """What the embedder reads for a record (MiniLM reads the first 256 word pieces)."""
    parts = [record.name]
    if record.organisation and record.organisation.lower() not in record.name.lower():
        parts.append(f"({record.organisation})")
    text = " ".join(parts) + ". " + record.description
    if record.audiences:
        text += " For: " + ", ".join(record.audiences) + "."
    return text[:2000]


def keyword_text(record: Record) -> str:
    """What the keyword index reads: name twice (names matter most), then everything descriptive."""
    return " ".join(
        [
            record.name,
            record.name,
            record.organisation,
            record.description,
            " ".join(record.audiences),
            record.eligibility.text,
        ]
    )


def need_texts(need: Need) -> str:
    return f"{need.label}. {need.search or need.description}"


def record_metadata(record: Record) -> dict[str, Any]:
    meta: dict[str, Any] = {"track": record.track}
    for slug in record.areas:
        meta[area_key(slug)] = True
    if not record.areas:
        meta[ALL_AREAS] = True
    return meta


def _hash_models(items: Sequence[BaseModel]) -> str:
    payload = json.dumps([n.model_dump(mode="json") for n in items], sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def read_manifest(index_dir: Path) -> dict[str, Any] | None:
    path = index_dir / MANIFEST
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise HelpmateError(
            f"{path}: the index manifest is corrupt", hint="run 'helpmate kb index --rebuild'"
        ) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return None
    return data


def library_fingerprint(library_root: Path) -> str:
    """Cheap fingerprint of the library files (names, sizes, mtimes) to notice an out-of-date index."""
    items = []
    for path in sorted(library_root.rglob("*.yaml")):
        stat = path.stat()
        items.append(f"{path.relative_to(library_root)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.sha256("\n".join(items).encode()).hexdigest()[:16]


Progress = Callable[[str, int, int | None], None]
"""``progress(phase, done, total)``: what the build is doing ("loading the model", "embedding",
"writing the keyword index", ...), with counts where it has them (``total`` None: no count)."""

KEYWORD = "keyword"
KEYWORD_FORMAT = f"bm25s-1/{TOKENIZER}"
"""The keyword index's format and the tokenizer that made it: a generation of another format (the
pickle of helpmate before 0.2, or other tokens) is rebuilt, reusing its vectors."""


class BuildInterrupted(KeyboardInterrupt):
    """Ctrl-C during a build: the previous index stays in use; ``kept`` records' vectors are in the
    embedding cache, so the next build does not embed them again."""

    def __init__(self, kept: int, remaining: int) -> None:
        super().__init__(f"kept {kept} embedded records")
        self.kept = kept
        self.remaining = remaining


@dataclass
class BuildReport:
    records: int
    embedded: int
    reused: int
    removed: int
    generation: int
    seconds: float
    up_to_date: bool = False
    resumed: int = 0
    """Records whose vectors came from the embedding cache of an interrupted build."""


def _generation_complete(folder: Path) -> bool:
    return (
        (folder / VECTORS).is_file()
        and (folder / KEYWORD).is_dir()
        and (folder / "snapshot.json").is_file()
        and _has_keyword_vectors(folder / "needs.npz")
    )


def build_index(
    library: Library,
    index_dir: Path,
    store: VectorStore,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
    before_switch: Callable[[], None] | None = None,
) -> BuildReport:
    """Bring the index in line with the library; ``progress`` hears of every phase.

    Raises ``HelpmateError`` (one line: what failed and what to do) when the index cannot be
    written, and ``BuildInterrupted`` on Ctrl-C; either way the previous index stays in use.
    """
    started = time.perf_counter()
    tell: Progress = progress or (lambda phase, done, total: None)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _cannot_write(index_dir, exc, None) from exc
    manifest = None if rebuild else read_manifest(index_dir)
    hashes = {r.id: r.content_hash() for r in library.records}
    # Vectors depend only on the text embedded: a changed phone number or need tag reuses them.
    texts = {r.id: record_text(r) for r in library.records}
    embed_hashes = {rid: hashlib.sha256(text.encode()).hexdigest()[:16] for rid, text in texts.items()}
    # The need vectors carry the semantic safeguarding classifier, trained on the exemplar bank.
    bank = load_bank(library.root)
    needs_hash = hashlib.sha256(
        (_hash_models(library.needs) + bank.fingerprint + SEMANTIC_FORMAT).encode()
    ).hexdigest()[:16]
    # The areas (places, localities) travel in the snapshot: a changed areas.yaml makes a new one.
    areas_hash = _hash_models(library.areas)
    fingerprint = library_fingerprint(library.root)
    same_embedder = bool(manifest and manifest.get("embedder") == embedder.name)
    old: dict[str, Any] = manifest if manifest and same_embedder else {}
    if (
        old
        and old.get("hashes") == hashes
        and old.get("needs_hash") == needs_hash
        and old.get("areas_hash") == areas_hash
        and old.get("keyword") == KEYWORD_FORMAT
        and _generation_complete(index_dir / old["folder"])
        and old.get("collection") in store.names()
    ):
        if old.get("fingerprint") != fingerprint:
            old["fingerprint"] = fingerprint
            atomic_write(index_dir / MANIFEST, json.dumps(old))
        n = len(hashes)
        return BuildReport(n, 0, n, 0, old["generation"], time.perf_counter() - started, up_to_date=True)

    generation = (manifest or read_manifest(index_dir) or {}).get("generation", 0) + 1
    name, folder = f"{PREFIX}{generation}", f"g{generation}"
    target = index_dir / folder
    cache = EmbeddingCache(index_dir, embedder.name, embedder.dim)
    if rebuild:
        cache.clear()
    wanted = set(embed_hashes.values())
    found = _previous_vectors(old, index_dir, store, wanted, embed_hashes, tell) if old else {}
    reused = sum(1 for h in embed_hashes.values() if h in found)
    from_cache = cache.load(wanted - set(found))
    found.update(from_cache)
    todo = {h: texts[rid] for rid, h in embed_hashes.items() if h not in found}
    embedded = 0
    try:
        if todo:
            tell("loading the model", 0, None)
            load = getattr(embedder, "load", None)
            if callable(load):
                load()
            tell("embedding", 0, len(todo))
            pending = list(todo.items())
            for start in range(0, len(pending), CHUNK):
                chunk = pending[start : start + CHUNK]
                rows = embedder.embed([text for _, text in chunk])
                cache.add([h for h, _ in chunk], rows)
                found.update({h: rows[i] for i, (h, _) in enumerate(chunk)})
                embedded += len(chunk)
                tell("embedding", embedded, len(todo))
        ids = [r.id for r in library.records]
        matrix = (
            np.vstack([found[embed_hashes[rid]] for rid in ids])
            if ids
            else np.zeros((0, embedder.dim), dtype=np.float32)
        )
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        tell("writing the vectors", 0, None)
        save_vectors(target, matrix)
        tell("writing the keyword index", 0, None)
        KeywordIndex.build(ids, (keyword_text(r) for r in library.records)).save(target / KEYWORD)
        _write_need_vectors(library.needs, embedder, old or None, index_dir, needs_hash, target, tell, bank)
        tell("writing the snapshot", 0, None)
        snapshot = {
            "records": [
                r.model_dump(mode="json", exclude_defaults=True) | {"track": r.track} for r in library.records
            ],
            "needs": [n.model_dump(mode="json") for n in library.needs],
            "areas": [a.model_dump(mode="json") for a in library.areas],
        }
        with open(target / "snapshot.json", "w", encoding="utf-8") as out:
            json.dump(snapshot, out, ensure_ascii=False)  # streamed: no second copy as one big string
        del snapshot
        tell("writing the vector store", 0, None)
        collection = store.create(name)
        if ids:
            store.add(collection, ids, matrix, [record_metadata(r) for r in library.records])
        if before_switch:
            before_switch()  # a test hook to simulate an interruption before the switch
        new_manifest = {
            "format": FORMAT_VERSION,
            "generation": generation,
            "collection": name,
            "folder": folder,
            "embedder": embedder.name,
            "keyword": KEYWORD_FORMAT,
            "library": str(library.root),
            "fingerprint": fingerprint,
            "needs_hash": needs_hash,
            "areas_hash": areas_hash,
            "hashes": hashes,
            # In the order of the records (and of the rows of vectors.npy): the next build reuses them.
            "embed_hashes": embed_hashes,
            "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "store": store.where,
        }
        atomic_write(index_dir / MANIFEST, json.dumps(new_manifest))
    except KeyboardInterrupt as exc:
        _discard(target, store, name)
        kept = len(from_cache) + embedded
        raise BuildInterrupted(kept, len(todo) - embedded) from exc
    except OSError as exc:
        _discard(target, store, name)
        raise _cannot_write(index_dir, exc, manifest) from exc
    except HelpmateError as exc:
        _discard(target, store, name)
        if manifest:
            raise HelpmateError(exc.message, hint=exc.hint + "; the previous index is still in use") from exc
        raise
    tell("tidying up", 0, None)
    cache.clear()
    _collect_garbage(index_dir, store, keep=(name, folder))
    removed = len(set(old.get("hashes", {})) - set(hashes))
    return BuildReport(
        len(ids),
        embedded,
        reused,
        removed,
        generation,
        time.perf_counter() - started,
        resumed=len(from_cache),
    )


def _previous_vectors(
    old: dict[str, Any],
    index_dir: Path,
    store: VectorStore,
    wanted: set[str],
    embed_hashes: dict[str, str],
    tell: Progress,
) -> dict[str, np.ndarray]:
    """Vectors of the previous generation by text hash: from its ``vectors.npy`` (rows in the order
    of its ``embed_hashes``), or from the vector store for a generation made before those files."""
    old_hashes: dict[str, str] = old.get("embed_hashes", {})
    folder = index_dir / old["folder"]
    tell("reading the previous index", 0, None)
    try:
        rows = load_vectors(folder, len(old_hashes))
        return {h: rows[i] for i, h in enumerate(old_hashes.values()) if h in wanted}
    except (OSError, ValueError):
        pass  # none, or damaged: an older layout, or embed again
    reuse = [rid for rid, h in embed_hashes.items() if old_hashes.get(rid) == h]
    collection = old.get("collection")
    if not reuse or not folder.is_dir() or (folder / VECTORS).exists():
        return {}
    try:
        if collection not in store.names():
            return {}
        by_id = store.vectors(store.get(collection), reuse)
    except HelpmateError:
        return {}  # the old store cannot be read: embed again
    return {embed_hashes[rid]: vec for rid, vec in by_id.items()}


def _discard(target: Path, store: VectorStore, name: str) -> None:
    """Remove what a failed or interrupted build wrote of its generation (best effort)."""
    shutil.rmtree(target, ignore_errors=True)
    with contextlib.suppress(Exception):
        if store._client is not None:  # only a store this build opened: never open one to clean
            store.drop(name)


def _cannot_write(index_dir: Path, exc: OSError, manifest: dict[str, Any] | None) -> HelpmateError:
    why = exc.strerror or str(exc) or type(exc).__name__
    return HelpmateError(
        f"cannot write the index in {index_dir}: {why}",
        hint="free some space or make HELPMATE_HOME writable, then run 'helpmate kb index'"
        + ("; the previous index is still in use" if manifest else ""),
    )


def _has_keyword_vectors(path: Path) -> bool:
    """Indexes built before need keywords were embedded lack them and are brought up to date."""
    try:
        return "keyword_vecs" in np.load(path, allow_pickle=False).files
    except (OSError, ValueError):
        return False


def _write_need_vectors(
    needs: list[Need],
    embedder: Embedder,
    manifest: dict[str, Any] | None,
    index_dir: Path,
    needs_hash: str,
    target: Path,
    tell: Progress,
    bank: Bank | None = None,
) -> None:
    """The needs' examples, descriptions and keywords embedded (2.7k short texts for the 40 needs of
    the sample taxonomy, more than the sample's records), or copied when the needs did not change."""
    if manifest and manifest.get("needs_hash") == needs_hash and manifest.get("embedder") == embedder.name:
        previous = index_dir / manifest["folder"] / "needs.npz"
        if _has_keyword_vectors(previous):
            tell("copying the need vectors", 0, None)
            shutil.copyfile(previous, target / "needs.npz")
            return
    examples = [(i, ex) for i, need in enumerate(needs) for ex in need.examples]
    keywords = [(i, k) for i, need in enumerate(needs) for k in need.keywords]
    texts = [ex for _, ex in examples] + [need_texts(n) for n in needs] + [k for _, k in keywords]
    tell("embedding the needs", 0, len(texts))

    def embed_chunks(missing: list[str]) -> np.ndarray:
        rows = []
        for start in range(0, len(missing), 4 * CHUNK):
            rows.append(embedder.embed(missing[start : start + 4 * CHUNK]))
            tell("embedding the needs", min(start + 4 * CHUNK, len(missing)), len(missing))
        return np.vstack(rows) if rows else np.zeros((0, embedder.dim), dtype=np.float32)

    # The shipped taxonomy's texts come with their vectors in the package (index/semantic.py).
    vecs = embed_bank(embedder, texts, embed_chunks) if texts else np.zeros((0, embedder.dim), np.float32)
    example_vecs = vecs[: len(examples)]
    search_vecs = vecs[len(examples) : len(examples) + len(needs)]
    keyword_vecs = vecs[len(examples) + len(needs) :]
    example_need = np.array([i for i, _ in examples], dtype=np.int32)
    semantic: dict[str, np.ndarray] = {}
    if bank and getattr(embedder, "reads_meaning", True):
        tell("training the safeguarding classifier", 0, None)
        semantic = semantic_arrays(embedder, needs, bank, example_vecs, example_need)
    arrays: dict[str, Any] = {
        **semantic,
        "example_vecs": example_vecs,
        "example_need": example_need,
        "search_vecs": search_vecs,
        "keyword_vecs": keyword_vecs,
        "keyword_need": np.array([i for i, _ in keywords], dtype=np.int32),
    }
    np.savez(target / "needs.npz", **arrays)


def _collect_garbage(index_dir: Path, store: VectorStore, keep: tuple[str, str]) -> None:
    """Drop generations other than the active one (left by earlier or interrupted builds)."""
    with contextlib.suppress(HelpmateError):  # the new index is in use: an old collection only costs space
        for name in store.names():
            if name.startswith(PREFIX) and name != keep[0]:
                store.drop(name)
    for path in index_dir.glob("g*"):
        if path.is_dir() and path.name != keep[1] and path.name[1:].isdigit():
            shutil.rmtree(path, ignore_errors=True)
