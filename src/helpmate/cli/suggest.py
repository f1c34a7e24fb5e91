"""``helpmate suggest``: one situation from the argument, or JSON lines on stdin (model loaded once)."""

from __future__ import annotations

import json
import sys
from typing import Any

from helpmate.errors import HelpmateError
from helpmate.settings import Settings


def run_suggest(
    settings: Settings, text: str | None, *, area: str | None, as_json: bool, jsonl: bool, limit: int
) -> None:
    from helpmate.assistant.runtime import load_runtime

    if jsonl and text:
        raise HelpmateError("give either TEXT or --jsonl, not both", exit_code=2)
    if not jsonl and text is None:
        raise HelpmateError("no situation given", hint="helpmate suggest 'what is going on for the person'")
    runtime = load_runtime(settings)
    default_area = area or settings.area
    if area and area not in {a.slug for a in runtime.index.areas} | {
        s for r in runtime.index.records for s in r.areas
    }:
        raise HelpmateError(
            f"unknown area '{area}'", hint="see the areas in the library's areas.yaml or records"
        )
    if not jsonl:
        result = runtime.suggester.suggest(text or "", area=default_area, limit=limit)
        if as_json:
            print(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            print_table(result.to_json())
        return
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise HelpmateError(
                f"stdin line {number}: not JSON ({exc.msg})", hint='send {"text": "..."}'
            ) from exc
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise HelpmateError(f"stdin line {number}: expected an object with a 'text' string")
        result = runtime.suggester.suggest(item["text"], area=item.get("area") or default_area, limit=limit)
        out = result.to_json()
        if "id" in item:
            out = {"id": item["id"], **out}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        sys.stdout.flush()


def print_table(result: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for alert in result.get("safeguarding", []):
        # Words, not colour alone: the level and category are spelled out.
        console.print(
            f"[bold reverse] SAFEGUARDING {alert['level'].upper()}: {alert['category']} [/] "
            f'(heard: "{alert["evidence"]}")',
            highlight=False,
        )
        route = alert.get("route") or {}
        if route.get("urgent"):
            console.print(f"  {route['urgent']}", highlight=False)
        for step in route.get("steps", [])[:4]:
            console.print(f"  - {step}", highlight=False)
        for contact in route.get("contacts", [])[:3]:
            console.print(
                f"  {contact.get('name', '')}: {contact.get('phone', '')} ({contact.get('hours', '')})",
                highlight=False,
            )
    needs = ", ".join(f"{n['label']} ({n['score']:.2f})" for n in result["needs"]) or "none recognised yet"
    console.print(f"[bold]Needs:[/bold] {needs}")
    for key, title in (("services", "Standard services"), ("community", "Community to pull in")):
        table = Table(title=title, show_lines=False, expand=True)
        table.add_column("name", ratio=2)
        table.add_column("need", ratio=1)
        table.add_column("why", ratio=4)
        table.add_column("id", ratio=1, overflow="fold")
        for item in result[key]:
            table.add_row(item["name"], item["need"] or "", item["why"], item["id"])
        console.print(table)
    for question in result["questions"]:
        console.print(f"? {question}")
