"""Runs cases through the same engine the chat uses and scores them."""

from __future__ import annotations

import time
from collections.abc import Callable

from helpmate.assistant.suggest import Suggester
from helpmate.evals.cases import Case
from helpmate.evals.metrics import CaseResult

RAISED = ("urgent", "concern")
"""The levels that are an alert; ``check`` ("worth asking about") is counted on its own."""


def run_case(suggester: Suggester, case: Case, limit: int = 5) -> CaseResult:
    by_id = suggester.index.by_id
    started = time.perf_counter()
    result = suggester.suggest(case.text, area=case.area, limit=limit)
    seconds = time.perf_counter() - started
    data = result.to_json()
    services = [s["id"] for s in data["services"]]
    community = [c["id"] for c in data["community"]]
    return CaseResult(
        case_id=case.id,
        area=case.area,
        expected_needs=case.needs,
        found_needs=[n["id"] for n in data["needs"]],
        relevant=case.relevant,
        services=services,
        community=community,
        relevant_tracks={r: by_id[r].track for r in case.relevant if r in by_id},
        must_not=case.must_not,
        expected_safeguarding=case.safeguarding,
        flagged_safeguarding=any(a["level"] in RAISED for a in data["safeguarding"]),
        checked_safeguarding=bool(data["safeguarding"]),
        safeguarding_categories=[a["category"] for a in data["safeguarding"]],
        safeguarding_kinds=[a.get("kind") or a["category"] for a in data["safeguarding"]],
        expected_kind=case.safeguarding_kind,
        expected_kinds=case.expected_kinds,
        unknown_ids=[i for i in services + community if i not in by_id],
        seconds=seconds,
    )


def run_cases(
    suggester: Suggester, cases: list[Case], limit: int = 5, progress: Callable[[int], None] | None = None
) -> list[CaseResult]:
    results = []
    for case in cases:
        results.append(run_case(suggester, case, limit))
        if progress:
            progress(1)
    return results
