"""The embedders against the torch path, in one run: prints one JSON object.

    python bench/embedders.py [--library DIR] [--records 600] [--queries 40] [--mpnet] [--no-index]

Each measurement runs in a process of its own (so one path's imports and memory never flatter or
burden another's): the ONNX export (once, into a temporary models folder), cold embedding of
directory records (the model loaded, then N records embedded, texts as `kb index` makes them),
query embedding (situations from the eval sets, one at a time, as `suggest` does), the peak
memory of `helpmate kb index --rebuild` over the whole library, and `helpmate suggest TEXT` from a
cold process to its answer over that index (torch against ONNX). Without --library it imports the
two ORUK feeds and the Miami HSDS feed from ../shared/data (5.6k records) into a temporary folder.
Ratios are against torch measured in the same run; CPU seconds are given beside wall seconds
because a busy machine stretches wall time far more than the work done.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = (REPO.parent / "shared" / "data").resolve()
FEEDS = [
    (SHARED / "oruk-bristol-northlincs" / "bristol_services.json", "oruk", "bristol"),
    (SHARED / "oruk-bristol-northlincs" / "north_lincolnshire_services.json", "oruk", "north-lincolnshire"),
    (SHARED / "open211-miami-hsds", "hsds", "miami"),
]
# (label, HELPMATE_EMBEDDER, backend, ONNX variant)
PATHS = [
    ("minilm-torch", "minilm", "torch", ""),
    ("minilm-onnx-fp32", "minilm", "onnx", "fp32"),
    ("minilm-onnx-int8", "minilm", "onnx", "int8"),
]
MPNET_PATHS = [
    ("mpnet-torch", "mpnet", "torch", ""),
    ("mpnet-onnx-fp32", "mpnet", "onnx", "fp32"),
    ("mpnet-onnx-int8", "mpnet", "onnx", "int8"),
]


def child(*args: str, env: dict[str, str] | None = None) -> dict:
    """Run this file's ``--phase`` in a new process; its last stdout line is its JSON."""
    out = subprocess.run(
        [sys.executable, __file__, "--phase", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})},
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"bench phase {args[0]} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def make_embedder(kind: str, backend: str, variant: str, models: Path):  # type: ignore[no-untyped-def]
    from helpmate.index import embedders

    if variant:
        embedders.ONNX_CHOICE["variant"] = variant
    return embedders.make_embedder(kind, models, backend)


def phase_prepare(kind: str, models: str) -> dict:
    started = time.perf_counter()
    embedder = make_embedder(kind, "onnx", "", Path(models))
    exported = embedder.prepare()  # type: ignore[attr-defined]
    return {"export_s": round(time.perf_counter() - started, 1), "exported": exported}


def phase_cold(kind: str, backend: str, variant: str, models: str, texts_file: str, count: str) -> dict:
    """Import, load and embed ``count`` records: what `kb index` pays per process."""
    texts = json.loads(Path(texts_file).read_text())[: int(count)]
    wall0, cpu0 = time.perf_counter(), time.process_time()
    embedder = make_embedder(kind, backend, variant, Path(models))
    embedder.embed(["warm up"])
    load_s, load_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    wall1, cpu1 = time.perf_counter(), time.process_time()
    vectors = embedder.embed(texts)
    wall, cpu = time.perf_counter() - wall1, time.process_time() - cpu1
    Path(texts_file + f".{kind}-{backend}-{variant}.npy").write_bytes(vectors.tobytes())
    return {
        "load_s": round(load_s, 2),
        "load_cpu_s": round(load_cpu, 2),
        "records": len(texts),
        "records_per_s": round(len(texts) / wall, 1),
        "cpu_ms_per_record": round(1000 * cpu / len(texts), 2),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
        "torch_imported": "torch" in sys.modules,
    }


def phase_query(kind: str, backend: str, variant: str, models: str, queries_file: str) -> dict:
    """One situation at a time, as `helpmate suggest` embeds it (after a warm-up)."""
    queries = json.loads(Path(queries_file).read_text())
    embedder = make_embedder(kind, backend, variant, Path(models))
    embedder.embed(["warm up"])
    times, cpus = [], []
    for text in queries:
        wall, cpu = time.perf_counter(), time.process_time()
        embedder.embed([text])
        times.append(1000 * (time.perf_counter() - wall))
        cpus.append(1000 * (time.process_time() - cpu))
    return {
        "queries": len(queries),
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(sorted(times)[int(0.95 * (len(times) - 1))], 2),
        "cpu_p50_ms": round(statistics.median(cpus), 2),
    }


SITUATION = "lonely since his wife died last year, he used to love woodwork and has money worries"


def helpmate_env(library: Path, home: Path, models: Path, kind: str, backend: str) -> dict[str, str]:
    return {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HELPMATE_KNOWLEDGE": str(library),
        "HELPMATE_HOME": str(home),
        "HELPMATE_MODELS_DIR": str(models),
        "HELPMATE_EMBEDDER": kind,
        "HELPMATE_EMBEDDER_BACKEND": backend,
    }


def timed(env: dict[str, str], *args: str) -> dict:
    """``helpmate ARGS`` in a process of its own: wall seconds, CPU seconds and its peak memory."""
    helpmate = str(Path(sys.executable).parent / "helpmate")
    script = (
        "import resource, subprocess, sys, time, json\n"
        "t = time.perf_counter()\n"
        "subprocess.run(sys.argv[1:], check=True, capture_output=True)\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'seconds': round(time.perf_counter() - t, 2), 'cpu_s': round(r.ru_utime + r.ru_stime, 2),"
        " 'peak_mb': r.ru_maxrss // 1024}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, helpmate, *args], capture_output=True, text=True, env=env, check=False
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr[-3000:])
        raise SystemExit(f"bench: helpmate {args[0]} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def index_run(library: Path, home: Path, models: Path, kind: str, backend: str) -> dict:
    """`helpmate kb index --rebuild` over the whole library: wall time and the child's peak memory."""
    return timed(helpmate_env(library, home, models, kind, backend), "kb", "index", "--rebuild")


def suggest_run(library: Path, home: Path, models: Path, kind: str, backend: str, repeats: int = 3) -> dict:
    """`helpmate suggest TEXT` from a cold process to its answer, over the index ``index_run`` built:
    the median of ``repeats`` runs (the files are in the page cache after the first)."""
    env = helpmate_env(library, home, models, kind, backend)
    runs = [timed(env, "suggest", "--json", SITUATION) for _ in range(repeats)]
    return {
        "seconds_p50": statistics.median(r["seconds"] for r in runs),
        "cpu_s_p50": statistics.median(r["cpu_s"] for r in runs),
        "peak_mb": max(r["peak_mb"] for r in runs),
        "runs": repeats,
    }


def import_library(work: Path) -> Path:
    from helpmate.knowledge.importers import import_feed
    from helpmate.knowledge.importers.pipeline import init_library

    library = work / "library"
    init_library(library)
    for path, fmt, area in FEEDS:
        import_feed(library, path, fmt, area)
    shutil.copy(REPO / "examples" / "areas-bristol-north-lincolnshire.yaml", library / "areas.yaml")
    return library


def texts_of(library: Path, work: Path) -> tuple[Path, Path]:
    """Record texts as the index embeds them (shuffled once, fixed seed) and the eval situations."""
    import random

    import yaml

    from helpmate.index.builder import record_text
    from helpmate.knowledge.library import load_library

    texts = [record_text(r) for r in load_library(library).records]
    random.Random(1).shuffle(texts)
    queries = []
    for name in ("oruk-holdout2.yaml", "oruk-holdout3.yaml"):
        for case in yaml.safe_load((REPO / "evals" / name).read_text())["cases"]:
            queries.append(case.get("situation") or " ".join(case.get("turns", [])))
    (work / "texts.json").write_text(json.dumps(texts))
    (work / "queries.json").write_text(json.dumps(queries))
    return work / "texts.json", work / "queries.json"


def agreement(texts_file: Path, labels: list[tuple[str, str, str, str]], dim: int) -> dict:
    """Cosine of each ONNX variant's vectors to torch's, record by record."""
    import numpy as np

    def vectors(kind: str, backend: str, variant: str) -> np.ndarray:
        raw = Path(f"{texts_file}.{kind}-{backend}-{variant}.npy").read_bytes()
        return np.frombuffer(raw, dtype=np.float32).reshape(-1, dim)

    reference = vectors(*labels[0][1:])
    out = {}
    for label, kind, backend, variant in labels[1:]:
        cos = (vectors(kind, backend, variant) * reference).sum(axis=1)
        out[label] = {"cosine_mean": round(float(cos.mean()), 4), "cosine_min": round(float(cos.min()), 4)}
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", type=Path)
    parser.add_argument("--records", type=int, default=600)
    parser.add_argument("--queries", type=int, default=40)
    parser.add_argument("--mpnet", action="store_true", help="also all-mpnet-base-v2 (needs helpmate[mpnet])")
    parser.add_argument("--no-index", action="store_true", help="skip the whole-library kb index runs")
    parser.add_argument("--phase", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.phase:
        name, *rest = args.phase
        print(json.dumps(globals()[f"phase_{name}"](*rest)))
        return
    work = Path(tempfile.mkdtemp(prefix="helpmate-bench-embedders-"))
    try:
        library = args.library or import_library(work)
        models = work / "models"
        texts_file, queries_file = texts_of(library, work)
        queries = json.loads(queries_file.read_text())[: args.queries]
        queries_file.write_text(json.dumps(queries))
        result: dict = {"library_records": len(json.loads(texts_file.read_text())), "cpus": os.cpu_count()}
        families = [("minilm", PATHS, 384)] + ([("mpnet", MPNET_PATHS, 768)] if args.mpnet else [])
        for kind, paths, dim in families:
            family: dict = {"prepare": child("prepare", kind, str(models))}
            for label, k, backend, variant in paths:
                cold = child("cold", k, backend, variant, str(models), str(texts_file), str(args.records))
                query = child("query", k, backend, variant, str(models), str(queries_file))
                family[label] = {"cold": cold, "query": query}
            torch = family[paths[0][0]]
            for label, *_ in paths[1:]:
                mine = family[label]
                mine["cold_speedup"] = round(
                    mine["cold"]["records_per_s"] / torch["cold"]["records_per_s"], 2
                )
                mine["cold_cpu_speedup"] = round(
                    torch["cold"]["cpu_ms_per_record"] / mine["cold"]["cpu_ms_per_record"], 2
                )
                mine["query_speedup"] = round(torch["query"]["p50_ms"] / mine["query"]["p50_ms"], 2)
            family["agreement_with_torch"] = agreement(texts_file, paths, dim)
            if not args.no_index:
                for backend in ("onnx", "torch"):
                    home = work / f"home-{kind}-{backend}"
                    family[f"kb_index_rebuild_{backend}"] = index_run(library, home, models, kind, backend)
                    family[f"suggest_cold_process_{backend}"] = suggest_run(
                        library, home, models, kind, backend
                    )
                onnx, torch_run = family["suggest_cold_process_onnx"], family["suggest_cold_process_torch"]
                family["suggest_speedup"] = round(torch_run["seconds_p50"] / onnx["seconds_p50"], 2)
                family["suggest_cpu_speedup"] = round(torch_run["cpu_s_p50"] / onnx["cpu_s_p50"], 2)
            result[kind] = family
        print(json.dumps(result, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
