"""The insight report as people read it: a self-contained ``index.html`` (inline SVG charts, no
script, no font or file fetched from anywhere) and ``summary.md``, from ``build_report``'s dict.

A figure from fewer than ``min_count`` conversations is written "fewer than N", never its number.
"""

from __future__ import annotations

import html
from typing import Any

from helpmate.insight.charts import bars, fewer, heat_map, lines
from helpmate.insight.reports import TOP

CSS = (
    "body{font-family:sans-serif;max-width:1150px;margin:2em auto;color:#222}"
    "table{border-collapse:collapse;margin:.6em 0 1.4em}td,th{border:1px solid #ccc;padding:3px 8px;"
    "vertical-align:top;text-align:left}th{background:#f3f3f3}small,.muted{color:#555}"
    "h2{border-bottom:2px solid #3b6ea8;padding-bottom:2px;margin-top:1.8em}"
)


def number(value: Any, min_count: int) -> str:
    if value is None:
        return fewer(min_count)
    if isinstance(value, float):
        return f"{value:.0%}"
    return str(value)


def _place(row: dict[str, Any]) -> str:
    return (
        f"{row['area']} / {row['locality']}" if row.get("locality") else str(row.get("area") or "(no area)")
    )


def tables(doc: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """The report's tables as (title, header, rows) of text: the HTML, the Markdown and the terminal
    app's Insight screen all show these."""
    k = doc["meta"]["min_count"]

    def num(value: Any) -> str:
        return number(value, k)

    demand = [[row["label"], num(row["conversations"])] for row in doc["demand"]["needs"][:TOP]]
    places = [
        [_place(row), row["label"], num(row["conversations"]), num(row["unmet"])]
        for row in sorted(doc["demand"]["by_place"], key=lambda r: -(r["conversations"] or 0))[:TOP]
    ]
    together = [
        [" + ".join(row["labels"]), num(row["conversations"])] for row in doc["demand"]["together"][:10]
    ]
    alerts = [[row["category"], num(row["conversations"])] for row in doc["demand"]["alerts"]]
    unmet = [
        [row["label"], num(row["conversations"]), num(row["unmet"]), num(row["share_unmet"]),
         num(row["no_service"]), num(row["no_community"])]
        for row in doc["unmet"][:TOP]
    ]  # fmt: skip
    gaps = [
        [_place(row), row["track"], str(len(row["none"])), str(len(row["one"])), str(len(row["stale_only"])),
         ", ".join(row["none"][:8]) + (" ..." if len(row["none"]) > 8 else "")]
        for row in doc["gaps"]
    ]  # fmt: skip
    fb = doc["feedback"]

    def reasons(row: dict[str, Any]) -> str:
        return ", ".join(f"{r} {num(v)}" for r, v in row["reasons"].items()) or "-"

    dismissed = [
        [row["name"], row["record"], num(row["dismissed"]), reasons(row)] for row in fb["dismissed"][:TOP]
    ]
    pinned = [
        [row["name"], row["record"], num(row["pinned"]), num(row["shown"])] for row in fb["pinned"][:TOP]
    ]
    never = [[row["name"], row["record"], num(row["shown"])] for row in fb["never_pinned"][:TOP]]
    stale = [
        [row["name"], row["record"], num(row["shown"]), row["review_due"]] for row in fb["stale_shown"][:TOP]
    ]
    confirm = [
        [row["name"], row["record"], row["label"], num(row["conversations"]), row["notice"] or row["command"]]
        for row in doc["notices_to_confirm"][:TOP]
    ]
    return [
        ("Demand: needs by conversations", ["need", "conversations"], demand),
        ("Demand per area and locality", ["place", "need", "conversations", "unmet"], places),
        ("Needs that come together", ["needs", "conversations"], together),
        ("Safeguarding alerts by category", ["category", "conversations"], alerts),
        (
            "Unmet need (no record that fits well)",
            ["need", "conversations", "unmet", "share", "no service", "no community"],
            unmet,
        ),
        (
            "Asset-map gaps (from the library)",
            ["place", "track", "no record", "only one", "only stale", "needs with none"],
            gaps,
        ),
        ("Records most often dismissed, and why", ["record", "id", "dismissed", "reasons"], dismissed),
        ("Records pinned most", ["record", "id", "pinned", "shown"], pinned),
        ("Shown often, never pinned", ["record", "id", "shown"], never),
        ("Stale records shown often (fix these first)", ["record", "id", "shown", "review due"], stale),
        (
            "Notices to confirm (from workers' dismissals)",
            ["record", "id", "dismissed as", "conversations", "notice"],
            confirm,
        ),
    ]


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    if not rows:
        return "<p class=muted>None.</p>"
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _heat(doc: dict[str, Any]) -> str:
    labels = {row["need"]: row["label"] for row in doc["demand"]["needs"]}
    columns = [row["need"] for row in doc["demand"]["needs"][:14]]
    cells: dict[tuple[str, str], int | None] = {}
    order: dict[str, int] = {}
    for row in doc["demand"]["by_place"]:
        place = _place(row)
        cells[(place, row["need"])] = row["conversations"]
        order[place] = order.get(place, 0) + (row["conversations"] or 0)
    rows = sorted(order, key=lambda p: (-order[p], p))[:20]
    return heat_map(rows, columns, cells, labels, doc["meta"]["min_count"])


def render_html(doc: dict[str, Any]) -> str:
    meta, k, esc = doc["meta"], doc["meta"]["min_count"], html.escape
    labels = {row["need"]: row["label"] for row in doc["demand"]["needs"]}
    scope = ", ".join(
        f"{name} {meta[key]}"
        for name, key in (("area", "area"), ("since", "since"), ("until", "until"))
        if meta[key]
    )
    sections = {title: _html_table(header, rows) for title, header, rows in tables(doc)}
    demand_bars = bars([(row["label"], row["conversations"]) for row in doc["demand"]["needs"][:TOP]], k)
    unmet_bars = bars([(row["label"], row["unmet"]) for row in doc["unmet"][:TOP]], k)
    trend = lines(doc["demand"]["trend"]["weeks"], doc["demand"]["trend"]["series"], labels, k)
    body = []
    for title, table in sections.items():
        body.append(f"<h2>{esc(title)}</h2>")
        if title.startswith("Demand: needs"):
            body.append(demand_bars + "<h3>Week by week (the six needs most asked about)</h3>" + trend)
        elif title.startswith("Demand per area"):
            body.append("<h3>Area by need</h3>" + _heat(doc))
        elif title.startswith("Unmet"):
            body.append(
                "<p class=muted>Conversations left without a record that fits, needs in order of the share left unmet.</p>"
                + unmet_bars
            )
        body.append(table)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>helpmate insight</title>
<style>{CSS}</style></head><body>
<h1>helpmate insight</h1>
<p>{esc(number(doc["conversations"], k))} conversations{esc(" (" + scope + ")" if scope else "")} &middot;
generated {esc(meta["generated"])} &middot; library {esc(meta["library"])}</p>
<p class=muted>Anonymous events only: the week, area, needs, records shown, pinned and dismissed. Any figure
from fewer than {k} conversations shows as &ldquo;{fewer(k)}&rdquo;. The asset-map gaps come from the library
alone.</p>
{"".join(body)}
</body></html>
"""


def render_markdown(doc: dict[str, Any]) -> str:
    meta, k = doc["meta"], doc["meta"]["min_count"]
    lines_ = [
        "# helpmate insight",
        "",
        f"{number(doc['conversations'], k)} conversations; area {meta['area'] or 'all'}, "
        f"since {meta['since'] or 'the start'}, until {meta['until'] or 'now'}; generated {meta['generated']}.",
        f'Figures from fewer than {k} conversations show as "{fewer(k)}".',
    ]
    for title, header, rows in tables(doc):
        lines_ += ["", f"## {title}", ""]
        if not rows:
            lines_.append("None.")
            continue
        lines_ += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
        lines_ += ["| " + " | ".join(c.replace("|", "/") for c in row) + " |" for row in rows]
    return "\n".join(lines_) + "\n"
