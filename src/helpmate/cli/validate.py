"""``helpmate kb validate``'s report: problems grouped by kind with counts, most serious first.

On the Bristol feed it printed 810 warnings one a line (803 "review overdue") with the one
prompt injection at line 391. Now each kind is one heading with its count and a few examples:
errors first (the safeguarding routes before the rest), then warnings that bear on a citizen's
safety (injections, routes), then the others; ``-v`` lists every problem, ``--json`` too.
"""

from __future__ import annotations

from itertools import groupby
from pathlib import Path

from helpmate.cli.common import echo, safe_json

EXAMPLES = 3
"""Problems shown under each heading without -v."""
HEADINGS = {0: "ERRORS", 1: "ERRORS", 2: "SAFETY WARNINGS", 3: "WARNINGS"}


def _categories() -> tuple[str, ...]:
    """The alert categories the engine raises, so a route named otherwise is caught."""
    try:
        from helpmate.assistant import safeguarding
    except ImportError:  # pragma: no cover - the engine is always installed with the CLI
        return ()
    return tuple(getattr(safeguarding, "CATEGORIES", ()))


def report_problems(root: Path, *, verbose: bool, as_json: bool, strict: bool) -> bool:
    """Print the report; True when the library passes (no errors; no warnings with ``strict``)."""
    from helpmate.knowledge.library import KINDS, validate_library

    problems = validate_library(root, categories=_categories())  # most serious first, by kind
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    groups = [(key, list(items)) for key, items in groupby(problems, key=lambda p: (p.rank, p.group))]
    if as_json:
        echo(
            safe_json(
                {
                    "library": str(root),
                    "errors": errors,
                    "warnings": warnings,
                    "groups": [
                        {
                            "kind": kind,
                            "title": KINDS.get(kind, (kind, False))[0],
                            "severity": items[0].severity,
                            "safety": rank in (0, 2),
                            "count": len(items),
                        }
                        for (rank, kind), items in groups
                    ],
                    "problems": [
                        {"severity": p.severity, "kind": p.group, "where": p.where, "message": p.message}
                        for p in problems
                    ],
                }
            )
        )
    else:
        heading = ""
        for (rank, kind), items in groups:
            if HEADINGS[rank] != heading:
                heading = HEADINGS[rank]
                echo(heading)
            echo(f"  {KINDS.get(kind, (kind, False))[0]}: {len(items)}")
            shown = items if verbose else items[:EXAMPLES]
            for problem in shown:
                echo(f"    {problem.where}: {problem.message}")
            if len(items) > len(shown):
                echo(f"    ... and {len(items) - len(shown)} more (-v lists them all)")
        more = "" if verbose or not problems else " (-v lists every problem, --json for scripts)"
        echo(f"{errors} error(s), {warnings} warning(s) in {root}{more}")
    return not errors and not (strict and warnings)
