"""``helpmate kb notice``: put a temporary notice on a record, list notices, clear one."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from helpmate.cli.common import echo, settings_from_env


def _parse_date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(
            f"'{value}' is not a date: write it as YYYY-MM-DD", param_hint="--until"
        ) from exc


def notice(
    record_id: Annotated[str | None, typer.Argument(help="Record id (see 'helpmate kb search').")] = None,
    text: Annotated[str | None, typer.Argument(help='What changed, e.g. "Closed until 6 January".')] = None,
    until: Annotated[str | None, typer.Option(help="Last day the notice holds (YYYY-MM-DD).")] = None,
    kind: Annotated[str, typer.Option(help="closed, waiting, moved or info.")] = "info",
    by: Annotated[str | None, typer.Option(help="Who sets it (default $USER).")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List every notice (current and expired).")] = False,
    clear: Annotated[str | None, typer.Option(help="Take the notice off this record.")] = None,
) -> None:
    """Put a notice on a record (closed, waiting list, moved), shown beside it until --until."""
    from helpmate.errors import HelpmateError
    from helpmate.knowledge.library import load_library
    from helpmate.knowledge.notices import KINDS, clear_notice, load_notices, set_notice

    root = settings_from_env().knowledge
    if list_:
        notices = load_notices(root)
        today = dt.date.today()
        for item in sorted(notices.values(), key=lambda n: n.record):
            state = "current" if item.current(today) else "EXPIRED"
            who = f" by {item.by}" if item.by else ""
            echo(f"{item.record}  {state}  {item.line()}  (set {item.set}{who})")
        echo(f"{len(notices)} notice(s) in {root / 'notices.yaml'}")
        return
    if clear is not None:
        if not clear_notice(root, clear):
            raise HelpmateError(f"record '{clear}' has no notice", hint="see 'helpmate kb notice --list'")
        echo(f"cleared the notice on {clear}")
        return
    if not record_id or not text:
        raise typer.BadParameter('give a record id and the notice: kb notice ID "Closed until 6 January"')
    if kind not in KINDS:
        raise typer.BadParameter(f"'{kind}': use one of {', '.join(KINDS)}", param_hint="--kind")
    library = load_library(root)
    if library.record(record_id) is None:
        raise HelpmateError(
            f"no record with id '{record_id}' in {root}", hint="try 'helpmate kb search WORDS'", exit_code=1
        )
    made = set_notice(root, record_id, text, kind=kind, until=_parse_date(until), by=by)
    echo(f"notice on {record_id}: {made.line()}")
