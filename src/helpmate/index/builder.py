"""Building the index from the library: incremental by content hash, never half-switched.

Each build writes a new *generation*: a Chroma collection ``helpmate-gN`` and a folder
``index/gN/`` (record snapshot, keyword index, need vectors). Records whose content hash is
unchanged reuse their vectors from the previous generation instead of being embedded again.
Only when everything is written does ``index/manifest.json`` switch to the new generation (an
atomic rename), so a build that is interrupted or fails leaves the previous index in use.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import pickle
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
from helpmate.index.semantic import semantic_arrays
from helpmate.index.store import ALL_AREAS, PREFIX, VectorStore, area_key
from helpmate.knowledge.bank import Bank, load_bank
from helpmate.knowledge.library import Library, atomic_write
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


@dataclass
class BuildReport:
    records: int
    embedded: int
    reused: int
    removed: int
    generation: int
    seconds: float
    up_to_date: bool = False


def build_index(
    library: Library,
    index_dir: Path,
    store: VectorStore,
    embedder: Embedder,
    *,
    rebuild: bool = False,
    progress: Callable[[int, int], None] | None = None,
    before_switch: Callable[[], None] | None = None,
) -> BuildReport:
    """Bring the index in line with the library. ``progress(done, total)`` reports embedding."""
    started = time.perf_counter()
    index_dir.mkdir(parents=True, exist_ok=True)
    manifest = None if rebuild else read_manifest(index_dir)
    hashes = {r.id: r.content_hash() for r in library.records}
    # Vectors depend only on the text embedded: a changed phone number or need tag reuses them.
    embed_hashes = {r.id: hashlib.sha256(record_text(r).encode()).hexdigest()[:16] for r in library.records}
    # The need vectors carry the semantic safeguarding classifier, trained on the exemplar bank.
    bank = load_bank(library.root)
    needs_hash = hashlib.sha256((_hash_models(library.needs) + bank.fingerprint).encode()).hexdigest()[:16]
    # The areas (places, localities) travel in the snapshot: a changed areas.yaml makes a new one.
    areas_hash = _hash_models(library.areas)
    fingerprint = library_fingerprint(library.root)
    old_hashes: dict[str, str] = {}
    old_embed_hashes: dict[str, str] = {}
    old_collection = None
    if manifest and manifest.get("embedder") == embedder.name:
        old_hashes = manifest.get("hashes", {})
        old_embed_hashes = manifest.get("embed_hashes", {})
        old_collection = manifest.get("collection")
        if (
            old_hashes == hashes
            and manifest.get("needs_hash") == needs_hash
            and manifest.get("areas_hash") == areas_hash
            and old_collection in store.names()
            and (index_dir / manifest["folder"]).is_dir()
            and _has_keyword_vectors(index_dir / manifest["folder"] / "needs.npz")
        ):
            if manifest.get("fingerprint") != fingerprint:
                manifest["fingerprint"] = fingerprint
                atomic_write(index_dir / MANIFEST, json.dumps(manifest))
            return BuildReport(
                len(hashes),
                0,
                len(hashes),
                0,
                manifest["generation"],
                time.perf_counter() - started,
                up_to_date=True,
            )

    generation = (manifest or read_manifest(index_dir) or {}).get("generation", 0) + 1
    name, folder = f"{PREFIX}{generation}", f"g{generation}"
    reuse_ids = [rid for rid, h in embed_hashes.items() if old_embed_hashes.get(rid) == h]
    vectors: dict[str, np.ndarray] = {}
    if reuse_ids and old_collection in store.names():
        vectors = store.vectors(store.get(old_collection), reuse_ids)
    todo = [r for r in library.records if r.id not in vectors]
    done = 0

    def tick(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, len(todo))

    if progress:
        progress(0, len(todo))
    if todo:
        fresh = embedder.embed([record_text(r) for r in todo], progress=tick)
        vectors.update({r.id: fresh[i] for i, r in enumerate(todo)})

    ids = [r.id for r in library.records]
    target = index_dir / folder
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    collection = store.create(name)
    if ids:
        store.add(
            collection,
            ids,
            np.vstack([vectors[i] for i in ids]),
            [record_metadata(r) for r in library.records],
        )
    keyword = KeywordIndex.build(ids, (keyword_text(r) for r in library.records))
    with open(target / "keyword.pkl", "wb") as handle:
        pickle.dump(keyword, handle, protocol=pickle.HIGHEST_PROTOCOL)
    _write_need_vectors(library.needs, embedder, manifest, index_dir, needs_hash, target, bank)
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
    if before_switch:
        before_switch()  # a test hook to simulate an interruption before the switch
    new_manifest = {
        "format": FORMAT_VERSION,
        "generation": generation,
        "collection": name,
        "folder": folder,
        "embedder": embedder.name,
        "library": str(library.root),
        "fingerprint": fingerprint,
        "needs_hash": needs_hash,
        "areas_hash": areas_hash,
        "hashes": hashes,
        "embed_hashes": embed_hashes,
        "built_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "store": store.where,
    }
    atomic_write(index_dir / MANIFEST, json.dumps(new_manifest))
    _collect_garbage(index_dir, store, keep=(name, folder))
    removed = len(set(old_hashes) - set(hashes))
    return BuildReport(
        len(ids), len(todo), len(ids) - len(todo), removed, generation, time.perf_counter() - started
    )


def _has_keyword_vectors(path: Path) -> bool:
    """Indexes built before need keywords were embedded lack them and are brought up to date."""
    try:
        return "keyword_vecs" in np.load(path).files
    except (OSError, ValueError):
        return False


def _write_need_vectors(
    needs: list[Need],
    embedder: Embedder,
    manifest: dict[str, Any] | None,
    index_dir: Path,
    needs_hash: str,
    target: Path,
    bank: Bank | None = None,
) -> None:
    if manifest and manifest.get("needs_hash") == needs_hash and manifest.get("embedder") == embedder.name:
        previous = index_dir / manifest["folder"] / "needs.npz"
        if _has_keyword_vectors(previous):
            shutil.copyfile(previous, target / "needs.npz")
            return
    examples = [(i, ex) for i, need in enumerate(needs) for ex in need.examples]
    example_vecs = embedder.embed([ex for _, ex in examples])
    search_vecs = embedder.embed([need_texts(n) for n in needs])
    keywords = [(i, k) for i, need in enumerate(needs) for k in need.keywords]
    keyword_vecs = embedder.embed([k for _, k in keywords])
    example_need = np.array([i for i, _ in examples], dtype=np.int32)
    reads_meaning = getattr(embedder, "reads_meaning", True)
    semantic = (
        semantic_arrays(embedder, needs, bank, example_vecs, example_need) if bank and reads_meaning else {}
    )
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
    for name in store.names():
        if name.startswith(PREFIX) and name != keep[0]:
            store.drop(name)
    for path in index_dir.glob("g*"):
        if path.is_dir() and path.name != keep[1] and path.name[1:].isdigit():
            shutil.rmtree(path, ignore_errors=True)
