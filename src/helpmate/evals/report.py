"""Reports people read: a self-contained HTML page and a Markdown summary of an evaluation run."""

from __future__ import annotations

import html
from typing import Any

SUMMARY_LABELS = {
    "cases": "cases",
    "recall": "recall of relevant records in the 5 + 5 shown",
    "recall_services": "recall, standard services",
    "recall_community": "recall, community resources",
    "precision": "precision of the 10 shown",
    "mrr": "reciprocal rank of the first hit",
    "need_precision": "need detection precision",
    "need_recall": "need detection recall",
    "safeguarding_recall": "safeguarding recall (urgent or concern)",
    "safeguarding_false_alarms": "safeguarding false alarms (urgent or concern)",
    "safeguarding_recall_with_checks": "safeguarding recall, worth-asking included",
    "safeguarding_checks_on_ordinary": "ordinary cases with only a worth-asking",
    "safeguarding_false_alarm_rate": "safeguarding false alarm rate",
    "safeguarding_kind_right": "risks whose alert named the right kind",
    "must_not_violations": "must-not suggestions shown",
    "unknown_ids": "suggestions not in the library",
    "latency_p50_ms": "latency p50 (ms)",
    "latency_p95_ms": "latency p95 (ms)",
}


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if value < 10 else f"{value:.1f}"
    return str(value)


def kind_lines(doc: dict[str, Any]) -> list[str]:
    """The per-kind safeguarding table as text lines (empty when no case names a kind)."""
    rows = doc.get("per_kind") or {}
    if not any(kind not in ("(no kind)", "(ordinary)") for kind in rows):
        return []
    lines = [f"{'kind':<24} {'cases':>5} {'raised':>7} {'+asking':>8} {'kind ok':>8}"]
    for kind, row in rows.items():
        lines.append(
            f"{kind:<24} {row['cases']:>5} {row['raised']:>7.2f} {row['raised_with_checks']:>8.2f} "
            f"{row['kind_right'] if kind != '(ordinary)' else float('nan'):>8.2f}"
        )
    return lines


def worst_cases(doc: dict[str, Any], count: int = 10) -> list[dict[str, Any]]:
    scored = [c for c in doc["cases"] if c.get("recall") is not None]
    return sorted(scored, key=lambda c: (c["recall"], c["case_id"]))[:count]


def _bars(rows: list[tuple[str, float]], width: int = 420) -> str:
    """A horizontal bar chart as inline SVG (no scripts, no external files)."""
    height = 22 * len(rows) + 10
    parts = [f'<svg role="img" width="{width + 260}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value) in enumerate(rows):
        y = 5 + 22 * i
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{html.escape(label)}</text>')
        parts.append(
            f'<rect x="200" y="{y}" width="{max(1, value * width):.0f}" height="16" fill="#3b6ea8"/>'
        )
        parts.append(f'<text x="{205 + value * width:.0f}" y="{y + 13}" font-size="11">{value:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def render_html(doc: dict[str, Any], names: dict[str, str]) -> str:
    summary, esc = doc["summary"], html.escape

    def name(rid: str) -> str:
        return esc(names.get(rid, rid))

    rows = "".join(
        f"<tr><td>{esc(SUMMARY_LABELS.get(k, k))}</td><td>{_fmt(v)}</td></tr>" for k, v in summary.items()
    )
    needs = [(k, v["recall"]) for k, v in sorted(doc["per_need"].items(), key=lambda kv: kv[1]["recall"])]
    tracks = [("standard services", summary["recall_services"]), ("community", summary["recall_community"])]
    areas = [(k, v["recall"]) for k, v in doc["per_area"].items()]
    safeguarding = (
        "".join(
            f"<tr><td>{esc(c['case_id'])}</td><td>{'yes' if c['expected_safeguarding'] else 'no'}</td>"
            f"<td>{'yes' if c['flagged_safeguarding'] else ('worth asking' if c.get('checked_safeguarding') else 'no')}</td>"
            f"<td>{esc(', '.join(c.get('safeguarding_kinds') or c['safeguarding_categories']) or '-')}"
            f"{' (expected ' + esc(', '.join(c['expected_kinds'])) + ')' if c.get('expected_kinds') else ''}</td>"
            f"<td>{'ok' if c['expected_safeguarding'] == c['flagged_safeguarding'] else 'MISMATCH'}</td></tr>"
            for c in doc["cases"]
            if c["expected_safeguarding"] or c.get("checked_safeguarding")
        )
        or "<tr><td colspan=5>No case expects or raised a safeguarding alert.</td></tr>"
    )
    worst = []
    for case in worst_cases(doc):
        expected = "".join(
            f"<li>{'&#10003; ' if r in case['services'] + case['community'] else ''}{name(r)}</li>"
            for r in case["relevant"]
        )
        shown = "".join(
            f"<li>{'&#10003; ' if r in case['relevant'] else ''}{name(r)}</li>"
            for r in case["services"] + case["community"]
        )
        worst.append(
            f"<tr><td>{esc(case['case_id'])}<br><small>recall {case['recall']:.2f}</small></td>"
            f"<td>needs expected: {esc(', '.join(case['expected_needs']))}<br>"
            f"found: {esc(', '.join(case['found_needs']) or '-')}</td>"
            f"<td><ul>{expected}</ul></td><td><ul>{shown}</ul></td></tr>"
        )
    comparison = ""
    if doc.get("comparison"):
        comp = doc["comparison"]
        items = (
            "".join(
                f"<li>{esc(r['case_id'])}: {r['before']:.2f} &rarr; {r['after']:.2f}</li>"
                for r in comp["regressed"]
            )
            or "<li>none</li>"
        )
        better = (
            "".join(
                f"<li>{esc(r['case_id'])}: {r['before']:.2f} &rarr; {r['after']:.2f}</li>"
                for r in comp["improved"]
            )
            or "<li>none</li>"
        )
        comparison = f"<h2>Against the baseline</h2><h3>Regressed</h3><ul>{items}</ul><h3>Improved</h3><ul>{better}</ul>"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>helpmate evaluation</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}}
table{{border-collapse:collapse;margin:1em 0}}td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}
ul{{margin:0;padding-left:1.2em}}small{{color:#555}}</style></head><body>
<h1>helpmate evaluation</h1>
<p>{esc(", ".join(doc["meta"]["files"]))} &middot; library {esc(doc["meta"]["library"])} &middot; {esc(doc["meta"]["when"])}</p>
<h2>Totals</h2><table>{rows}</table>
<h2>Recall per track</h2>{_bars(tracks)}
<h2>Recall per need (worst first)</h2>{_bars(needs)}
<h2>Recall per area</h2>{_bars(areas)}
<h2>Safeguarding per kind</h2><pre>{esc(chr(10).join(kind_lines(doc))) or "No case names a kind."}</pre>
<h2>Safeguarding</h2><table><tr><th>case</th><th>expected</th><th>raised</th><th>categories</th><th></th></tr>{safeguarding}</table>
<h2>Weakest cases: expected against shown</h2>
<table><tr><th>case</th><th>needs</th><th>expected (&#10003; shown)</th><th>shown (&#10003; relevant)</th></tr>{"".join(worst)}</table>
{comparison}
</body></html>
"""


def render_markdown(doc: dict[str, Any], names: dict[str, str]) -> str:
    summary = doc["summary"]
    lines = [
        "# helpmate evaluation",
        "",
        f"Sets: {', '.join(doc['meta']['files'])}  ",
        f"Run: {doc['meta']['when']}",
        "",
    ]
    lines += ["| metric | value |", "|---|---|"]
    lines += [f"| {SUMMARY_LABELS.get(k, k)} | {_fmt(v)} |" for k, v in summary.items()]
    lines += ["", "## Recall per need", "", "| need | cases | detected | recall |", "|---|---|---|---|"]
    for need, row in sorted(doc["per_need"].items(), key=lambda kv: kv[1]["recall"]):
        lines.append(f"| {need} | {row['cases']} | {row['detected']:.2f} | {row['recall']:.2f} |")
    kinds = kind_lines(doc)
    if kinds:
        lines += ["", "## Safeguarding per kind", "", "```", *kinds, "```"]
    lines += ["", "## Weakest cases", ""]
    for case in worst_cases(doc, 5):
        missed = [names.get(r, r) for r in case["relevant"] if r not in case["services"] + case["community"]]
        lines.append(f"- **{case['case_id']}** (recall {case['recall']:.2f}): missed {'; '.join(missed)}")
    if doc.get("comparison"):
        comp = doc["comparison"]
        lines += ["", "## Against the baseline", ""]
        lines += [
            f"- regressed {r['case_id']}: {r['before']:.2f} -> {r['after']:.2f}" for r in comp["regressed"]
        ]
        lines += [
            f"- improved {r['case_id']}: {r['before']:.2f} -> {r['after']:.2f}" for r in comp["improved"]
        ]
    return "\n".join(lines) + "\n"
