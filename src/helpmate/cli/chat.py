"""``helpmate ask`` (and ``chat`` until the terminal UI exists): a line-by-line chat over the engine.

Commands: /new, /sessions, /resume ID, /export [DIR], /ack, /quit. Every turn is shown, then
saved: a save that fails (a full disk) is one line and the conversation goes on in memory, saved
again with the next turn. A damaged session, or an export that cannot be written, is one line too.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from helpmate.cli.common import safe
from helpmate.settings import Settings

if TYPE_CHECKING:
    from helpmate.assistant.sessions import Session, SessionStore

HELP = "Commands: /new  /sessions  /resume ID  /export [DIR]  /ack (acknowledge alerts)  /quit"


def _show(token: str, streamed: list[str]) -> None:
    streamed.append(token)
    # A model's, a record's or a citizen's escape sequences never reach the terminal.
    print(safe(token), end="", flush=True)


def save(store: SessionStore, session: Session) -> bool:
    """Saves the session; when that fails, says so in one line (the session stays in memory)."""
    try:
        store.save(session)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(
            safe(
                f"  (not saved: {reason} in {store.folder}; the conversation goes on and is saved "
                "again after your next message)"
            ),
            flush=True,
        )
        return False
    return True


def chat_loop(settings: Settings, area: str | None) -> None:
    from helpmate.assistant.export import export_files
    from helpmate.assistant.private import private_dir
    from helpmate.assistant.sessions import SessionStore
    from helpmate.cli.common import open_runtime
    from helpmate.errors import HelpmateError
    from helpmate.insight.recorder import Recorder

    print("helpmate: loading the index and model...", flush=True)
    if not settings.home.exists():  # created 0700: what citizens said is kept here
        private_dir(settings.home, tighten=False)
    runtime = open_runtime(settings, area)  # builds a missing index, refuses an unknown area
    store = SessionStore(settings.sessions_dir)
    session = store.new()
    session.situation.area = area or settings.area
    engine = runtime.engine(session.situation)
    insight = Recorder(settings, runtime.index)  # the conversation's anonymous event, in the background
    told = ""
    print("Describe the person's situation (what matters to them, what is going on).")
    print(HELP)
    while True:
        try:
            line = input("> ").strip()
        except EOFError:
            print()
            return
        if line in ("/quit", "/exit", "/q"):
            return
        if line == "/help":
            print(HELP)
            continue
        if line == "/new":
            session = store.new()
            session.situation.area = area or settings.area
            engine = runtime.engine(session.situation)
            print(f"(new session {session.id})")
            continue
        if line == "/sessions":
            sessions, damaged = store.scan()
            for item in sessions[:20]:
                print(safe(f"  {item.id}  {len(item.turns)} turn(s)  {item.title}"))
            for name, why in damaged:
                print(safe(f"  {name}  damaged: {why}"))
            continue
        if line.startswith("/resume"):
            try:
                session = store.load(line.split(maxsplit=1)[1].strip().removesuffix(".json"))
            except (IndexError, HelpmateError) as exc:
                print(safe(f"  {exc}") if isinstance(exc, HelpmateError) else "  usage: /resume SESSION-ID")
                continue
            engine = runtime.engine(session.situation)
            print(safe(f"(resumed {session.id}: {len(session.turns)} turn(s))"))
            if session.turns:
                print(safe(str(session.turns[-1].get("reply", ""))))
            continue
        if line == "/ack":
            done = engine.acknowledge()
            saved = save(store, session)
            print(
                f"  {len(done)} alert(s) acknowledged" + (" (saved in the session)" if saved else "")
                if done
                else "  no alert to acknowledge"
            )
            continue
        if line.startswith("/export"):
            parts = line.split(maxsplit=1)
            folder = Path(parts[1]).expanduser() if len(parts) > 1 else settings.home / "exports"
            try:
                worker, citizen = export_files(session, engine.plan(), folder, own=len(parts) == 1)
            except HelpmateError as exc:
                print(safe(f"  {exc}"))
                continue
            print(safe(f"  exported {worker}\n  and      {citizen}"))
            if not worker.name.endswith(f"{session.id}-worker.md"):
                print("  (an earlier export has the plain name: it is kept, these are new files)")
            continue
        if not line:
            continue
        streamed: list[str] = []

        def show(token: str, out: list[str] = streamed) -> None:
            _show(token, out)

        turn = engine.turn(line, on_token=show)
        if streamed:
            print("\n---")  # the final, grounded reply follows what was streamed
        print(safe(turn.reply), flush=True)  # shown first: a failed save must not hide an alert
        store.add_turn(session, turn)
        save(store, session)  # a failure is one line; the turn stays in memory, saved next time
        if not turn.error:
            insight.observe(session, turn.suggestion)
        if insight.problem and insight.problem != told:  # written in the background: told once
            told = insight.problem
            print(safe(f"  ({told})"))
