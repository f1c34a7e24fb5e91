"""The import's need tags: a keyword counts when its words appear together in a record."""

from __future__ import annotations

import json

import pytest

from helpmate.knowledge.library import load_library
from helpmate.knowledge.records import Need
from helpmate.knowledge.rules import NeedTagger, _tokens
from tests.conftest import ORUK, SAMPLE


def by_search(needs: list[Need], name: str, description: str, limit: int = 3) -> list[str]:
    """The plain definition: search the record for every keyword of every need."""
    name_t, desc_t = _tokens(name), _tokens(description)
    scores = []
    for need in needs:
        patterns = [f" {_tokens(k).strip()} " for k in need.keywords if k.strip()]
        score = sum(2 * (p in name_t) + (p in desc_t) for p in patterns)
        if score:
            scores.append((score, need.id))
    scores.sort(key=lambda item: (-item[0], item[1]))
    return [need_id for _, need_id in scores[:limit]]


def need(need_id: str, *keywords: str) -> Need:
    return Need(id=need_id, label=need_id, description=need_id, examples=["x"], keywords=list(keywords))


def test_words_count_only_together_and_in_order_and_name_words_double() -> None:
    tagger = NeedTagger([need("food", "food bank", "hungry"), need("money", "bank", "debt advice")])
    assert tagger.suggest("Bank of Hope", "a food bank for families") == ["money", "food"]
    assert tagger.suggest("Hope Centre", "we bank on food; advice on debt") == ["money"]
    assert tagger.suggest("Men's Shed", "woodwork and a cuppa") == []


def test_a_keyword_listed_twice_counts_twice_and_ties_go_by_id() -> None:
    tagger = NeedTagger([need("b-need", "club", "club"), need("a-need", "club"), need("c-need", "club")])
    assert tagger.suggest("", "a club") == ["b-need", "a-need", "c-need"]
    assert tagger.suggest("", "a club", limit=1) == ["b-need"]


@pytest.mark.skipif(not ORUK.exists(), reason="the shared feeds are not beside the repository")
def test_the_real_feeds_are_tagged_as_searching_every_keyword_would() -> None:
    needs = load_library(SAMPLE).needs
    tagger = NeedTagger(needs)
    records = json.loads((ORUK / "bristol_services.json").read_text(encoding="utf-8"))[:400]
    for record in records:
        name, description = str(record.get("name") or ""), str(record.get("description") or "")
        assert tagger.suggest(name, description) == by_search(needs, name, description), name
