"""``helpmate eval``: run evaluation sets and print what the assistant gets right and misses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from helpmate.errors import HelpmateError
from helpmate.settings import Settings


def run_eval(settings: Settings, paths: list[Path], *, as_json: bool, limit: int, verbose: bool) -> dict:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from helpmate.assistant.runtime import load_runtime
    from helpmate.evals.cases import load_cases
    from helpmate.evals.metrics import summarise
    from helpmate.evals.runner import run_cases

    cases = [case for path in paths for case in load_cases(path)]
    runtime = load_runtime(settings)
    known = set(runtime.index.by_id)
    needs = {n.id for n in runtime.index.needs}
    areas = {s for r in runtime.index.records for s in r.areas} | {a.slug for a in runtime.index.areas}
    for case in cases:
        bad = [i for i in case.relevant + case.must_not if i not in known]
        if bad:
            raise HelpmateError(
                f"case {case.id}: unknown record id {bad[0]}", hint="is the right library indexed?"
            )
        if case.area and case.area not in areas:
            raise HelpmateError(
                f"case {case.id}: unknown area '{case.area}'", hint="import that area's feed first"
            )
        unknown_needs = [n for n in case.needs if n not in needs]
        if unknown_needs:
            raise HelpmateError(f"case {case.id}: unknown need {unknown_needs[0]}", hint="see needs.yaml")
    with Progress(
        TextColumn("evaluating"),
        BarColumn(),
        MofNCompleteColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("cases", total=len(cases))
        results = run_cases(
            runtime.suggester, cases, known, limit, progress=lambda n: bar.update(task, advance=n)
        )
    summary = summarise(results)
    if as_json:
        print(json.dumps({"summary": summary, "cases": [_case_json(r) for r in results]}))
    else:
        for key, value in summary.items():
            print(f"{key:<28} {value:.3f}" if isinstance(value, float) else f"{key:<28} {value}")
        if verbose:
            for r in results:
                print(
                    f"{r.case_id:<16} recall {r.recall or 0:.2f}  needs {r.found_needs} (expected {r.expected_needs})"
                )
    return summary


def _case_json(r) -> dict:  # type: ignore[no-untyped-def]
    return {
        "id": r.case_id,
        "area": r.area,
        "recall": r.recall,
        "precision": r.precision,
        "reciprocal_rank": r.reciprocal_rank,
        "found_needs": r.found_needs,
        "expected_needs": r.expected_needs,
        "services": r.services,
        "community": r.community,
        "relevant": r.relevant,
        "seconds": r.seconds,
    }
