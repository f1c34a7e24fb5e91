"""The kinds of safeguarding risk and their categories: shipped defaults, a library's own on top.

A category (immediate danger, suicide or self-harm, domestic abuse, a child or an adult at risk)
is what the worker sees first and what the local route is for; it orders alerts by severity and
says which needs' help an alert brings. A kind is what a safeguarding lead would name (financial
abuse, self-neglect, child exploitation...). Both live in data: helpmate/data/safeguarding/
kinds.yaml, and a library's safeguarding.yaml may replace or add entries by id.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from helpmate import data
from helpmate.errors import LibraryInvalid

LEVELS = ("urgent", "concern", "check")
"""urgent: act now; concern: talk to your safeguarding lead today; check: worth asking about."""


@dataclass(frozen=True)
class Category:
    id: str
    label: str
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Kind:
    id: str
    category: str
    label: str
    needs: tuple[str, ...] | None = None
    """The needs whose help an alert of this kind brings (None: its category's)."""


@dataclass(frozen=True)
class Taxonomy:
    categories: tuple[Category, ...]
    kinds: tuple[Kind, ...]

    def kind(self, kind_id: str) -> Kind:
        found = next((k for k in self.kinds if k.id == kind_id), None)
        if found is None:  # a category named as a kind (older sessions, rules of a category)
            category = self.category(kind_id)
            return Kind(kind_id, category.id, category.label)
        return found

    def category(self, category_id: str) -> Category:
        found = next((c for c in self.categories if c.id == category_id), None)
        return found or Category(category_id, category_id.replace("-", " ").capitalize())

    def severity(self, category_id: str) -> int:
        """The category's place in the order of severity (most severe first; unknown ones last)."""
        ids = [c.id for c in self.categories]
        return ids.index(category_id) if category_id in ids else len(ids)

    def needs(self, kind_id: str) -> tuple[str, ...]:
        kind = self.kind(kind_id)
        return kind.needs if kind.needs is not None else self.category(kind.category).needs

    @classmethod
    def load(cls, library_data: dict[str, Any] | None = None, where: str = "safeguarding.yaml") -> Taxonomy:
        """The shipped kinds and categories, with those of a library's safeguarding.yaml on top."""
        from helpmate.knowledge.library import read_yaml

        shipped = read_yaml(data.path("safeguarding", "kinds.yaml"))
        categories = _merge(shipped.get("categories"), (library_data or {}).get("categories"), where)
        kinds = _merge(shipped.get("kinds"), (library_data or {}).get("kinds"), where)
        try:
            return cls(
                tuple(
                    Category(str(c["id"]), str(c.get("label") or c["id"]), tuple(c.get("needs") or ()))
                    for c in categories
                ),
                tuple(
                    Kind(
                        str(k["id"]),
                        str(k["category"]),
                        str(k.get("label") or k["id"]),
                        tuple(k["needs"]) if k.get("needs") is not None else None,
                    )
                    for k in kinds
                ),
            )
        except (KeyError, TypeError) as exc:
            raise LibraryInvalid(
                f"{where}: a category or kind lacks '{exc}'",
                hint="each needs an id (and a kind its category)",
            ) from exc


def _merge(shipped: Any, local: Any, where: str) -> list[dict[str, Any]]:
    items = [dict(i) for i in shipped or [] if isinstance(i, dict)]
    if local is None:
        return items
    if not isinstance(local, list) or not all(isinstance(i, dict) and i.get("id") for i in local):
        raise LibraryInvalid(f"{where}: categories and kinds must be lists of mappings with an id")
    by_id = {str(i["id"]): n for n, i in enumerate(items)}
    for item in local:
        if str(item["id"]) in by_id:
            items[by_id[str(item["id"])]] = {**items[by_id[str(item["id"])]], **item}
        else:
            items.append(dict(item))
    return items


def shipped_path() -> Path:
    return data.path("safeguarding", "kinds.yaml")
