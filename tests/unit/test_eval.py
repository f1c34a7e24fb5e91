"""Evaluation sets: case checks, metrics, reports, baselines, the gate and practice mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpmate.cli.practice import match_name, score
from helpmate.errors import HelpmateError
from helpmate.evals.cases import load_cases
from helpmate.evals.gate import check
from helpmate.evals.metrics import CaseResult, compare, summarise
from tests.conftest import REPO, hashing_index
from tests.unit.test_cli import helpmate

SAMPLE_SET = REPO / "evals" / "sample.yaml"


@pytest.fixture
def indexed(library: Path, isolated: Path) -> Path:
    """The library indexed in HELPMATE_HOME as ``helpmate kb index`` leaves it (copied from the
    session's one build: tests/conftest.py ``hashing_index``; the command itself has its tests)."""
    hashing_index(library, isolated / "home")
    return library


def test_shipped_sets_load_and_cover_what_the_issue_asks() -> None:
    sample = load_cases(SAMPLE_SET)
    oruk = load_cases(REPO / "evals" / "oruk-dev.yaml") + load_cases(REPO / "evals" / "oruk-holdout.yaml")
    assert len(sample) >= 40 and len(oruk) >= 30
    assert sum(c.safeguarding for c in sample) >= 5 and sum(bool(c.turns) for c in sample) >= 5
    assert len({n for c in sample for n in c.needs}) >= 30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("cases:\n  - id: a\n    needs: [x]\n", "case a: .*needs a 'situation' or 'turns'"),
        (
            "cases:\n  - id: a\n    situation: hi\n  - id: a\n    situation: again\n",
            "case a: duplicate case id",
        ),
        ("cases: [unclosed\n", r"line \d+: broken YAML"),
        ("just text\n", "expected a mapping with a 'cases' list"),
        ("cases:\n  - id: a\n    situation: hi\n    relevant: 5\n", "case a: relevant"),
    ],
)
def test_malformed_cases_are_named_by_file_and_case(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "set.yaml"
    path.write_text(text)
    with pytest.raises(HelpmateError, match=expected) as err:
        load_cases(path)
    assert "set.yaml" in str(err.value)


def test_recall_precision_and_reciprocal_rank_follow_what_was_shown() -> None:
    result = CaseResult(
        "c",
        "x",
        ["food"],
        ["food", "debt"],
        ["a", "b", "z"],
        ["s1", "a"],
        ["b", "c2"],
        relevant_tracks={"a": "service", "b": "community", "z": "community"},
        must_not=["c2"],
    )
    assert result.recall == pytest.approx(2 / 3) and result.precision == pytest.approx(0.5)
    assert result.reciprocal_rank == pytest.approx(1 / 2)  # s1, b, a, c2: b is read second
    assert result.track_recall("service") == 1.0 and result.track_recall("community") == 0.5
    summary = summarise([result])
    assert (
        summary["must_not_violations"] == 1
        and summary["need_precision"] == 0.5
        and summary["need_recall"] == 1.0
    )


def test_compare_lists_improved_and_regressed_cases() -> None:
    old = [{"case_id": "a", "recall": 0.5}, {"case_id": "b", "recall": 0.5}, {"case_id": "c", "recall": 1.0}]
    new = [{"case_id": "a", "recall": 1.0}, {"case_id": "b", "recall": 0.0}, {"case_id": "c", "recall": 1.0}]
    result = compare(new, old)
    assert [r["case_id"] for r in result["improved"]] == ["a"] and [
        r["case_id"] for r in result["regressed"]
    ] == ["b"]


def test_gate_floors_and_ceilings() -> None:
    limits = {"recall": 0.6, "must_not_violations": {"max": 0}}
    assert check({"recall": 0.7, "must_not_violations": 0}, limits) == []
    failures = check({"recall": 0.5, "must_not_violations": 2}, limits)
    assert "recall 0.500 is below its floor 0.6" in failures[0] and "above its ceiling 0" in failures[1]


def test_eval_json_report_and_baseline(indexed: Path, tmp_path: Path) -> None:
    first = helpmate("eval", str(SAMPLE_SET), "--json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    cases = len(load_cases(SAMPLE_SET))
    assert doc["summary"]["cases"] == cases and doc["summary"]["unknown_ids"] == 0
    assert {"recall", "recall_services", "recall_community", "mrr", "latency_p95_ms"} <= set(doc["summary"])
    assert "loneliness" in doc["per_need"] and "wrenford" in doc["per_area"]
    baseline = tmp_path / "before.json"
    baseline.write_text(first.stdout)
    report = tmp_path / "report"
    second = helpmate("eval", str(SAMPLE_SET), "--report", str(report), "--baseline", str(baseline))
    assert second.returncode == 0, second.stderr
    assert "0 improved, 0 regressed" in second.stdout
    page = (report / "index.html").read_text()
    import html

    from helpmate.knowledge.library import load_library

    names = {r.id: r.name for r in load_library(indexed).records}
    weakest = min(
        (c for c in doc["cases"] if c["recall"] is not None), key=lambda c: (c["recall"], c["case_id"])
    )
    assert "<svg" in page and html.escape(names[weakest["relevant"][0]]) in page  # names, not bare ids
    assert "<script" not in page and "http" not in page.split("<body>")[1].split("<h2>")[0]
    assert (report / "summary.md").read_text().startswith("# helpmate evaluation")
    assert json.loads((report / "metrics.json").read_text())["summary"]["cases"] == cases


def test_unknown_ids_stop_the_run_before_anything_is_written(indexed: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "cases:\n  - id: b1\n    situation: lonely\n    relevant: [no-such-record]\n"
        "  - id: b2\n    situation: skint\n    needs: [no-such-need]\n"
    )
    report = tmp_path / "report"
    out = helpmate("eval", str(bad), "--report", str(report))
    assert out.returncode == 2
    assert "bad.yaml: case b1: unknown record id no-such-record" in out.stderr
    assert "bad.yaml: case b2: unknown need no-such-need" in out.stderr
    assert not report.exists()
    assert helpmate("eval", str(tmp_path / "missing.yaml")).returncode == 2


def test_thresholds_fail_the_run_below_the_floor(indexed: Path, tmp_path: Path) -> None:
    floors = tmp_path / "t.toml"
    floors.write_text("[sample]\nrecall = 1.01\n")
    out = helpmate("eval", str(SAMPLE_SET), "--thresholds", str(floors))
    assert out.returncode == 1 and "sample: recall" in out.stderr


def test_practice_scores_picks_and_saves_them(indexed: Path, tmp_path: Path) -> None:
    one = tmp_path / "one.yaml"
    one.write_text(
        "cases:\n  - id: p1\n    area: wrenford\n    situation: Retired joiner, widowed, loves mending.\n"
        "    relevant: [wr-com-mens-shed, wr-com-repair-cafe]\n"
    )
    out = helpmate("eval", "--practice", str(one), stdin="Sam\nwrenford mens shed\nnot a real place\n\n")
    assert out.returncode == 0, out.stderr
    assert "You found 1 of 2 relevant" in out.stdout and "no record by that name" in out.stdout
    saved = list((tmp_path / "home" / "practice").glob("*-Sam.json"))
    assert len(saved) == 1
    data = json.loads(saved[0].read_text())
    assert data["results"][0]["hits"] == ["wr-com-mens-shed"]


def test_name_matching_and_scoring() -> None:
    names = {"a": "Wrenford Men's Shed", "b": "Repair Cafe"}
    assert match_name("wrenford men's shed", names) == "a" and match_name("repair cafe", names) == "b"
    assert match_name("Wrenford Mens Shed", names) == "a" and match_name("zzz", names) is None
    result = score(["a"], ["a", "b"], ["b"])
    assert result["recall"] == 0.5 and result["assistant_recall"] == 0.5 and result["missed"] == ["b"]
