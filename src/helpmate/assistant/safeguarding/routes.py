"""Local safeguarding routes from a library's ``safeguarding.yaml``, with national ones as the fallback.

A route is looked up for the alert's kind first (a local lead may write one for financial abuse or
FGM), then for its category; in the person's area first, then in ``default``.
"""

from __future__ import annotations

from typing import Any

from helpmate.assistant.safeguarding.alerts import Route


class Routes:
    def __init__(self, data: dict[str, Any] | None) -> None:
        self.data = data or {}

    def route(self, kind: str, category: str, area: str | None) -> Route | None:
        sources = []
        if area:
            sources.append(((self.data.get("areas") or {}).get(area) or {}).get("routes") or [])
        sources.append((self.data.get("default") or {}).get("routes") or [])
        for wanted in dict.fromkeys((kind, category)):
            for routes in sources:
                for item in routes:
                    if isinstance(item, dict) and wanted in (item.get("kind"), item.get("category")):
                        return Route(
                            category,
                            str(item.get("urgent", "")),
                            tuple(str(s) for s in item.get("steps") or []),
                            tuple(
                                {str(k): str(v) for k, v in c.items()}
                                for c in item.get("contacts") or []
                                if isinstance(c, dict)
                            ),
                        )
        return None
