"""Importing Open Referral feeds: shapes, repairs, rules, idempotence, atomicity and bad input."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import yaml

from helpmate.errors import HelpmateError
from helpmate.knowledge.importers import import_feed
from helpmate.knowledge.library import load_library, load_records_file
from helpmate.knowledge.records import Eligibility
from tests.conftest import HSDS, ORUK, oruk_service, write_json


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_oruk_list_is_imported_with_source_ids_clean_text_and_area(
    empty_library: Path, tmp_path: Path
) -> None:
    feed = write_json(
        tmp_path / "feed.json",
        [
            oruk_service(
                "a-1", "Knit and Natter", "<p>Knitting group.\\nTea and biscuits&nbsp;provided.</p>"
            ),
            oruk_service(
                "a-2",
                "Debt Advice Line",
                "<p>Free debt advice and benefits checks by appointment.</p>",
                organization={"id": "o", "name": "Citizens Advice Bristol"},
            ),
        ],
    )
    report = import_feed(empty_library, feed, "oruk", "bristol")
    assert (report.added, report.skipped) == (2, [])
    library = load_library(empty_library)
    knit = library.record("a-1")
    assert knit is not None
    assert knit.description == "Knitting group. Tea and biscuits provided."
    assert knit.areas == ["bristol"] and knit.source.feed == "oruk:feed" and knit.source.id == "a-1"
    assert knit.track == "community" and knit.track_origin == "rule"
    assert str(knit.review_due) == "2025-11-27"
    debt = library.record("a-2")
    assert debt is not None and debt.track == "service"
    assert {"debt", "money-benefits"} & set(debt.needs_suggested)


def test_importing_the_same_feed_again_changes_nothing(empty_library: Path) -> None:
    first = import_feed(
        empty_library, ORUK / "north_lincolnshire_services.json", "oruk", "north-lincolnshire"
    )
    before = snapshot(empty_library)
    again = import_feed(
        empty_library, ORUK / "north_lincolnshire_services.json", "oruk", "north-lincolnshire"
    )
    assert first.added == 738 and again.unchanged == 738 and not again.changed
    assert snapshot(empty_library) == before


def test_real_bristol_feed_duplicate_id_and_empty_record_are_reported(empty_library: Path) -> None:
    report = import_feed(empty_library, ORUK / "bristol_services.json", "oruk", "bristol")
    assert [d[1] for d in report.duplicates] == ["Fishponds Yoga for Fitness & Wellbeing"]
    assert len(report.skipped) == 1 and "no name" in report.skipped[0][1]
    assert report.added == 817
    text = report.target.read_text(encoding="utf-8")
    assert "<p>" not in text and "&nbsp;" not in text


def test_duplicate_rule_prefers_described_then_latest(empty_library: Path, tmp_path: Path) -> None:
    older = oruk_service("d", "Old copy", "<p>Described.</p>")
    older["pc_metadata"]["date_modified"] = "2020-01-01"
    newer = oruk_service("d", "New copy", "<p>Also described.</p>")
    newer["pc_metadata"]["date_modified"] = "2024-01-01"
    empty = oruk_service("d", "Empty copy", "<p><br></p>")
    empty["pc_metadata"]["date_modified"] = "2025-01-01"
    report = import_feed(empty_library, write_json(tmp_path / "d.json", [older, empty, newer]), "oruk", "x")
    assert report.duplicates == [("d", "New copy", 2)]


def test_single_full_oruk_service_brings_location_eligibility_and_schedule(
    empty_library: Path, tmp_path: Path
) -> None:
    full = oruk_service(
        "full-1",
        "Carers Cafe",
        "<p>Monthly cafe for unpaid carers.</p>",
        eligibilitys=[{"id": "e", "eligibility": "Adult carers", "minimum_age": 18, "maximum_age": None}],
        service_at_locations=[
            {
                "id": "sl",
                "location": {
                    "name": "Hall",
                    "physical_addresses": [
                        {"address_1": "1 High St", "city": "Scunthorpe", "postal_code": "dn15 6ab"}
                    ],
                    "accessibility_for_disabilities": [{"accessibility": "Wheelchair access"}],
                },
                "regular_schedules": [{"opens_at": "10:00:00", "closes_at": "12:00:00", "byday": "TU"}],
            }
        ],
        contacts=[{"name": "Desk", "phones": [{"number": "01724 000000"}]}],
        languages=[{"language": "English"}, {"language": "Polish"}],
    )
    import_feed(empty_library, write_json(tmp_path / "one.json", full), "oruk", "north-lincolnshire")
    record = load_library(empty_library).record("full-1")
    assert record is not None
    assert record.eligibility.min_age == 18 and record.eligibility.text == "Adult carers"
    assert record.postcode == "DN15 6AB" and record.address.startswith("1 High St")
    assert record.opening_times == "TU 10:00-12:00" and record.contact.phone == "01724 000000"
    assert record.languages == ["English", "Polish"] and record.accessibility == "Wheelchair access"


def test_who_a_record_is_for_is_read_from_its_words_with_the_words_kept(
    empty_library: Path, tmp_path: Path
) -> None:
    feed = [
        oruk_service(
            "refuge",
            "Safe House",
            "<p>Safe temporary housing for women aged 16+ fleeing domestic abuse.</p>",
        ),
        oruk_service("respite", "Fairburn", "<p>Short breaks for adults with a learning disability.</p>"),
        oruk_service("club", "Knit and Natter", "<p>Everyone welcome, bring your needles.</p>"),
        oruk_service(
            "carers",
            "Carers Cafe",
            "<p>Monthly cafe.</p>",
            eligibilitys=[{"id": "e", "eligibility": "Unpaid carers", "minimum_age": 18}],
        ),
    ]
    import_feed(empty_library, write_json(tmp_path / "who.json", feed), "oruk", "bristol")
    library = load_library(empty_library)
    refuge = library.record("refuge").eligibility  # type: ignore[union-attr]
    assert (refuge.genders, refuge.min_age) == (["female"], 16)
    assert refuge.read_from["genders"].startswith("Safe temporary housing for women aged 16+")
    respite = library.record("respite").eligibility  # type: ignore[union-attr]
    assert respite.only_for == ["learning-disability-autism"] and respite.min_age == 18
    assert library.record("club").eligibility == Eligibility()  # type: ignore[union-attr]
    carers = library.record("carers").eligibility  # type: ignore[union-attr]
    assert (carers.text, carers.min_age, carers.only_for) == ("Unpaid carers", 18, ["carers"])
    assert "ages" not in carers.read_from  # the feed's own age field, not read from words
    text = (empty_library / "records" / "imported" / "bristol--who.yaml").read_text(encoding="utf-8")
    assert "read_from:" in text and "genders:\n    - female" in text


def test_hsds_eligibility_rows_are_joined_by_service_and_read(empty_library: Path, tmp_path: Path) -> None:
    pkg = _hsds_copy(tmp_path)
    (pkg / "eligibility.csv").write_text(
        'id,service_id,eligibility\ne1,136,"Girls aged 5-17 years old"\n', encoding="utf-8"
    )
    import_feed(empty_library, pkg, "hsds", "miami")
    scouts = load_library(empty_library).record("136")
    assert scouts is not None
    elig = scouts.eligibility
    assert (elig.text, elig.genders, elig.min_age, elig.max_age) == (
        "Girls aged 5-17 years old",
        ["female"],
        5,
        17,
    )


def test_real_north_lincolnshire_feed_reads_who_its_groups_are_for(empty_library: Path) -> None:
    import_feed(empty_library, ORUK / "north_lincolnshire_services.json", "oruk", "north-lincolnshire")
    by_name = {r.name: r.eligibility for r in load_library(empty_library).records}
    assert by_name["Ladies Hockey"].genders == ["female"]
    assert by_name["Men's Breakfast"].genders == ["male"]
    assert (by_name["Girls Football 8+"].genders, by_name["Girls Football 8+"].min_age) == (["female"], 8)
    assert by_name["Over 50's Walking Football"].min_age == 50
    assert by_name["Crowle Breastfeeding Support Group"].only_for == ["pregnancy-baby"]
    assert by_name["Crowle Breastfeeding Support Group"].genders == []  # "partners are welcome too"
    for elig in by_name.values():  # every limit says which words set it
        if elig.genders:
            assert elig.read_from["genders"]
        if elig.min_age is not None or elig.max_age is not None:
            assert elig.read_from["ages"]
        assert all(elig.read_from[need] for need in elig.only_for)


def test_bad_records_inside_a_good_feed_are_skipped_and_listed(empty_library: Path, tmp_path: Path) -> None:
    feed = [
        oruk_service("ok", "Good group"),
        oruk_service("bad-type", {"not": "text"}),  # type: ignore[arg-type]
        "just a string",
        oruk_service("bad-org", "Group", organization=["a", "list"]),
    ]
    report = import_feed(empty_library, write_json(tmp_path / "mixed.json", feed), "oruk", "x")
    assert report.added == 1
    reasons = " | ".join(f"{w}: {why}" for w, why in report.skipped)
    assert "bad-type" in reasons and "name" in reasons
    assert "item 3" in reasons and "bad-org" in reasons and "organization" in reasons


def test_track_override_per_organisation_and_record(empty_library: Path, tmp_path: Path) -> None:
    (empty_library / "overrides.yaml").write_text(
        "track:\n  records:\n    r2: service\n  organisations:\n    Test Org: service\n", encoding="utf-8"
    )
    feed = write_json(tmp_path / "f.json", [oruk_service("r1", "Walking group"), oruk_service("r2", "Choir")])
    import_feed(empty_library, feed, "oruk", "x")
    library = load_library(empty_library)
    assert {r.id: (r.track, r.track_origin) for r in library.records} == {
        "r1": ("service", "override"),
        "r2": ("service", "override"),
    }
    # Editing overrides takes effect on load, without importing again.
    (empty_library / "overrides.yaml").write_text("track:\n  records:\n    r1: community\n", encoding="utf-8")
    assert load_library(empty_library).record("r1").track == "community"  # type: ignore[union-attr]


def test_hsds_folder_and_zip_give_the_same_records(empty_library: Path, tmp_path: Path) -> None:
    report = import_feed(empty_library, HSDS, "hsds", "miami")
    assert report.added == 4089
    record = next(r for r in load_library(empty_library).records if r.id == "136")
    assert record.name.startswith("Girl Scouts Council of Tropical Florida")
    assert record.contact.phone == "305-253-4841" and record.postcode == "33157"
    assert "###" not in record.description and "GÇ" not in record.description
    assert "Spanish" in record.languages and "9:00am-5:00pm" in record.opening_times

    archive = tmp_path / "pkg.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(HSDS / "datapackage.json", "pkg/datapackage.json")
        for csv_file in HSDS.glob("*.csv"):
            zf.write(csv_file, f"pkg/data/{csv_file.name}")
    other = tmp_path / "other"
    zipped = import_feed(other, archive, "hsds", "miami")
    assert zipped.added == 4089

    def strip_feed(path: Path) -> list[dict]:
        return [r.model_dump(exclude={"source"}) for r in load_records_file(path)]

    assert strip_feed(zipped.target) == strip_feed(report.target)


def _hsds_copy(tmp_path: Path, drop_column: str | None = None, drop_file: str | None = None) -> Path:
    pkg = tmp_path / "hsds"
    pkg.mkdir()
    (pkg / "datapackage.json").write_text((HSDS / "datapackage.json").read_text())
    for name in ("services.csv", "organizations.csv"):
        if name == drop_file:
            continue
        lines = (HSDS / name).read_text(encoding="utf-8").splitlines()[:20]
        if drop_column and name == "services.csv":
            header = lines[0].split(",")
            lines[0] = ",".join("x" if h == drop_column else h for h in header)
        (pkg / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    return pkg


BAD_INPUTS = {
    "malformed": (b'[{"id": "1", "name": "x",}]', "oruk", "not valid JSON"),
    "truncated": (json.dumps([oruk_service("1", "A")]).encode()[:60], "oruk", "truncated"),
    "empty": (b"", "oruk", "empty"),
    "binary": (bytes(range(256)) * 4, "oruk", "binary"),
    "object-not-list": (b'{"services": {"id": 1}}', "oruk", "expected a list"),
    "no-usable-records": (b'[{"id": "1"}]', "oruk", "no usable records"),
    "json-as-hsds": (b"[]", "hsds", "not a zip"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_feed_fails_with_one_line_naming_the_file_and_leaves_library_alone(
    case: str, library: Path, tmp_path: Path
) -> None:
    content, fmt, expected = BAD_INPUTS[case]
    feed = tmp_path / f"{case}.json"
    feed.write_bytes(content)
    before = snapshot(library)
    with pytest.raises(HelpmateError) as err:
        import_feed(library, feed, fmt, "bristol")
    assert expected in str(err.value) and feed.name in str(err.value)
    assert "\n" not in str(err.value)
    assert snapshot(library) == before


@pytest.mark.parametrize(
    ("column", "file", "expected"),
    [
        ("name", None, r"missing column\(s\) name"),
        (None, "organizations.csv", "organizations.csv is missing"),
    ],
)
def test_hsds_missing_columns_or_files_are_named(
    column: str | None, file: str | None, expected: str, library: Path, tmp_path: Path
) -> None:
    pkg = _hsds_copy(tmp_path, drop_column=column, drop_file=file)
    before = snapshot(library)
    with pytest.raises(HelpmateError, match=expected):
        import_feed(library, pkg, "hsds", "miami")
    assert snapshot(library) == before


def test_wrong_format_and_bad_area_are_refused(library: Path) -> None:
    with pytest.raises(HelpmateError, match="unknown format 'csv'"):
        import_feed(library, ORUK / "bristol_services.json", "csv", "bristol")
    with pytest.raises(HelpmateError, match="not a slug"):
        import_feed(library, ORUK / "bristol_services.json", "oruk", "Bristol City")


def test_a_failed_write_leaves_the_previous_import_in_place(
    empty_library: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed = write_json(tmp_path / "f.json", [oruk_service("1", "One")])
    report = import_feed(empty_library, feed, "oruk", "x")
    before = report.target.read_bytes()
    write_json(feed, [oruk_service("1", "One"), oruk_service("2", "Two")])

    def boom(self: object, *args: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("os.fsync", lambda fd: boom(None))
    with pytest.raises(HelpmateError, match=r"x--f.yaml: cannot write the import \(disk full\)"):
        import_feed(empty_library, feed, "oruk", "x")
    assert report.target.read_bytes() == before
    assert not [p for p in report.target.parent.iterdir() if p.name.endswith(".tmp")]


def test_id_clash_with_another_library_file_stops_the_import(empty_library: Path, tmp_path: Path) -> None:
    feed = write_json(tmp_path / "f.json", [oruk_service("same", "One")])
    import_feed(empty_library, feed, "oruk", "x")
    before = snapshot(empty_library)
    with pytest.raises(HelpmateError, match="already in the library"):
        import_feed(empty_library, feed, "oruk", "y")
    assert snapshot(empty_library) == before


def test_imported_file_is_readable_yaml_a_person_can_diff(empty_library: Path, tmp_path: Path) -> None:
    feed = write_json(tmp_path / "f.json", [oruk_service("1", "One", "<p>Line one.</p><p>Line two.</p>")])
    report = import_feed(empty_library, feed, "oruk", "x")
    text = report.target.read_text()
    assert "description: |-\n    Line one.\n\n    Line two." in text
    assert yaml.safe_load(text)["area"] == "x"


# --------------------------------------------------------------------------- the same feed, renamed


def test_a_fresh_export_under_a_dated_name_updates_the_same_feed_in_place(
    empty_library: Path, tmp_path: Path
) -> None:
    feed = [oruk_service("1", "One"), oruk_service("2", "Two"), oruk_service("3", "Three")]
    first = import_feed(empty_library, write_json(tmp_path / "services.json", feed), "oruk", "x")
    same = import_feed(empty_library, write_json(tmp_path / "services-2025-01-15.json", feed), "oruk", "x")
    assert (same.target, same.source, same.unchanged, same.added) == (first.target, "services", 3, 0)
    newer = [oruk_service("1", "One"), oruk_service("2", "Two, renamed"), oruk_service("4", "Four")]
    again = import_feed(
        empty_library, write_json(tmp_path / "Services 2025-02-01T0930 (1).json", newer), "oruk", "x"
    )
    assert (again.added, again.updated, again.removed, again.unchanged) == (1, 1, 1, 1)
    assert [p.name for p in (empty_library / "records" / "imported").glob("*.yaml")] == ["x--services.yaml"]
    assert {r.id for r in load_library(empty_library).records} == {"1", "2", "4"}
    # --source names the feed whatever the file is called.
    named = import_feed(
        empty_library, write_json(tmp_path / "export.json", newer), "oruk", "x", source="services"
    )
    assert named.target == first.target and named.unchanged == 3


def test_source_from_a_file_name_leaves_out_dates_times_stamps_and_copies() -> None:
    from helpmate.knowledge.importers.pipeline import source_from_name

    for name in (
        "bristol_services.json",
        "bristol_services-2025-01-15.json",
        "Bristol Services 20250115.json",
        "bristol-services_15-01-2025 (2).json",
        "bristol services 2025-01-15T10-30-00.json",
        "bristol_services_1566177582.json",
        "bristol-services-jan-2025.json",
    ):
        assert source_from_name(name) == "bristol-services", name


def test_an_import_written_before_sources_is_found_by_its_undated_name(
    empty_library: Path, tmp_path: Path
) -> None:
    old = empty_library / "records" / "imported" / "x--services-2024-12-01.yaml"
    old.parent.mkdir(parents=True)
    old.write_text(
        "feed: oruk:services-2024-12-01.json\nformat: oruk\narea: x\nrecords:\n"
        "- id: '1'\n  name: One\n  track: community\n  areas: [x]\n",
        encoding="utf-8",
    )
    report = import_feed(
        empty_library,
        write_json(tmp_path / "services-2025-01-15.json", [oruk_service("1", "One")]),
        "oruk",
        "x",
    )
    assert report.moved_from == old and report.target.name == "x--services.yaml" and not old.exists()
    assert report.updated == 1 and yaml.safe_load(report.target.read_text())["source"] == "services"


def test_confirmed_needs_and_overrides_survive_a_new_export(empty_library: Path, tmp_path: Path) -> None:
    feed = [oruk_service("1", "Debt advice drop-in", "<p>Free debt advice.</p>"), oruk_service("2", "Choir")]
    report = import_feed(empty_library, write_json(tmp_path / "f.json", feed), "oruk", "x")
    text = report.target.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["records"][0]["needs"] = ["loneliness"]  # a knowledge manager confirms a need by hand
    report.target.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    (empty_library / "overrides.yaml").write_text("track:\n  records:\n    '2': service\n", encoding="utf-8")
    feed[0]["description"] = "<p>Free debt advice, now on Tuesdays too.</p>"
    again = import_feed(empty_library, write_json(tmp_path / "f-2025-03-01.json", feed), "oruk", "x")
    assert again.updated == 2
    library = load_library(empty_library)
    debt, choir = library.record("1"), library.record("2")
    assert debt is not None and choir is not None
    assert debt.needs == ["loneliness"] and "loneliness" not in debt.needs_suggested
    assert "Tuesdays" in debt.description
    assert (choir.track, choir.track_origin) == ("service", "override")


def test_a_different_feed_with_the_same_file_name_is_not_taken_for_it(
    empty_library: Path, tmp_path: Path
) -> None:
    import_feed(empty_library, write_json(tmp_path / "services.json", [oruk_service("a", "A")]), "oruk", "x")
    before = snapshot(empty_library)
    other = tmp_path / "other"
    other.mkdir()
    with pytest.raises(HelpmateError, match="looks like a different feed") as err:
        import_feed(empty_library, write_json(other / "services.json", [oruk_service("b", "B")]), "oruk", "x")
    assert "--source" in str(err.value)
    assert snapshot(empty_library) == before


def test_the_same_feed_under_another_area_is_refused_in_one_line(empty_library: Path, tmp_path: Path) -> None:
    feed = write_json(tmp_path / "f.json", [oruk_service("same", "One")])
    import_feed(empty_library, feed, "oruk", "x")
    with pytest.raises(HelpmateError, match=r"already in the library .*\(area x\)") as err:
        import_feed(
            empty_library,
            write_json(tmp_path / "f-2025-01-01.json", [oruk_service("same", "One")]),
            "oruk",
            "y",
        )
    assert "\n" not in str(err.value)


# --------------------------------------------------------------------------- HSDS columns read


def _hsds_without(tmp_path: Path, table: str, column: str, rows: int = 200) -> Path:
    """The Miami package's first ``rows`` rows of each table, with one column left out of one."""
    import csv

    pkg = tmp_path / f"hsds-no-{column}"
    pkg.mkdir()
    (pkg / "datapackage.json").write_text((HSDS / "datapackage.json").read_text())
    for source in HSDS.glob("*.csv"):
        with open(source, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = [f for f in reader.fieldnames or [] if not (source.stem == table and f == column)]
            kept = [row for _, row in zip(range(rows), reader, strict=False)]
        with open(pkg / source.name, "w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fields, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(kept)
    return pkg


@pytest.mark.parametrize(
    ("table", "column", "expected"),
    [
        ("phones", "number", "phones.csv has no 'number' column: phone stays empty on 200 of 200 records"),
        (
            "services",
            "organization_id",
            "services.csv has no 'organization_id' column: organisation stays empty on 200 of 200 records",
        ),
    ],
)
def test_hsds_column_read_but_missing_is_a_warning_with_how_many_stay_empty(
    table: str, column: str, expected: str, empty_library: Path, tmp_path: Path
) -> None:
    whole = import_feed(tmp_path / "whole", _hsds_without(tmp_path, "none", "none"), "hsds", "miami")
    assert whole.warnings == []
    report = import_feed(empty_library, _hsds_without(tmp_path, table, column), "hsds", "miami")
    assert report.added == 200 and report.warnings == [expected]
