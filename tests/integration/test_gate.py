"""The regression gate: the sample set through the real engine, against evals/thresholds.toml."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpmate.assistant.runtime import load_runtime, open_store
from helpmate.evals.cases import load_cases
from helpmate.evals.gate import check, load_thresholds
from helpmate.evals.metrics import summarise
from helpmate.evals.runner import run_cases
from helpmate.index.builder import build_index
from helpmate.index.embedders import MiniLMEmbedder
from helpmate.knowledge.library import load_library
from helpmate.settings import Settings
from tests.conftest import REPO, SAMPLE

pytestmark = pytest.mark.integration


def test_sample_set_meets_its_floors(tmp_path: Path, minilm: MiniLMEmbedder) -> None:
    settings = Settings(home=tmp_path / "home", knowledge=SAMPLE)
    build_index(load_library(SAMPLE), settings.index_dir, open_store(settings), minilm)
    runtime = load_runtime(settings, minilm)
    summary = summarise(run_cases(runtime.suggester, load_cases(REPO / "evals" / "sample.yaml")))
    failures = check(summary, load_thresholds(REPO / "evals" / "thresholds.toml")["sample"])
    assert failures == [], failures


@pytest.mark.parametrize("name", ["oruk-dev", "oruk-holdout"])
def test_oruk_sets_meet_their_floors(oruk, name: str) -> None:  # type: ignore[no-untyped-def]
    summary = summarise(run_cases(oruk.suggester, load_cases(REPO / "evals" / f"{name}.yaml")))
    assert check(summary, load_thresholds(REPO / "evals" / "thresholds.toml")[name]) == []
