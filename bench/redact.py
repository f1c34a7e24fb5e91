"""Redaction benchmark: load time, time per message, recall and false redactions. Prints JSON.

    .venv/bin/python bench/redact.py [--oruk LIBRARY] [--skip-names]

Loads the analyser (Presidio, spaCy's en_core_web_sm, the name lists) and times it; redacts every
snippet of evals/pii.yaml once (with its keep list and the sample library's places, as the engine
does) and reports p50/p95 per message and the scores (helpmate.assistant.pii.scoring); then how
many record names of the sample library are altered inside a sentence with and without the keep
list. ``--oruk DIR`` adds a library with the two ORUK feeds imported (see the README's
Evaluation section; e.g. /tmp/redact/lib).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

from helpmate.settings import SAMPLE_LIBRARY  # noqa: E402

REPO = Path(__file__).resolve().parents[1]


def names_report(library: Path) -> dict[str, object]:
    from helpmate.assistant.pii.scoring import names_altered
    from helpmate.knowledge.library import load_library

    lib = load_library(library)
    places = [n for a in lib.areas for n in a.place_names()]
    names = [r.name for r in lib.records if r.name.strip()]
    started = time.perf_counter()
    with_keep = names_altered(names, places, keep_names=True)
    without_keep = names_altered(names, places, keep_names=False)
    return {
        "library": str(library),
        "record_names": len(names),
        "altered_with_keep": len(with_keep),
        "altered_with_keep_names": with_keep,
        "altered_without_keep": len(without_keep),
        "seconds": round(time.perf_counter() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--oruk", type=Path, help="a library with the ORUK feeds imported")
    parser.add_argument("--skip-names", action="store_true", help="only load time, speed and the set")
    args = parser.parse_args()

    from helpmate.assistant.pii import analyzer
    from helpmate.assistant.pii.scoring import load_set, score_snippets
    from helpmate.assistant.redact import Redactor
    from helpmate.knowledge.library import load_library

    started = time.perf_counter()
    analyzer.get_analyzer()
    load_s = time.perf_counter() - started

    places = [n for a in load_library(SAMPLE_LIBRARY).areas for n in a.place_names()]
    snippets = load_set(REPO / "evals" / "pii.yaml")
    times = []
    for snippet in snippets:
        redactor = Redactor([*(snippet.get("keep") or []), *places])
        t0 = time.perf_counter()
        redactor.redact(snippet["text"])
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    score = score_snippets(snippets, places).as_dict()
    report: dict[str, object] = {
        "analyzer_load_s": round(load_s, 2),
        "per_message_ms": {
            "p50": round(statistics.median(times), 1),
            "p95": round(times[int(0.95 * (len(times) - 1))], 1),
            "max": round(times[-1], 1),
            "messages": len(times),
        },
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "pii_set": score,
    }
    if not args.skip_names:
        report["sample_library_names"] = names_report(SAMPLE_LIBRARY)
        if args.oruk:
            report["oruk_library_names"] = names_report(args.oruk)
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
