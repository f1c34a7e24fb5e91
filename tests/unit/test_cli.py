"""The helpmate command as a user runs it: exit codes, one-line errors, the suggest contract."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ORUK, hashing_index

HELPMATE = [sys.executable, "-m", "helpmate.cli.main"]


def helpmate(*args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [*HELPMATE, *args], input=stdin, capture_output=True, text=True, env=full_env, timeout=300
    )


@pytest.fixture
def indexed(library: Path, isolated: Path) -> Path:
    """The library indexed in HELPMATE_HOME as ``helpmate kb index`` leaves it (copied from the
    session's one build: tests/conftest.py ``hashing_index``; the command itself has its tests)."""
    hashing_index(library, isolated / "home")
    return library


def test_help_is_fast_because_heavy_modules_stay_unimported() -> None:
    code = (
        "import sys; from helpmate.cli.main import app\n"
        "heavy = [m for m in ('torch', 'chromadb', 'sentence_transformers', 'langchain_core', 'pydantic_settings',"
        " 'textual') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
    assert helpmate("--help").returncode == 0


def test_locate_prints_the_paths_from_the_environment(tmp_path: Path) -> None:
    out = helpmate("locate")
    assert out.returncode == 0
    assert f"home          {tmp_path / 'home'}  (set by HELPMATE_HOME)" in out.stdout
    assert str(tmp_path / "library") in out.stdout


def test_import_error_is_one_line_exit_2_and_debug_shows_the_traceback(library: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"services": {"id": 1}}')
    out = helpmate("kb", "import", str(bad), "--format", "oruk", "--area", "bristol")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1 and "bad.json" in out.stderr and "Traceback" not in out.stderr
    debug = helpmate("kb", "import", str(bad), "--format", "oruk", "--area", "bristol", HELPMATE_DEBUG="1")
    assert debug.returncode != 0 and "Traceback" in debug.stderr


def test_wrong_format_option_is_refused_with_exit_2(library: Path) -> None:
    out = helpmate(
        "kb", "import", str(ORUK / "bristol_services.json"), "--format", "xml", "--area", "bristol"
    )
    assert out.returncode == 2 and "unknown format 'xml'" in out.stderr


def test_import_then_again_reports_no_change(empty_library: Path) -> None:
    feed = str(ORUK / "north_lincolnshire_services.json")
    first = helpmate("kb", "import", feed, "--format", "oruk", "--area", "north-lincolnshire")
    again = helpmate("kb", "import", feed, "--format", "oruk", "--area", "north-lincolnshire")
    assert first.returncode == 0 and "738 added" in first.stdout
    assert again.returncode == 0 and "738 unchanged (no change)" in again.stdout


def test_validate_exit_codes(library: Path) -> None:
    clean = helpmate("kb", "validate")
    assert clean.returncode == 0 and "0 error(s)" in clean.stdout and "review overdue" in clean.stdout
    assert helpmate("kb", "validate", "--strict").returncode == 1
    (library / "records" / "bad.yaml").write_text(
        "records:\n  - id: x\n    name: X\n    track: service\n    needs: [nope]\n"
    )
    assert helpmate("kb", "validate").returncode == 1
    (library / "needs.yaml").unlink()
    broken = helpmate("kb", "validate")
    assert broken.returncode == 2 and "needs taxonomy is missing" in broken.stderr


def test_suggest_json_contract(indexed: Path) -> None:
    out = helpmate(
        "suggest", "--json", "Retired joiner, widowed, perked up at the idea of mending things for others"
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert {"needs", "safeguarding", "services", "community", "questions"} <= set(data)
    # The engine adds what it read about the person and the plan grouped per need.
    assert set(data["situation"]) == {"what_matters", "strengths", "facts", "unknown"}
    assert (
        "age" in data["situation"]["unknown"]
        and "strengths and interests" not in data["situation"]["unknown"]
    )
    assert "retired joiner" in " ".join(data["situation"]["strengths"]).lower()
    planned = [i["id"] for g in data["plan"] for i in g["services"] + g["community"]]
    assert len(planned) == len(set(planned)), "no record repeated across needs"
    assert {i["id"] for i in data["services"] + data["community"]} <= set(planned)
    assert len(data["services"]) == 5 and len(data["community"]) == 5
    for item in data["services"] + data["community"]:
        # "check": who a record is for, when it is not clear the person is ("for men").
        assert set(item) - {"check"} == {"id", "name", "score", "need", "why"} and item["why"]
        assert "check" not in item or item["check"].startswith("for ")
    for track in ("services", "community"):
        # Best first: those that fit by score, then those to check (also by score).
        sure = [s["score"] for s in data[track] if "check" not in s]
        unsure = [s["score"] for s in data[track] if "check" in s]
        assert sure == sorted(sure, reverse=True) and unsure == sorted(unsure, reverse=True)
        assert [("check" in s) for s in data[track]] == sorted("check" in s for s in data[track])
    assert all(set(n) == {"id", "label", "score"} for n in data["needs"])


def test_suggest_jsonl_answers_each_line_in_order(indexed: Path) -> None:
    lines = (
        "\n".join(
            json.dumps({"id": i, "text": t, "area": "wrenford"})
            for i, t in enumerate(["no money for food this week", "", "lonely since moving here"])
        )
        + "\n"
    )
    out = helpmate("suggest", "--jsonl", stdin=lines)
    assert out.returncode == 0, out.stderr
    answers = [json.loads(line) for line in out.stdout.splitlines()]
    assert [a["id"] for a in answers] == [0, 1, 2]
    assert answers[1]["needs"] == [] and answers[1]["services"] == []
    # A bad line is answered with an error line and the stream goes on; the exit code tells.
    bad = helpmate(
        "suggest", "--jsonl", stdin='{"text": 3}\n{"text": "no food", "area": 5}\n{"text": "no food"}\n'
    )
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    said = [json.loads(line) for line in bad.stdout.splitlines()]
    assert (
        "stdin line 1" in said[0]["error"] and "'area' should be" in said[1]["error"] and said[2]["services"]
    )


def test_suggest_without_an_index_builds_it_on_stderr(library: Path) -> None:
    out = helpmate("suggest", "--json", "lonely since moving here")
    assert out.returncode == 0, out.stderr
    assert "no index yet" in out.stderr and "index ready: 161 records" in out.stderr
    assert json.loads(out.stdout)["community"]  # stdout stays one JSON object


def test_unknown_area_is_refused(indexed: Path) -> None:
    out = helpmate("suggest", "--area", "atlantis", "lonely")
    assert out.returncode == 2 and "unknown area 'atlantis'" in out.stderr
    assert "the areas are: wrenford" in out.stderr and out.stderr.count("\n") == 1


def test_kb_search_and_stale_and_show(indexed: Path) -> None:
    search = helpmate("kb", "search", "woodwork shed", "--json", "-k", "3")
    assert search.returncode == 0 and len(json.loads(search.stdout)) == 3
    stale = helpmate("kb", "stale")
    assert stale.returncode == 0 and "wr-com-talking-newspaper" in stale.stdout
    show = helpmate("kb", "show", "wr-com-mens-shed")
    assert show.returncode == 0 and "name: Wrenford Men's Shed" in show.stdout
    assert helpmate("kb", "show", "nope").returncode == 1
