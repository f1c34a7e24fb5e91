"""The regression gate: the sample set through the real engine, against evals/thresholds.toml."""

from __future__ import annotations

import pytest

from helpmate.assistant.runtime import Runtime
from helpmate.evals.cases import load_cases
from helpmate.evals.gate import check, load_thresholds
from helpmate.evals.metrics import summarise
from helpmate.evals.runner import run_cases
from tests.conftest import REPO

pytestmark = pytest.mark.integration


def test_sample_set_meets_its_floors(sample: Runtime) -> None:
    summary = summarise(run_cases(sample.suggester, load_cases(REPO / "evals" / "sample.yaml")))
    failures = check(summary, load_thresholds(REPO / "evals" / "thresholds.toml")["sample"])
    assert failures == [], failures


@pytest.mark.parametrize("name", ["oruk-dev", "oruk-holdout", "oruk-holdout2", "oruk-holdout3"])
def test_oruk_sets_meet_their_floors(oruk, name: str) -> None:  # type: ignore[no-untyped-def]
    summary = summarise(run_cases(oruk.suggester, load_cases(REPO / "evals" / f"{name}.yaml")))
    assert check(summary, load_thresholds(REPO / "evals" / "thresholds.toml")[name]) == []


@pytest.mark.parametrize("name", ["dev", "independent-a", "independent-b"])
def test_safeguarding_sets_meet_their_floors(sample: Runtime, name: str) -> None:
    """Risks raised and lookalikes alerted on the safeguarding sets, the independent ones included,
    held at what they measured (README, limits): a change that loses risks or raises more alarms fails."""
    cases = load_cases(REPO / "evals" / "safeguarding" / f"{name}.yaml")
    summary = summarise(run_cases(sample.suggester, cases))
    failures = check(summary, load_thresholds(REPO / "evals" / "thresholds.toml")[f"safeguarding-{name}"])
    assert failures == [], failures
