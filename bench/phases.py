"""One benchmark phase per process, so peak memory (ru_maxrss) belongs to that phase alone.

Run by bench/run.py; each phase prints one JSON object.
"""

from __future__ import annotations

import json
import resource
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q * 100)) if values else 0.0


def phase_import(library: str) -> dict:
    from helpmate.knowledge.importers import import_feed

    started = time.perf_counter()
    total = 0
    for path, fmt, area in [
        (SHARED / "oruk-bristol-northlincs" / "bristol_services.json", "oruk", "bristol"),
        (
            SHARED / "oruk-bristol-northlincs" / "north_lincolnshire_services.json",
            "oruk",
            "north-lincolnshire",
        ),
        (SHARED / "open211-miami-hsds", "hsds", "miami"),
    ]:
        total += import_feed(Path(library), path, fmt, area).imported
    seconds = time.perf_counter() - started
    return {
        "records": total,
        "seconds": round(seconds, 2),
        "records_per_s": round(total / seconds, 1),
        "peak_mb": round(peak_mb()),
    }


def phase_index(library: str, home: str) -> dict:
    from helpmate.assistant.runtime import open_store
    from helpmate.index.builder import build_index
    from helpmate.index.embedders import MiniLMEmbedder
    from helpmate.knowledge.library import load_library
    from helpmate.settings import Settings

    settings = Settings(home=Path(home), knowledge=Path(library))
    embedder = MiniLMEmbedder()
    embedder.load()
    started = time.perf_counter()
    report = build_index(load_library(settings.knowledge), settings.index_dir, open_store(settings), embedder)
    seconds = time.perf_counter() - started
    return {
        "records": report.records,
        "embedded": report.embedded,
        "seconds": round(seconds, 1),
        "records_per_s": round(report.records / seconds, 1),
        "peak_mb": round(peak_mb()),
    }


def phase_latency(library: str, home: str, rounds: str = "3") -> dict:
    """Warm suggest latency beside a plain LangChain Chroma similarity search on the same collection."""
    from langchain_chroma import Chroma
    from langchain_core.embeddings import Embeddings

    from helpmate.assistant.runtime import load_runtime
    from helpmate.evals.cases import load_cases
    from helpmate.settings import Settings

    settings = Settings(home=Path(home), knowledge=Path(library))
    runtime = load_runtime(settings, warn_stale=False)
    texts = [c.text for f in ("oruk-dev.yaml", "oruk-holdout.yaml") for c in load_cases(REPO / "evals" / f)]
    areas = [c.area for f in ("oruk-dev.yaml", "oruk-holdout.yaml") for c in load_cases(REPO / "evals" / f)]

    class MiniLM(Embeddings):
        def embed_documents(self, items: list[str]) -> list[list[float]]:
            return runtime.embedder.embed(items).tolist()

        def embed_query(self, text: str) -> list[float]:
            return runtime.embedder.embed([text])[0].tolist()

    plain = Chroma(
        collection_name=runtime.index.manifest["collection"],
        embedding_function=MiniLM(),
        client=runtime.index.store.client,
    )
    for text, area in zip(texts[:5], areas[:5], strict=True):  # warm both paths
        runtime.suggester.suggest(text, area=area)
        plain.similarity_search(text, k=10)
    ours, baseline = [], []
    for _ in range(int(rounds)):
        for text, area in zip(texts, areas, strict=True):
            t0 = time.perf_counter()
            runtime.suggester.suggest(text, area=area)
            ours.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            plain.similarity_search(text, k=10)
            baseline.append((time.perf_counter() - t0) * 1000)
    return {
        "records": len(runtime.index.records),
        "suggest_p50_ms": round(pct(ours, 0.5), 1),
        "suggest_p95_ms": round(pct(ours, 0.95), 1),
        "langchain_chroma_p50_ms": round(pct(baseline, 0.5), 1),
        "langchain_chroma_p95_ms": round(pct(baseline, 0.95), 1),
        "ratio_p50": round(pct(ours, 0.5) / pct(baseline, 0.5), 2),
        "queries": len(ours),
        "peak_mb": round(peak_mb()),
    }


def phase_turn(library: str, home: str) -> dict:
    """A conversation turn with the default composer, beside the retrieval (suggest) it contains."""
    from helpmate.assistant.engine import Engine
    from helpmate.assistant.runtime import load_runtime
    from helpmate.evals.cases import load_cases
    from helpmate.settings import Settings

    settings = Settings(home=Path(home), knowledge=Path(library))
    runtime = load_runtime(settings, warn_stale=False)
    cases = load_cases(REPO / "evals" / "oruk-dev.yaml")
    for case in cases[:3]:
        Engine(runtime.suggester).turn(case.text)
    # Each case three times, the fastest of each kept: the overhead is a few milliseconds, well
    # inside the noise of a single run (a single pair once gave a negative overhead).
    turns, retrieval = [], []
    for case in cases:
        best_turn = best_suggest = float("inf")
        for _ in range(3):
            engine = Engine(runtime.suggester)
            engine.situation.area = case.area
            t0 = time.perf_counter()
            engine.turn(case.text)
            best_turn = min(best_turn, (time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            runtime.suggester.suggest(case.text, area=case.area)
            best_suggest = min(best_suggest, (time.perf_counter() - t0) * 1000)
        turns.append(best_turn)
        retrieval.append(best_suggest)
    overhead = [t - r for t, r in zip(turns, retrieval, strict=True)]
    return {
        "turn_p50_ms": round(pct(turns, 0.5), 1),
        "turn_p95_ms": round(pct(turns, 0.95), 1),
        "retrieval_p50_ms": round(pct(retrieval, 0.5), 1),
        "beyond_retrieval_p50_ms": round(pct(overhead, 0.5), 1),
        "beyond_retrieval_p95_ms": round(pct(overhead, 0.95), 1),
        "peak_mb": round(peak_mb()),
    }


def phase_quality(library: str, home: str) -> dict:
    """Share of relevant records among the 5 services + 5 community shown, beside plain dense and BM25 top 10."""
    from helpmate.assistant.runtime import load_runtime
    from helpmate.evals.cases import load_cases
    from helpmate.evals.metrics import summarise
    from helpmate.evals.runner import run_cases
    from helpmate.index.text import tokenize
    from helpmate.settings import Settings

    settings = Settings(home=Path(home), knowledge=Path(library))
    runtime = load_runtime(settings, warn_stale=False)
    index = runtime.index
    out = {}
    for name in ("oruk-dev", "oruk-holdout", "oruk-holdout2", "oruk-holdout3"):
        cases = load_cases(REPO / "evals" / f"{name}.yaml")
        dense, bm25 = [], []
        for case in cases:
            area = index.area_mask(case.area)
            vector = runtime.embedder.embed([case.text])[0]
            sims = index.vectors @ vector
            sims[~area] = -2
            keyword = index.keyword.scores(tokenize(case.text))
            keyword[~area] = -1
            relevant = set(case.relevant)
            dense.append(
                len(relevant & {index.records[i].id for i in np.argsort(-sims)[:10]}) / len(relevant)
            )
            bm25.append(
                len(relevant & {index.records[i].id for i in np.argsort(-keyword)[:10]}) / len(relevant)
            )
        summary = summarise(run_cases(runtime.suggester, cases))
        out[name] = {
            "cases": len(cases),
            "recall_5_plus_5": round(summary["recall"], 3),
            "precision": round(summary["precision"], 3),
            "mrr": round(summary["mrr"], 3),
            "dense_top10": round(statistics.mean(dense), 3),
            "bm25_top10": round(statistics.mean(bm25), 3),
            "need_precision": round(summary["need_precision"], 3),
            "need_recall": round(summary["need_recall"], 3),
        }
    return out


if __name__ == "__main__":
    name, *args = sys.argv[1:]
    print(json.dumps(globals()[f"phase_{name}"](*args)))
