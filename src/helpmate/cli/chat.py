"""A plain line-by-line chat over the engine, until the terminal UI exists."""

from __future__ import annotations

from helpmate.settings import Settings


def chat_loop(settings: Settings, area: str | None) -> None:
    from helpmate.assistant.runtime import load_runtime
    from helpmate.cli.suggest import print_table

    print("helpmate: loading the index and model...", flush=True)
    runtime = load_runtime(settings)
    print("Describe the person's situation (what matters to them, what is going on). /quit to leave.")
    history: list[str] = []
    while True:
        try:
            line = input("> ").strip()
        except EOFError:
            print()
            return
        if line in ("/quit", "/exit", "/q"):
            return
        if line == "/new":
            history.clear()
            print("(new conversation)")
            continue
        if not line:
            continue
        history.append(line)
        result = runtime.suggester.suggest(" ".join(history), area=area or settings.area)
        print_table(result.to_json())
