"""`make bench-region`: a region's directory (issue 17), timed phase by phase, printed as JSON.

    python bench/region.py [RECORDS ...]        (default 20000)

For each size, a feed made by bench/region_feed.py is imported into a fresh library, imported
again unchanged, indexed, indexed again unchanged, and searched with `suggest` over the held-out
ORUK situations. Each phase runs in its own process, so its peak memory (ru_maxrss) is its own.

The index is built with the hashing embedder, so the figures are helpmate's own costs at that size
(parsing, writing, the up-to-date check, the keyword index, the vector store, ranking and filters)
without the model's: MiniLM adds about 1/48 s a record to a cold index, nothing to an unchanged one,
and about 9 ms to a query whatever the size. Everything is written under a temporary directory.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def cpu_seconds() -> float:
    """CPU time of this process so far: on a shared machine wall time says little."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return round(usage.ru_utime + usage.ru_stime, 2)


def phase_import(library: str, feed: str) -> dict:
    from helpmate.knowledge.importers import import_feed

    started = time.perf_counter()
    report = import_feed(Path(library), Path(feed), "oruk", "bristol")
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "imported": report.imported,
        "cpu_seconds": cpu_seconds(),
        "peak_mb": peak_mb(),
    }


def phase_index(library: str, home: str) -> dict:
    from helpmate.assistant.runtime import open_store
    from helpmate.index.builder import build_index
    from helpmate.index.embedders import make_embedder
    from helpmate.knowledge.library import load_library
    from helpmate.settings import Settings

    settings = Settings(home=Path(home), knowledge=Path(library))
    started = time.perf_counter()
    report = build_index(
        load_library(settings.knowledge), settings.index_dir, open_store(settings), make_embedder("hashing")
    )
    return {
        "seconds": round(time.perf_counter() - started, 2),
        "records": report.records,
        "embedded": report.embedded,
        "cpu_seconds": cpu_seconds(),
        "peak_mb": peak_mb(),
    }


def phase_search(library: str, home: str) -> dict:
    from helpmate.assistant.runtime import load_runtime
    from helpmate.evals.cases import load_cases
    from helpmate.index.embedders import make_embedder
    from helpmate.settings import Settings

    settings = Settings(home=Path(home), knowledge=Path(library))
    started = time.perf_counter()
    runtime = load_runtime(settings, make_embedder("hashing"), warn_stale=False)
    load = time.perf_counter() - started
    cases = [
        c for name in ("oruk-holdout2.yaml", "oruk-holdout3.yaml") for c in load_cases(REPO / "evals" / name)
    ]
    times = []
    for case in cases:
        t0 = time.perf_counter()
        runtime.suggester.suggest(case.text, area="bristol")
        times.append((time.perf_counter() - t0) * 1000)
    return {
        "load_seconds": round(load, 2),
        "queries": len(times),
        "suggest_p50_ms": round(float(np.percentile(times, 50)), 1),
        "suggest_p95_ms": round(float(np.percentile(times, 95)), 1),
        "cpu_seconds": cpu_seconds(),
        "peak_mb": peak_mb(),
    }


PHASES = {"import": phase_import, "index": phase_index, "search": phase_search}


def run(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "phase", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HELPMATE_EMBEDDER": "hashing"},
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench region: phase {args[0]} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def size(records: int, work: Path) -> dict:
    feed, library, home = work / f"region-{records}.json", work / f"lib-{records}", work / f"home-{records}"
    subprocess.run(
        [sys.executable, str(HERE / "region_feed.py"), str(records), str(feed)],
        check=True,
        capture_output=True,
    )
    (library / "records").mkdir(parents=True)
    result = {"records": records, "feed_mb": round(feed.stat().st_size / 2**20, 1)}
    result["import"] = run("import", str(library), str(feed))
    result["import_again_unchanged"] = run("import", str(library), str(feed))
    result["index_hashing"] = run("index", str(library), str(home))
    result["index_again_unchanged"] = run("index", str(library), str(home))
    result["search_hashing"] = run("search", str(library), str(home))
    return result


def main(argv: list[str]) -> None:
    if argv[:1] == ["phase"]:
        print(json.dumps(PHASES[argv[1]](*argv[2:])))
        return
    sizes = [int(a) for a in argv] or [20000]
    work = Path(tempfile.mkdtemp(prefix="helpmate-region-"))
    try:
        print(json.dumps({"sizes": [size(n, work) for n in sizes]}, indent=2))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(sys.argv[1:])
