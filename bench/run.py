"""`make bench`: speed, size and quality on the shared feeds, printed as one JSON object.

Phases run in their own processes (see phases.py) so each peak memory figure is that phase's.
Everything is written under a temporary directory; nothing touches your HELPMATE_HOME.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ORUK = ("bristol--bristol-services.yaml", "north-lincolnshire--north-lincolnshire-services.yaml")


def phase(*args: str) -> dict:
    out = subprocess.run(
        [sys.executable, str(HERE / "phases.py"), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench phase {args[0]} failed")
    return json.loads(out.stdout.strip().splitlines()[-1])


def wall(cmd: list[str], env: dict[str, str], runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, check=True)
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3)


def tui() -> dict:
    """The terminal app's first paint, ready time and key echo (bench/tui.py; needs tmux)."""
    if shutil.which("tmux") is None:
        return {"skipped": "tmux is not installed"}
    out = subprocess.run(
        [sys.executable, str(HERE / "tui.py")], capture_output=True, text=True, check=False, env=os.environ
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit("bench tui failed")
    return json.loads(out.stdout)


def insight() -> dict:
    """A year of a 200-worker team's events (bench/insight.py): write p95, report time, size."""
    return script("insight.py")


def script(name: str) -> dict:
    """One of the benches that print their own JSON (insight.py, redact.py, injections.py)."""
    out = subprocess.run(
        [sys.executable, str(HERE / name)],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    if out.returncode != 0:
        sys.stderr.write(out.stderr)
        raise SystemExit(f"bench {name} failed")
    return json.loads(out.stdout)


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="helpmate-bench-"))
    try:
        full, small = work / "library-5k", work / "library-1k"
        result: dict = {"import": phase("import", str(full))}
        # The localities of the two ORUK areas, as a knowledge manager there would add them.
        shutil.copy(HERE.parent / "examples" / "areas-bristol-north-lincolnshire.yaml", full / "areas.yaml")
        (small / "records" / "imported").mkdir(parents=True)
        for name in ("needs.yaml", "safeguarding.yaml", "areas.yaml"):
            shutil.copy(full / name, small / name)
        for name in ORUK:
            shutil.copy(full / "records" / "imported" / name, small / "records" / "imported" / name)
        result["index_cold_1_5k"] = phase("index", str(small), str(work / "home-1k"))
        result["index_cold_5_6k"] = phase("index", str(full), str(work / "home-5k"))
        helpmate = str(Path(sys.executable).parent / "helpmate")
        env = {**os.environ, "HELPMATE_HOME": str(work / "home-5k"), "HELPMATE_KNOWLEDGE": str(full)}
        result["reindex_unchanged_5_6k_s"] = wall([helpmate, "kb", "index"], env, runs=3)
        result["help_s"] = wall([helpmate, "--help"], env)
        result["suggest_warm_1_5k"] = phase("latency", str(small), str(work / "home-1k"))
        result["suggest_warm_5_6k"] = phase("latency", str(full), str(work / "home-5k"))
        result["turn_1_5k"] = phase("turn", str(small), str(work / "home-1k"))
        result["quality"] = phase("quality", str(small), str(work / "home-1k"))
        result["tui"] = tui()
        result["insight"] = insight()
        # Redaction before a remote model: recall and false redactions on evals/pii.yaml, load time,
        # per-message p95; and records that try to instruct the assistant, caught and flagged.
        result["redact"] = script("redact.py")
        result["injections"] = script("injections.py")
        print(json.dumps(result, indent=1))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
