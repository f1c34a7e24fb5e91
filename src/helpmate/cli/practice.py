"""``helpmate eval --practice``: a trainee suggests help for each situation and is scored.

The trainee types the names of services and community resources (Tab completes names from the
case's area), one per line, and an empty line to finish. Picks are scored against the case's
relevant records and against the assistant's own suggestions; results are saved for the trainer
in ``HELPMATE_HOME/practice/``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
from pathlib import Path
from typing import Any

from helpmate.settings import Settings


def match_name(text: str, names: dict[str, str]) -> str | None:
    """The record id for what a trainee typed: an exact name (any case), else a close one."""
    wanted = text.strip().lower()
    exact = [rid for rid, name in names.items() if name.lower() == wanted]
    if exact:
        return exact[0]
    close = difflib.get_close_matches(wanted, [n.lower() for n in names.values()], n=1, cutoff=0.75)
    if close:
        return next(rid for rid, name in names.items() if name.lower() == close[0])
    return None


def score(picks: list[str], relevant: list[str], assistant: list[str]) -> dict[str, Any]:
    rel = set(relevant)
    hits = [p for p in picks if p in rel]
    return {
        "picked": picks,
        "hits": hits,
        "recall": len(set(hits)) / len(rel) if rel else None,
        "precision": len(hits) / len(picks) if picks else None,
        "assistant_recall": len(rel & set(assistant)) / len(rel) if rel else None,
        "missed": [r for r in relevant if r not in set(picks)],
    }


def _completer(names: list[str]) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - readline is missing on some platforms
        return

    def complete(text: str, state: int) -> str | None:
        options = [n for n in names if n.lower().startswith(text.lower())]
        return options[state] if state < len(options) else None

    readline.set_completer_delims("")
    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")


def run_practice(settings: Settings, paths: list[Path], *, limit: int) -> None:
    from helpmate.assistant.runtime import load_runtime
    from helpmate.cli.evaluate import _check_cases
    from helpmate.evals.cases import load_cases
    from helpmate.knowledge.files import atomic_write

    pairs = [(path, case) for path in paths for case in load_cases(path)]
    runtime = load_runtime(settings)
    _check_cases(pairs, runtime)
    trainee = input("Your name (for the trainer): ").strip() or "anonymous"
    results = []
    for number, (_, case) in enumerate(pairs, start=1):
        records = [r for r in runtime.index.records if not case.area or not r.areas or case.area in r.areas]
        names = {r.id: r.name for r in records}
        _completer(sorted(set(names.values())))
        print(f"\nSituation {number} of {len(pairs)} ({case.area or 'any area'}):")
        for message in case.messages:
            print(f"  {message}")
        print(
            "Type the services and community resources you would suggest, one per line (Tab completes); "
            "an empty line when done."
        )
        picks: list[str] = []
        while True:
            try:
                line = input("  + ").strip()
            except EOFError:
                line = ""
            if not line:
                break
            rid = match_name(line, names)
            if rid is None:
                print("    (no record by that name here; try Tab)")
                continue
            picks.append(rid)
            print(f"    {names[rid]}")
        suggestion = runtime.suggester.suggest(case.text, area=case.area, limit=limit)
        assistant = [h.record.id for h in suggestion.services + suggestion.community]
        result = {"case": case.id, **score(picks, case.relevant, assistant)}
        results.append(result)
        recall = result["recall"]
        print(
            f"  You found {len(result['hits'])} of {len(case.relevant)} relevant"
            + (
                f" (recall {recall:.2f}); the assistant found {result['assistant_recall']:.2f}."
                if recall is not None
                else "."
            )
        )
        if result["missed"]:
            print("  Also worth knowing: " + "; ".join(runtime.index.by_id[r].name for r in result["missed"]))
    when = dt.datetime.now()
    folder = settings.home / "practice"
    path = folder / f"{when:%Y%m%d-%H%M%S}-{''.join(c for c in trainee if c.isalnum()) or 'trainee'}.json"
    atomic_write(
        path,
        json.dumps(
            {
                "trainee": trainee,
                "when": when.isoformat(timespec="seconds"),
                "sets": [str(p) for p in paths],
                "results": results,
            },
            indent=1,
        ),
    )
    scored = [r["recall"] for r in results if r["recall"] is not None]
    if scored:
        print(
            f"\nAverage recall {sum(scored) / len(scored):.2f} over {len(scored)} situations. Saved to {path}"
        )
