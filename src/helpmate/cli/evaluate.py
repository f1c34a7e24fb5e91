"""``helpmate eval``: run evaluation sets, print and write what the assistant gets right and misses."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from helpmate.cli.common import ensure_index, progress_bar
from helpmate.errors import HelpmateError
from helpmate.settings import Settings


def _check_cases(pairs: list[tuple[Path, Any]], runtime: Any) -> None:
    """Every unknown id, need or area, by file and case, before anything runs."""
    known = set(runtime.index.by_id)
    needs = {n.id for n in runtime.index.needs}
    areas = {s for r in runtime.index.records for s in r.areas} | {a.slug for a in runtime.index.areas}
    problems = []
    for path, case in pairs:
        where = f"{path}: case {case.id}"
        problems += [
            f"{where}: unknown record id {i}" for i in case.relevant + case.must_not if i not in known
        ]
        problems += [f"{where}: unknown need {n}" for n in case.needs if n not in needs]
        if case.area and case.area not in areas:
            problems.append(f"{where}: unknown area '{case.area}'")
    if problems:
        for line in problems[1:]:
            print(f"helpmate: error: {line}", file=sys.stderr)
        raise HelpmateError(problems[0], hint=f"{len(problems)} problem(s); is the right library indexed?")


def evaluate(settings: Settings, paths: list[Path], *, limit: int) -> tuple[dict[str, Any], Any]:

    from helpmate.assistant.runtime import load_runtime
    from helpmate.evals.cases import load_cases
    from helpmate.evals.metrics import breakdown, by_kind, summarise
    from helpmate.evals.runner import run_cases

    pairs = [(path, case) for path in paths for case in load_cases(path)]
    # A trainer expects the run to work: the index is built when missing, and brought up to date
    # when the library changed since (figures over an old index would mislead).
    runtime = load_runtime(settings, ensure_index(settings, rebuild_stale=True))
    _check_cases(pairs, runtime)
    cases = [case for _, case in pairs]
    with progress_bar("evaluating") as bar:
        task = bar.add_task("cases", total=len(cases))
        results = run_cases(runtime.suggester, cases, limit, progress=lambda n: bar.update(task, advance=n))
    doc = {
        "meta": {
            "files": [str(p) for p in paths],
            "library": str(settings.knowledge),
            "when": dt.datetime.now().isoformat(timespec="seconds"),
            "k": limit,
        },
        "summary": summarise(results),
        "per_need": breakdown(results, "need"),
        "per_area": breakdown(results, "area"),
        "per_kind": by_kind(results),
        "cases": [r.to_json() for r in results],
    }
    return doc, runtime


def run_eval(
    settings: Settings,
    paths: list[Path],
    *,
    as_json: bool,
    limit: int,
    verbose: bool,
    report: Path | None = None,
    baseline: Path | None = None,
    thresholds: Path | None = None,
) -> None:
    from helpmate.evals.metrics import compare
    from helpmate.evals.report import SUMMARY_LABELS, kind_lines, worst_cases

    previous = _read_baseline(baseline) if baseline else None
    if report is not None and report.exists() and not report.is_dir():
        raise HelpmateError(f"--report {report}: exists and is not a folder", hint="name a folder")
    limits = None
    if thresholds is not None:
        from helpmate.evals.gate import load_thresholds

        limits = load_thresholds(thresholds)
    doc, runtime = evaluate(settings, paths, limit=limit)
    names = {r.id: r.name for r in runtime.index.records}
    if previous is not None:
        doc["comparison"] = compare(doc["cases"], previous.get("cases", []))
    if report is not None:
        _write_report(report, doc, names)
    if as_json:
        print(json.dumps(doc))
    else:
        for key, value in doc["summary"].items():
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            print(f"{SUMMARY_LABELS.get(key, key):<45} {shown}")
        kinds = kind_lines(doc)
        if kinds:
            print("\nsafeguarding per kind (raised: urgent or concern; +asking: worth asking included)")
            print("\n".join(kinds))
            missed = [c for c in doc["cases"] if c["expected_safeguarding"] and not c["flagged_safeguarding"]]
            alarms = [c for c in doc["cases"] if c["flagged_safeguarding"] and not c["expected_safeguarding"]]
            shown_cases = len(doc["cases"]) if verbose else 5
            for case in missed[:shown_cases]:
                asked = ", ".join(case["safeguarding_kinds"]) or "nothing"
                print(f"  missed {case['case_id']} (a {case['expected_kind']} case; raised {asked})")
            for case in alarms[:shown_cases]:
                print(f"  false alarm {case['case_id']} ({', '.join(case['safeguarding_kinds'])})")
        for case in worst_cases(doc, len(doc["cases"]) if verbose else 5):
            missed = [
                names.get(r, r) for r in case["relevant"] if r not in case["services"] + case["community"]
            ]
            print(
                f"\n{case['case_id']} recall {case['recall']:.2f}; needs {case['found_needs']} "
                f"(expected {case['expected_needs']})"
            )
            if missed:
                print("  missed: " + "; ".join(missed))
            print("  shown:  " + "; ".join(names.get(r, r) for r in case["services"] + case["community"]))
        if "comparison" in doc:
            comp = doc["comparison"]
            print(
                f"\nagainst {baseline}: {len(comp['improved'])} improved, {len(comp['regressed'])} regressed"
            )
            for row in comp["regressed"]:
                print(f"  regressed {row['case_id']}: {row['before']:.2f} -> {row['after']:.2f}")
        if report is not None:
            print(f"\nreport written to {report / 'index.html'} and {report / 'summary.md'}")
    if limits is not None:
        from helpmate.evals.gate import check

        failures = [
            f"{Path(p).stem}: {f}" for p in paths for f in check(doc["summary"], limits.get(Path(p).stem, {}))
        ]
        for failure in failures:
            print(f"helpmate: below threshold: {failure}", file=sys.stderr)
        if failures:
            raise SystemExit(1)


def _read_baseline(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HelpmateError(f"--baseline {path}: file not found") from exc
    except ValueError as exc:
        raise HelpmateError(
            f"--baseline {path}: not JSON", hint="use a file written by 'helpmate eval --json'"
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise HelpmateError(
            f"--baseline {path}: no 'cases' in it", hint="use a file written by 'helpmate eval --json'"
        )
    return data


def _write_report(folder: Path, doc: dict[str, Any], names: dict[str, str]) -> None:
    from helpmate.evals.report import render_html, render_markdown
    from helpmate.knowledge.files import atomic_write

    pages = {
        "index.html": render_html(doc, names),
        "summary.md": render_markdown(doc, names),
        "metrics.json": json.dumps(doc, indent=1),
    }  # everything is rendered before anything is written
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in pages.items():
        atomic_write(folder / name, text)
