"""The prompt-injection detector: caught and false flags on the labelled set, false flags on the
shared feeds (honest text), and its cost, printed as one JSON object.

    .venv/bin/python bench/injections.py

Imports the shared feeds into a temporary library (nothing touches your HELPMATE_HOME or library).
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

from helpmate.settings import SAMPLE_LIBRARY  # noqa: E402

HERE = Path(__file__).resolve().parent
SHARED = (HERE.parent.parent / "shared" / "data").resolve()
FEEDS = [
    (SHARED / "oruk-bristol-northlincs" / "bristol_services.json", "oruk", "bristol"),
    (SHARED / "oruk-bristol-northlincs" / "north_lincolnshire_services.json", "oruk", "north-lincolnshire"),
    (SHARED / "open211-miami-hsds", "hsds", "miami"),
]


def main() -> None:
    started = time.perf_counter()
    from helpmate.knowledge import injection

    injection._detector()
    load_ms = (time.perf_counter() - started) * 1000
    cases = yaml.safe_load((HERE.parent / "evals" / "injections.yaml").read_text(encoding="utf-8"))
    caught = sum(injection.looks_like_instructions(c["text"]) for c in cases["injected"])
    flagged = [c["id"] for c in cases["ordinary"] if injection.looks_like_instructions(c["text"])]
    result: dict = {
        "labelled_set": {
            "injected_caught": f"{caught}/{len(cases['injected'])}",
            "ordinary_flagged": f"{len(flagged)}/{len(cases['ordinary'])}",
        },
        "load_ms": round(load_ms),
    }
    from helpmate.knowledge.importers import import_feed
    from helpmate.knowledge.importers.pipeline import init_library
    from helpmate.knowledge.library import load_library

    work = Path(tempfile.mkdtemp(prefix="helpmate-bench-injections-"))
    try:
        libraries = {"sample": SAMPLE_LIBRARY}
        if SHARED.is_dir():
            init_library(work / "feeds")
            for path, fmt, area in FEEDS:
                import_feed(work / "feeds", path, fmt, area)
            libraries["feeds"] = work / "feeds"
        for name, root in libraries.items():
            records = load_library(root).records
            times, bad = [], []
            for record in records:
                fields = injection.record_texts(record)
                for field, text in fields:
                    injection.looks_like_instructions.cache_clear()
                    t = time.perf_counter()
                    if injection.looks_like_instructions(text):
                        bad.append(f"{record.id}:{field}")
                    times.append((time.perf_counter() - t) * 1000)
            result[name] = {
                "records": len(records),
                "fields": len(times),
                "flagged": bad,
                "ms_per_field_p50": round(float(np.percentile(times, 50)), 3),
                "ms_per_field_p95": round(float(np.percentile(times, 95)), 3),
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
