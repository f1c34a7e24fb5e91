"""``helpmate suggest``: one situation from the argument, or JSON lines on stdin (model loaded once).

A stream of JSON lines never stops for one bad line: the line is answered with ``{"error": ...}``
on its own output line (its ``id`` too, when it had one) and the next line is read.
"""

from __future__ import annotations

import json
import sys
from typing import IO, Any

from helpmate.cli.common import (
    known_areas,
    list_areas,
    open_runtime,
    safe,
    safe_json,
)
from helpmate.errors import HelpmateError
from helpmate.settings import Settings


def run_suggest(
    settings: Settings,
    text: str | None,
    *,
    area: str | None,
    as_json: bool,
    jsonl: bool,
    limit: int,
    ids: bool = False,
) -> None:
    if jsonl and text:
        raise HelpmateError("give either TEXT or --jsonl, not both", exit_code=2)
    if not jsonl and text is None:
        raise HelpmateError("no situation given", hint="helpmate suggest 'what is going on for the person'")
    runtime = open_runtime(settings, area)
    default_area = area or settings.area
    if not jsonl:
        result = runtime.suggester.suggest(text or "", area=default_area, limit=limit)
        if as_json:
            print(safe_json(result.to_json()))
        else:
            labels = {n.id: n.label for n in runtime.index.needs}
            print_table(result.to_json(), labels, ids=ids)
        return
    bad = answer_lines(runtime, sys.stdin.buffer, sys.stdout, default_area, limit)
    if bad:
        print(f"helpmate: {bad} line(s) answered with an error", file=sys.stderr)
        raise SystemExit(1)


def answer_lines(runtime: Any, lines: IO[bytes], out: IO[str], default_area: str | None, limit: int) -> int:
    """Answer each JSON line on its own output line; returns how many were errors."""
    known = set(known_areas(runtime))
    bad = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        item: Any = None
        try:
            item = _parse_line(raw, number)
            _check_line(item, number, known)
            area = item.get("area") or default_area
            result = runtime.suggester.suggest(item["text"], area=area, limit=limit)
            answer = result.to_json()
        except HelpmateError as exc:
            bad += 1
            answer = {"error": str(exc)}
        if isinstance(item, dict) and "id" in item:
            answer = {"id": item["id"], **answer}
        out.write(safe_json(answer) + "\n")
        out.flush()
    return bad


def _parse_line(raw: bytes, number: int) -> Any:
    where = f"stdin line {number}"
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise HelpmateError(f"{where}: not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise HelpmateError(f'{where}: not JSON ({exc.msg}); send {{"text": "..."}}') from exc


def _check_line(item: Any, number: int, known: set[str]) -> None:
    where = f"stdin line {number}"
    if not isinstance(item, dict):
        raise HelpmateError(f"{where}: expected an object with a 'text' string, found {type(item).__name__}")
    if not isinstance(item.get("text"), str):
        raise HelpmateError(f"{where}: expected an object with a 'text' string")
    area = item.get("area")
    if area is not None and not isinstance(area, str):
        raise HelpmateError(f"{where}: 'area' should be a text slug, found {type(area).__name__}")
    if area and area not in known:
        raise HelpmateError(f"{where}: unknown area '{safe(area)}'; {list_areas(known)}")


def print_table(result: dict[str, Any], labels: dict[str, str], *, ids: bool = False) -> None:
    """Names and need labels a person reads, never slugs; ids (which wrap over lines at 80
    columns) only with ``--ids``, listed whole under each table so they can be copied."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table

    console = Console(highlight=False)

    def show(text: object) -> str:
        return escape(safe(text))

    for alert in result.get("safeguarding", []):
        # Words, not colour alone: the level and category are spelled out.
        console.print(
            f"[bold reverse] SAFEGUARDING {show(alert['level']).upper()}: {show(alert['category'])} [/] "
            f'(heard: "{show(alert["evidence"])}")'
        )
        route = alert.get("route") or {}
        if route.get("urgent"):
            console.print(f"  {show(route['urgent'])}")
        for step in route.get("steps", [])[:4]:
            console.print(f"  - {show(step)}")
        for contact in route.get("contacts", [])[:3]:
            console.print(
                f"  {show(contact.get('name', ''))}: {show(contact.get('phone', ''))} "
                f"({show(contact.get('hours', ''))})"
            )
    needs = ", ".join(f"{show(n['label'])} ({n['score']:.2f})" for n in result["needs"])
    console.print(f"[bold]Needs:[/bold] {needs or 'none recognised yet'}")
    labels = {**labels, **{n["id"]: n["label"] for n in result["needs"]}}
    for key, title in (("services", "Standard services"), ("community", "Community to pull in")):
        table = Table(title=title, show_lines=False, expand=True)
        table.add_column("name", ratio=3, overflow="fold")  # a long word folds, never cut with "…"
        table.add_column("for", ratio=2, overflow="fold")
        table.add_column("why", ratio=5)
        for item in result[key]:
            need = item.get("need") or ""
            table.add_row(show(item["name"]), show(labels.get(need, need)), show(item["why"]))
        console.print(table)
        if ids:
            for item in result[key]:
                console.print(f"  {show(item['id'])}  {show(item['name'])}", soft_wrap=True)
    for question in result["questions"]:
        console.print(f"? {show(question)}")
