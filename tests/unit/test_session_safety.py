"""Sessions and exports under attack and fault (issue 13): paths and crafted ids kept inside
``sessions/`` and ``exports/``, a copy saving under its own name, damaged files reported in one line,
exports that never replace a file, private permissions, and a full disk that loses no reply.

The line chat runs in-process over the sample library (hashing embedder), its input scripted."""

from __future__ import annotations

import builtins
import errno
import json
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from helpmate.assistant.runtime import Runtime
from helpmate.assistant.sessions import SessionStore
from helpmate.cli.chat import chat_loop
from helpmate.errors import HelpmateError
from helpmate.settings import Settings
from helpmate.tui.conversation import Conversation

ABUSE = "Her partner hit her last night and she's scared to go home."
LONELY = "Lonely since moving to Northgate, he'd love to sing again."
GOOD_ID = "20260101-090000-ab12"


class QuietRecorder:
    """No insight events in these tests."""

    problem = ""

    def __init__(self, *args: Any) -> None:
        pass

    def observe(self, *args: Any) -> None:
        pass


def chat(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    lines: list[str],
    settings: Settings | None = None,
) -> str:
    """``helpmate ask`` typed ``lines`` (then end of input); what it printed. It must not raise."""
    feed: Iterator[str] = iter(lines)

    def typed(prompt: str = "") -> str:
        try:
            return next(feed)
        except StopIteration:
            raise EOFError from None

    monkeypatch.setattr(builtins, "input", typed)
    monkeypatch.setattr("helpmate.cli.common.open_runtime", lambda settings, area: runtime)
    monkeypatch.setattr("helpmate.insight.recorder.Recorder", QuietRecorder)
    chat_loop(settings or runtime.settings, None)
    return capsys.readouterr().out


def saved_session(runtime: Runtime, session_id: str = GOOD_ID, **changes: Any) -> Path:
    """A well-formed session file (one turn), with ``changes`` to its JSON."""
    data: dict[str, Any] = {
        "id": session_id,
        "created": "2026-01-01T09:00:00",
        "situation": {"messages": [LONELY]},
        "turns": [{"at": "2026-01-01T09:00:00", "message": LONELY, "reply": "Try the choir."}],
    }
    data.update(changes)
    folder = runtime.settings.sessions_dir
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session_id}.json"
    path.write_text(json.dumps(data))
    return path


def files_under(root: Path) -> set[str]:
    return {p.name for p in root.rglob("*") if p.is_file()}


# ------------------------------------------------------------------ 1. paths and crafted ids


def test_resume_refuses_paths_and_a_crafted_id_writes_nothing_outside(
    runtime: Runtime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    home = runtime.settings.home
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evil.json").write_text(json.dumps({"id": "evil", "created": "x", "situation": {}}))
    saved_session(runtime, id="../../outside/PWNED")  # the file says it is somewhere else
    out = chat(
        runtime,
        monkeypatch,
        capsys,
        [
            "/resume ../../outside/evil",
            f"/resume {outside / 'evil'}",
            f"/resume {GOOD_ID}",
            ABUSE,
            "/export",
        ],
    )
    assert out.count("not a session id") == 2, out
    assert f"(resumed {GOOD_ID}: 1 turn(s))" in out and "SAFEGUARDING URGENT" in out
    assert files_under(outside) == {"evil.json"}, "nothing may be written outside sessions/ and exports/"
    assert not [p for p in tmp_path.rglob("*PWNED*")]
    assert {p.name for p in (home / "exports").iterdir()} == {
        f"{GOOD_ID}-worker.md",
        f"{GOOD_ID}-citizen.md",
    }
    assert len(json.loads((home / "sessions" / f"{GOOD_ID}.json").read_text())["turns"]) == 2


@pytest.mark.parametrize("bad", ["../x", "/etc/passwd", "..", "a/b", "20260101-090000-ab12/../../x", ""])
def test_only_ids_of_helpmates_form_reach_the_disk(tmp_path: Path, bad: str) -> None:
    store = SessionStore(tmp_path / "sessions")
    with pytest.raises(HelpmateError, match="not a session id"):
        store.load(bad)
    session = store.new()
    session.id = bad
    with pytest.raises(HelpmateError, match="not a session id"):
        store.save(session)
    assert not (tmp_path / "sessions").exists() or not list((tmp_path / "sessions").iterdir())


# ------------------------------------------------------------------ 2. a copy saves as itself


def test_a_resumed_copy_saves_under_its_own_name_and_leaves_the_original(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    original = saved_session(runtime)
    before = original.read_text()
    copy = original.with_name("20260101-090000-copy.json")
    shutil.copy(original, copy)
    chat(runtime, monkeypatch, capsys, ["/resume 20260101-090000-copy", ABUSE])
    assert original.read_text() == before, "the original session must not change"
    assert len(json.loads(copy.read_text())["turns"]) == 2
    assert json.loads(copy.read_text())["id"] == "20260101-090000-copy"


# ------------------------------------------------------------------ 3. damaged files


DAMAGED = {
    "turns not a list": {"turns": "oops"},
    "a turn without a reply": {"turns": [{"message": "hi"}]},
    "an alert without a level": {"situation": {"alerts": [{"category": "domestic-abuse", "evidence": "x"}]}},
    "an alert of an unknown level": {
        "situation": {"alerts": [{"category": "domestic-abuse", "level": "meh", "evidence": "x"}]}
    },
    "numbers for messages": {"situation": {"messages": [1, 2]}},
    "null situation": {"situation": None},
    "facts not a mapping": {"situation": {"facts": ["age", 3]}},
    "a number for the area": {"situation": {"area": 5}},
    "created missing": {"created": None},
}


@pytest.mark.parametrize("changes", DAMAGED.values(), ids=DAMAGED.keys())
def test_a_session_of_the_wrong_shape_is_damaged_in_one_line_and_the_chat_goes_on(
    runtime: Runtime,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    changes: dict[str, Any],
) -> None:
    path = saved_session(runtime, **changes)
    with pytest.raises(HelpmateError) as caught:
        SessionStore(runtime.settings.sessions_dir).load(GOOD_ID)
    assert "damaged" in str(caught.value) and path.name in str(caught.value)
    assert "\n" not in str(caught.value)
    before = path.read_text()
    out = chat(runtime, monkeypatch, capsys, [f"/resume {GOOD_ID}", "/sessions", ABUSE])
    lines = [line for line in out.splitlines() if "damaged" in line]
    assert len(lines) == 2 and path.name in lines[0], out  # /resume, then /sessions
    assert "SAFEGUARDING URGENT" in out, "the chat goes on in a new session"
    assert path.read_text() == before, "a damaged file is left as it is"


def test_the_apps_session_list_shows_a_damaged_file_and_cannot_resume_it(runtime: Runtime) -> None:
    saved_session(runtime, "20260101-080000-good")
    saved_session(runtime, turns=[{"message": "no reply"}])
    (runtime.settings.sessions_dir / "notes.json").write_text("{}")
    conversation = Conversation(runtime, SessionStore(runtime.settings.sessions_dir))
    rows = {row.id: row for row in conversation.session_rows()}
    assert rows["20260101-080000-good"].damaged == ""
    assert "damaged" in rows[f"{GOOD_ID}.json"].damaged and "reply" in rows[f"{GOOD_ID}.json"].damaged
    assert "not named" in rows["notes.json"].damaged
    with pytest.raises(HelpmateError, match="damaged"):
        conversation.resume(GOOD_ID)
    assert conversation.turn(ABUSE).reply.startswith("SAFEGUARDING"), "the conversation goes on"


# ------------------------------------------------------------------ 4. exports


def test_export_never_replaces_a_file_and_an_unwritable_place_is_one_line(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    saved_session(runtime)
    exports = runtime.settings.home / "exports"
    exports.mkdir()
    mine = exports / f"{GOOD_ID}-worker.md"
    mine.write_text("the worker's own notes")
    out = chat(
        runtime, monkeypatch, capsys, [f"/resume {GOOD_ID}", "/export", "/export /proc/x", "/export", ABUSE]
    )
    assert mine.read_text() == "the worker's own notes"
    assert {p.name for p in exports.iterdir()} == {
        mine.name,
        f"{GOOD_ID}-worker-2.md",
        f"{GOOD_ID}-citizen-2.md",
        f"{GOOD_ID}-worker-3.md",
        f"{GOOD_ID}-citizen-3.md",
    }
    assert "an earlier export has the plain name" in out
    problem = [line for line in out.splitlines() if "could not export to /proc/x" in line]
    assert len(problem) == 1 and "Traceback" not in out, out
    assert "SAFEGUARDING URGENT" in out, "the chat goes on after a failed export"


# ------------------------------------------------------------------ 5. permissions


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_sessions_and_exports_are_private_and_a_new_home_is_too(
    runtime: Runtime,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "new" / "home"
    settings = runtime.settings.model_copy(update={"home": home})
    old = home / "sessions"
    chat(runtime, monkeypatch, capsys, [LONELY, "/export"], settings=settings)
    assert mode(home) == 0o700 and mode(tmp_path / "new") == 0o700
    for folder in (old, home / "exports"):
        assert mode(folder) == 0o700, folder
        files = list(folder.iterdir())
        assert files and all(mode(f) == 0o600 for f in files), files
    # A sessions folder an earlier version left 0755 is tightened at the next save.
    old.chmod(0o755)
    chat(runtime, monkeypatch, capsys, [LONELY], settings=settings)
    assert mode(old) == 0o700


# ------------------------------------------------------------------ 6. a full disk


def full_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_space(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("helpmate.assistant.sessions.atomic_write", no_space)


def test_the_chat_shows_the_reply_and_alert_when_saving_fails_and_saves_it_next_turn(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from helpmate.assistant import sessions

    real = sessions.atomic_write
    full_disk(monkeypatch)
    out = chat(runtime, monkeypatch, capsys, [ABUSE, "/ack"])
    assert "SAFEGUARDING URGENT" in out and "Traceback" not in out
    assert out.index("SAFEGUARDING URGENT") < out.index("not saved: No space left on device")
    assert "alert(s) acknowledged" in out and "(saved in the session)" not in out
    assert not list(runtime.settings.sessions_dir.glob("*.json"))

    # Space again: the next turn saves the whole conversation.
    monkeypatch.setattr(sessions, "atomic_write", real)
    store = SessionStore(runtime.settings.sessions_dir)
    calls = iter([True, False])

    def full_then_free(*args: Any, **kwargs: Any) -> None:
        if next(calls, False):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(*args, **kwargs)

    monkeypatch.setattr(sessions, "atomic_write", full_then_free)
    out = chat(runtime, monkeypatch, capsys, [ABUSE, LONELY])
    assert out.count("not saved") == 1
    [path] = store.folder.glob("*.json")
    assert [t["message"] for t in json.loads(path.read_text())["turns"]] == [ABUSE, LONELY]


def test_the_apps_conversation_keeps_the_turn_when_saving_fails(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpmate.assistant import sessions

    real = sessions.atomic_write
    conversation = Conversation(runtime, SessionStore(runtime.settings.sessions_dir))
    full_disk(monkeypatch)
    turn = conversation.turn(ABUSE)
    assert turn.reply.startswith("SAFEGUARDING URGENT")
    view = conversation.view()
    assert view.alerts and "No space left on device" in view.unsaved
    conversation.acknowledge([a.key for a in view.alerts])  # nothing raises while the disk is full
    monkeypatch.setattr(sessions, "atomic_write", real)
    conversation.turn(LONELY)
    assert conversation.view().unsaved == ""
    data = json.loads(conversation.store.path(conversation.session.id).read_text())
    assert [t["message"] for t in data["turns"]] == [ABUSE, LONELY]
    assert data["situation"]["acknowledged"], "the acknowledgement made meanwhile is saved too"
