"""``helpmate ask`` (and ``chat`` until the terminal UI exists): a line-by-line chat over the engine.

Commands: /new, /sessions, /resume ID, /export [DIR], /ack, /quit. Every turn is saved.
"""

from __future__ import annotations

from pathlib import Path

from helpmate.cli.common import safe
from helpmate.settings import Settings

HELP = "Commands: /new  /sessions  /resume ID  /export [DIR]  /ack (acknowledge alerts)  /quit"


def _show(token: str, streamed: list[str]) -> None:
    streamed.append(token)
    # A model's, a record's or a citizen's escape sequences never reach the terminal.
    print(safe(token), end="", flush=True)


def chat_loop(settings: Settings, area: str | None) -> None:
    from helpmate.assistant.export import export_markdown
    from helpmate.assistant.sessions import SessionStore
    from helpmate.cli.common import open_runtime
    from helpmate.errors import HelpmateError
    from helpmate.insight.recorder import Recorder
    from helpmate.knowledge.library import atomic_write

    print("helpmate: loading the index and model...", flush=True)
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
            for item in store.list()[:20]:
                print(safe(f"  {item.id}  {len(item.turns)} turn(s)  {item.title}"))
            continue
        if line.startswith("/resume"):
            try:
                session = store.load(line.split(maxsplit=1)[1].strip())
            except (IndexError, HelpmateError) as exc:
                print(safe(f"  {exc}") if isinstance(exc, HelpmateError) else "  usage: /resume SESSION-ID")
                continue
            engine = runtime.engine(session.situation)
            print(safe(f"(resumed {session.id}: {len(session.turns)} turn(s))"))
            if session.turns:
                print(safe(session.turns[-1]["reply"]))
            continue
        if line == "/ack":
            done = engine.acknowledge()
            store.save(session)
            print(
                f"  {len(done)} alert(s) acknowledged (saved in the session)"
                if done
                else "  no alert to acknowledge"
            )
            continue
        if line.startswith("/export"):
            parts = line.split(maxsplit=1)
            folder = Path(parts[1]) if len(parts) > 1 else settings.home / "exports"
            plan = engine.plan()
            worker = folder / f"{session.id}-worker.md"
            citizen = folder / f"{session.id}-citizen.md"
            atomic_write(worker, export_markdown(session, plan))
            atomic_write(citizen, export_markdown(session, plan, citizen=True))
            print(safe(f"  exported {worker}\n  and      {citizen}"))
            continue
        if not line:
            continue
        streamed: list[str] = []

        def show(token: str, out: list[str] = streamed) -> None:
            _show(token, out)

        turn = engine.turn(line, on_token=show)
        store.record_turn(session, turn)
        if not turn.error:
            insight.observe(session, turn.suggestion)
        if streamed:
            print("\n---")  # the final, grounded reply follows what was streamed
        print(safe(turn.reply))
        if insight.problem and insight.problem != told:  # written in the background: told once
            told = insight.problem
            print(safe(f"  ({told})"))
