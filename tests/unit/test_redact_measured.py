"""The figures redaction is held to: the labelled set evals/pii.yaml and the library's own names.

Goal (issue 13): at most 3 missed items in 150 (so at most 5 of the set's 247), no kept name
altered, no record name of the library altered when the engine's keep list is passed. Measured
figures are printed by ``bench/redact.py``; these limits sit at them.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from helpmate.assistant.pii.scoring import load_set, names_altered, score_snippets
from helpmate.errors import HelpmateError
from helpmate.knowledge.library import load_library
from helpmate.knowledge.records import Area
from tests.conftest import ORUK, REPO, SAMPLE

pytestmark = pytest.mark.integration  # the real spaCy model over 108 snippets and 161 names

# The measured figures (bench/redact.py); the goal allows 5 missed items.
MAX_MISSED = 4  # of 247 items
MAX_WORDS_REPLACED = 0  # non-personal words replaced over the set
MAX_SAMPLE_NAMES_ALTERED_WITHOUT_KEEP = 1  # of 161 (the old rules altered 35)


def sample_places() -> list[str]:
    return [n for a in load_library(SAMPLE).areas for n in a.place_names()]


def test_labelled_set_recall_and_false_redactions() -> None:
    score = score_snippets(load_set(REPO / "evals" / "pii.yaml"), sample_places()).as_dict()
    assert score["items"] == 247
    assert score["missed"] <= MAX_MISSED, score["missed_items"]
    assert score["keep_altered"] == 0, score["keep_altered_items"]
    assert score["non_personal_words_replaced"] <= MAX_WORDS_REPLACED, score["words_replaced_items"]
    for kind in ("NHS_NUMBER", "NI_NUMBER", "SORT_CODE", "BANK_ACCOUNT", "POSTCODE", "PHONE", "EMAIL"):
        caught, total = score["recall_per_type"][kind].split("/")
        assert caught == total, kind


def test_no_sample_record_name_is_altered_with_the_keep_list() -> None:
    library = load_library(SAMPLE)
    names = [r.name for r in library.records]
    places = sample_places()
    assert names_altered(names, places, keep_names=True) == []
    assert len(names_altered(names, places, keep_names=False)) <= MAX_SAMPLE_NAMES_ALTERED_WITHOUT_KEEP


@pytest.mark.skipif(not ORUK.exists(), reason=f"the shared ORUK feeds are not at {ORUK}")
def test_no_oruk_record_name_is_altered_with_the_keep_list() -> None:
    names = []
    for feed in ("bristol_services.json", "north_lincolnshire_services.json"):
        names += [s["name"] for s in json.loads((ORUK / feed).read_text(encoding="utf-8")) if s.get("name")]
    example = yaml.safe_load(
        (REPO / "examples" / "areas-bristol-north-lincolnshire.yaml").read_text(encoding="utf-8")
    )
    places = [n for a in example["areas"] for n in Area.model_validate(a).place_names()]
    assert len(names) > 1500
    assert names_altered(names, places, keep_names=True) == []


def test_a_broken_labelled_set_is_one_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "pii.yaml"
    path.write_text("snippets: [unclosed", encoding="utf-8")
    with pytest.raises(HelpmateError, match="cannot read the labelled set"):
        load_set(path)
