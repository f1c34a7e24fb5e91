"""The regression gate: floors per evaluation set in evals/thresholds.toml.

```toml
[sample]                 # a set, named after its file (evals/sample.yaml)
recall = 0.70            # metric = floor: the run fails when the metric drops below it
must_not_violations = { max = 0 }   # a ceiling instead of a floor
```
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from helpmate.errors import HelpmateError


def load_thresholds(path: Path) -> dict[str, dict[str, Any]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise HelpmateError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise HelpmateError(f"{path}: not valid TOML ({exc})") from exc
    return data


def check(summary: dict[str, float], limits: dict[str, Any]) -> list[str]:
    """The metrics outside their limits, as sentences; empty when the run passes."""
    failures = []
    for metric, limit in limits.items():
        if metric not in summary:
            failures.append(f"{metric}: no such metric")
            continue
        value = summary[metric]
        if isinstance(limit, dict):
            if "max" in limit and value > limit["max"]:
                failures.append(f"{metric} {value:.3f} is above its ceiling {limit['max']}")
            if "min" in limit and value < limit["min"]:
                failures.append(f"{metric} {value:.3f} is below its floor {limit['min']}")
        elif value < float(limit):
            failures.append(f"{metric} {value:.3f} is below its floor {limit}")
    return failures
