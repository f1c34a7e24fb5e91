"""Localities of an area: which a text names, and help of the person's own locality first."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from helpmate.assistant.reading import Reader
from helpmate.knowledge.places import Gazetteer
from helpmate.knowledge.records import Area
from tests.conftest import REPO, hashing_runtime

AREAS = {
    "slug": "duo",
    "name": "Duo Valley",
    "localities": [
        {"name": "Northtown", "places": ["Alderby", "Dunmere"]},
        {"name": "Southtown", "places": ["Beckside", "Cole Green", "Bath"]},
        {"name": "North Southtown", "places": []},
    ],
}


def test_a_text_names_a_locality_by_its_places_as_written() -> None:
    gazetteer = Gazetteer([Area.model_validate(AREAS)])
    assert gazetteer.named("She lives in Cole Green.", "duo") == {"Southtown"}
    assert gazetteer.named("Lives in Cole-Green, works in Alderby", ["duo"]) == {"Southtown", "Northtown"}
    # Capitals count: the bath is not Bath; a place inside a longer word is no place.
    assert gazetteer.named("help getting in and out of the bath, near Alderbyshire", "duo") == set()
    # A name inside a longer one of another locality does not count.
    assert gazetteer.named("Services across North Southtown", "duo") == {"North Southtown"}
    assert gazetteer.named("She lives in Cole Green.", "elsewhere") == set()
    assert gazetteer.named("A Beckside-based charity; Cole-Green’s café", "duo") == {"Southtown"}
    # In what a worker says, where the person comes from is not where they live.
    assert gazetteer.named("Moved here from Alderby, lives in Beckside", "duo", residence=True) == {
        "Southtown"
    }


def test_a_locality_without_a_name_matches_nothing() -> None:
    area = Area.model_validate({"slug": "x", "name": "X", "localities": [{"name": " ", "places": []}]})
    assert not Gazetteer([area]) and Gazetteer([area]).named("Anything at all.", "x") == set()


def test_the_area_comes_from_a_locality_place_only_as_written() -> None:
    data = yaml.safe_load((REPO / "examples" / "areas-bristol-north-lincolnshire.yaml").read_text())
    areas = [Area.model_validate(a) for a in data["areas"]]
    reader = Reader([], areas)
    text = "Mrs Ellis, 82, lives alone in Scunthorpe and can no longer get in and out of the bath."
    assert reader.read(text).area == "north-lincolnshire"
    assert reader.read("Lives in Hartcliffe with her two boys.").area == "bristol"
    assert reader.read("he needs healing and a bath").area is None


def test_the_example_areas_file_is_a_valid_library_file() -> None:
    data = yaml.safe_load((REPO / "examples" / "areas-bristol-north-lincolnshire.yaml").read_text())
    gazetteer = Gazetteer([Area.model_validate(a) for a in data["areas"]])
    assert gazetteer.named("Mum of two in Hartcliffe", "bristol") == {"Bristol"}
    assert gazetteer.named("Kingswood Kitchen and Fridge", "bristol") == {"South Gloucestershire"}
    assert gazetteer.named("Across North Lincolnshire", "north-lincolnshire") == {"North Lincolnshire"}


@pytest.fixture
def duo(library: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    areas = yaml.safe_load((library / "areas.yaml").read_text())
    areas["areas"].append(AREAS)
    (library / "areas.yaml").write_text(yaml.safe_dump(areas, sort_keys=False))
    advice = "Free debt and money advice drop-in for people in {place}: rent arrears, bailiffs and budgeting."
    records = [
        {
            "id": f"duo-{key}",
            "name": f"{place} Money Advice",
            "track": "service",
            "areas": ["duo"],
            "needs": ["debt"],
            "description": advice.format(place=place),
        }
        for key, place in (("north", "Alderby"), ("south", "Beckside"))
    ]
    (library / "records" / "duo.yaml").write_text(yaml.safe_dump({"records": records}, sort_keys=False))
    return hashing_runtime(library, tmp_path / "home")


@pytest.mark.parametrize(
    ("text", "first", "then"),
    [
        (
            "She lives in Cole Green and is behind on her rent, bailiffs are at the door.",
            "duo-south",
            "duo-north",
        ),
        (
            "She lives in Dunmere and is behind on her rent, bailiffs are at the door.",
            "duo-north",
            "duo-south",
        ),
    ],
)
# Without the locality rule the two records tie but for their names, so they come in the same order
# for both texts and one of the two cases fails.
def test_help_in_the_persons_own_locality_comes_first_and_the_rest_stays(
    duo, text: str, first: str, then: str
) -> None:  # type: ignore[no-untyped-def]
    suggestion = duo.suggester.suggest(text)
    assert suggestion.area == "duo"
    shown = [h.record.id for h in suggestion.services]
    assert shown.index(first) < shown.index(then)
