"""Retrieval with the real model and real Chroma, on the shared ORUK feeds and the sample library."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpmate.assistant.runtime import Runtime, load_runtime, open_store
from helpmate.index.builder import build_index
from helpmate.index.embedders import MiniLMEmbedder
from helpmate.knowledge.library import load_library
from helpmate.settings import Settings

pytestmark = pytest.mark.integration


def names(hits: list) -> list[str]:  # type: ignore[type-arg]
    return [h.record.name.lower() for h in hits]


def test_a_situation_not_keywords_finds_workshop_groups(oruk: Runtime) -> None:
    result = oruk.suggester.suggest(
        "Retired joiner, widowed, days feel endless, perked up at the idea of mending things for others",
        area="bristol",
    )
    community = names(result.community)
    assert any("shed" in n or "repair" in n for n in community), community
    assert {n.need.id for n in result.needs} >= {"making-fixing", "bereavement"}
    assert all("bristol" in h.record.areas for h in result.services + result.community)


def test_reindex_with_nothing_changed_embeds_nothing(oruk_settings: Settings, minilm: MiniLMEmbedder) -> None:
    report = build_index(
        load_library(oruk_settings.knowledge), oruk_settings.index_dir, open_store(oruk_settings), minilm
    )
    assert report.up_to_date and report.embedded == 0


def test_retrieval_against_a_chroma_server(
    chroma_server: str, sample_library: Path, sample: Runtime, tmp_path: Path, minilm: MiniLMEmbedder
) -> None:
    """The same library built into a Chroma server and into the embedded store (the session's
    ``sample`` index) gives the same suggestions."""
    server = Settings(home=tmp_path / "server-home", knowledge=sample_library, chroma_url=chroma_server)
    build_index(load_library(server.knowledge), server.index_dir, open_store(server), minilm)
    assert not (server.chroma_dir).exists()  # the vectors went to the server (and beside the snapshot)
    assert sample.settings.chroma_url is None and sample.settings.chroma_dir.exists()
    text = "Mum of a toddler, new to the area, feels very alone and her money has run out before payday"
    server_runtime = load_runtime(server, minilm)
    on_server = server_runtime.suggester.suggest(text, area="wrenford")
    local = sample.suggester.suggest(text, area="wrenford")
    raw = server_runtime.index.hybrid(minilm.embed([text])[0], ["alone"], track="community", limit=3)
    assert len(raw) == 3  # helpmate kb search queries the server
    assert [h.record.id for h in on_server.community] == [h.record.id for h in local.community]
    assert [h.record.id for h in on_server.services] == [h.record.id for h in local.services]
    assert {n.need.id for n in on_server.needs} & {"food", "money-benefits", "loneliness", "parenting"}


def test_unreachable_chroma_server_is_one_clear_error(tmp_path: Path) -> None:
    from helpmate.errors import HelpmateError
    from tests.conftest import free_port

    settings = Settings(home=tmp_path, chroma_url=f"http://127.0.0.1:{free_port()}")
    store = open_store(settings)  # opened on first use: suggestions never need it
    with pytest.raises(HelpmateError, match="cannot reach the Chroma server"):
        store.names()
