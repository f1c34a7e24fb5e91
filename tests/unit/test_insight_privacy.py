"""No text, name, phone number or session id reaches the insight database: real conversations go
through the engine (hashing embedder) in the terminal app's conversation and in ``helpmate ask``,
then every cell of every table and the raw bytes of the database files are searched."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from helpmate.assistant.sessions import SessionStore
from helpmate.tui.conversation import Conversation
from tests.conftest import hashing_runtime

MESSAGES = [
    "Mary Whitfield-Okafor, 07700 900461, has been lonely since her husband Desmond died.",
    "She says the zebra crossing by the lavender bakery is where she feels safest. Her partner hit her last night.",
    "She is behind on her council tax and loves gardening.",
]
SECRETS = [
    "Mary",
    "Whitfield",
    "Okafor",
    "Desmond",
    "07700",
    "900461",
    "zebra",
    "lavender",
    "hit her",
    "Cousin Ayo",
]


def everything_in(db: Path) -> tuple[str, bytes]:
    engine = sa.create_engine(f"sqlite:///{db}")
    cells = []
    with engine.connect() as connection:
        for table in sa.inspect(connection).get_table_names():
            for row in connection.execute(sa.text(f'SELECT * FROM "{table}"')):
                cells += [str(value) for value in row]
    engine.dispose()
    raw = b"".join(p.read_bytes() for p in db.parent.glob(db.name + "*"))
    return "\n".join(cells), raw


def assert_nothing_personal(db: Path, session_ids: list[str]) -> None:
    cells, raw = everything_in(db)
    assert cells, "no event was written"
    for secret in [*SECRETS, *session_ids]:  # as written: "Mary" is a name, "PRIMARY KEY" is the schema
        assert secret not in cells, secret
        assert secret.encode() not in raw, secret


def test_the_app_conversation_leaves_ids_and_counts_only(library: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    runtime = hashing_runtime(library, home)
    conversation = Conversation(runtime, SessionStore(runtime.settings.sessions_dir))
    for message in MESSAGES:
        turn = conversation.turn(message)
        assert not turn.error
    shown = [h.record.id for g in conversation.view().groups for h in g.services + g.community]
    conversation.pin(shown[0])
    conversation.dismiss(shown[1], "Other: Cousin Ayo runs it")
    assert conversation.insight.flush(30) and not conversation.insight.problem
    assert_nothing_personal(home / "insight.db", [conversation.session.id])
    cells, _ = everything_in(home / "insight.db")
    assert "domestic-abuse" in cells and "loneliness" in cells and shown[0] in cells and "other" in cells
    conversation.insight.close()


def test_helpmate_ask_leaves_an_event_with_nothing_personal(library: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    hashing_runtime(library, home)
    env = {**os.environ, "HELPMATE_HOME": str(home), "HELPMATE_KNOWLEDGE": str(library)}
    out = subprocess.run(
        [sys.executable, "-m", "helpmate.cli.main", "ask"],
        input="\n".join([*MESSAGES, "/quit"]) + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    assert "Insight not recorded" not in out.stdout
    sessions = [p.stem for p in (home / "sessions").glob("*.json")]
    assert len(sessions) == 1
    assert_nothing_personal(home / "insight.db", sessions)
