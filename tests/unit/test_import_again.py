"""Importing a feed again: unchanged, it is not read again; anything changed, it is read in full."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpmate.errors import HelpmateError
from helpmate.knowledge.importers import import_feed, pipeline
from helpmate.knowledge.library import load_library
from tests.conftest import oruk_service, write_json


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture
def feed(tmp_path: Path) -> Path:
    return write_json(
        tmp_path / "feed.json",
        [
            oruk_service("a-1", "Knit and Natter", "<p>Knitting group with tea.</p>"),
            oruk_service("a-2", "Debt Advice Line", "<p>Free debt advice by appointment.</p>"),
            oruk_service("a-2", "Debt Advice Line", "<p>An older copy.</p>"),
            oruk_service("a-3", ""),
        ],
    )


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The feeds the import reads (parses)."""
    seen: list[Path] = []
    real = pipeline.FORMATS["oruk"]

    def reading(path: Path):  # type: ignore[no-untyped-def]
        seen.append(path)
        return real(path)

    monkeypatch.setitem(pipeline.FORMATS, "oruk", reading)
    return seen


def test_an_unchanged_feed_gives_the_same_report_without_being_read_or_written(
    empty_library: Path, feed: Path, reads: list[Path]
) -> None:
    first = import_feed(empty_library, feed, "oruk", "bristol")
    before = snapshot(empty_library)
    again = import_feed(empty_library, feed, "oruk", "bristol")
    assert reads == [feed]
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, first.added)
    assert again.skipped == first.skipped and again.duplicates == first.duplicates and again.skipped
    assert again.tracks == first.tracks and again.target == first.target and not again.changed
    assert snapshot(empty_library) == before


def test_the_first_import_into_a_bare_folder_is_not_read_again(
    tmp_path: Path, feed: Path, reads: list[Path]
) -> None:
    library = tmp_path / "bare"
    (library / "records").mkdir(parents=True)
    first = import_feed(library, feed, "oruk", "bristol")  # adds the taxonomy, then the records
    assert import_feed(library, feed, "oruk", "bristol").unchanged == first.added
    assert reads == [feed]


def test_a_changed_feed_taxonomy_or_hand_edit_is_read_in_full(
    empty_library: Path, feed: Path, tmp_path: Path, reads: list[Path]
) -> None:
    first = import_feed(empty_library, feed, "oruk", "bristol")
    # A hand edit of the imported file: the import puts the feed's words back.
    text = first.target.read_text(encoding="utf-8")
    first.target.write_text(text.replace("Knit and Natter", "Knit and Chat"), encoding="utf-8")
    import_feed(empty_library, feed, "oruk", "bristol")
    assert len(reads) == 2
    record = load_library(empty_library).record("a-1")
    assert record is not None and record.name == "Knit and Natter"
    # The taxonomy changed: needs are suggested again.
    needs = empty_library / "needs.yaml"
    needs.write_text(needs.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    import_feed(empty_library, feed, "oruk", "bristol")
    assert len(reads) == 3
    # The feed changed.
    changed = write_json(feed, [oruk_service("a-1", "Knit and Natter", "<p>Now on Fridays.</p>")])
    report = import_feed(empty_library, changed, "oruk", "bristol")
    assert len(reads) == 4 and report.updated == 1 and report.removed == 1
    # Under another area it is another import (and refused, as before).
    with pytest.raises(HelpmateError):
        import_feed(empty_library, changed, "oruk", "north-lincolnshire")


def test_a_record_file_added_since_still_stops_a_clash(empty_library: Path, feed: Path) -> None:
    import_feed(empty_library, feed, "oruk", "bristol")
    mine = empty_library / "records" / "mine.yaml"
    mine.write_text(
        "records:\n- id: a-1\n  name: My copy\n  description: A group.\n  track: community\n",
        encoding="utf-8",
    )
    with pytest.raises(HelpmateError, match="duplicate id|already in the library"):
        import_feed(empty_library, feed, "oruk", "bristol")


@pytest.mark.parametrize("planted", ["not json", '{"inputs": 1}', "[]"])
def test_a_damaged_or_planted_note_means_a_full_import(
    empty_library: Path, feed: Path, reads: list[Path], planted: str
) -> None:
    first = import_feed(empty_library, feed, "oruk", "bristol")
    note = first.target.with_name(first.target.stem + ".import.json")
    assert note.exists()
    note.write_text(planted, encoding="utf-8")
    again = import_feed(empty_library, feed, "oruk", "bristol")
    assert len(reads) == 2 and again.unchanged == first.added and not again.changed
    assert import_feed(empty_library, feed, "oruk", "bristol").unchanged == first.added
    assert len(reads) == 2  # the full import left a good note again
