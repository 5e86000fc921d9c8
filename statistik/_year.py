"""The year's figures: the months summed, each person's most frequent hinder, one page of charts.

Persons and households are counted once a year (by personnummer, and by the applicant's
personnummer); each person's hinder for the year is the one registered in most months, as
Socialstyrelsen counts it, with ties going to the latest month (convention). The charts are drawn
by matplotlib as SVG inside one HTML page with no scripts.
"""

from __future__ import annotations

import html
import io
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from statistik._month import MonthDelivery


def year_figures(year: int, months: Sequence[MonthDelivery], labels: Mapping[str, str]) -> dict[str, Any]:
    per_month = []
    by_person: dict[str, list[str]] = {}
    households: set[str] = set()
    for m in months:
        t = m.totals()
        per_month.append(
            {
                "manad": m.month,
                "hushall": t["hushall"],
                "personer": t["personer"],
                "kronor": t["kronor"],
                "ofullstandiga_beslut": len({p["beslut_id"] for p in m.problems}),
            }
        )
        for p in m.persons:
            by_person.setdefault(p["personnummer"], []).append(p["forsorjningshinder"])
            if p["roll"] == "sokande":
                households.add(p["personnummer"])
    most: Counter[str] = Counter()
    for codes in by_person.values():
        counts = Counter(codes)
        top = max(counts.values())
        most[next(c for c in reversed(codes) if counts[c] == top)] += 1
    return {
        "ar": year,
        "manader": per_month,
        "hushall_under_aret": len(households),
        "vuxna_under_aret": len(by_person),
        "kronor": sum(m["kronor"] for m in per_month),
        "vanligaste_forsorjningshinder_per_person": [
            {"kod": code, "text": labels.get(code, code), "personer": n} for code, n in most.most_common()
        ],
    }


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    return text[text.index("<svg") :]


def render_year_html(figures: Mapping[str, Any]) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.figure import Figure

    plt.rcParams["svg.fonttype"] = "none"  # text stays text: searchable, and small
    months = [m["manad"][5:] for m in figures["manader"]]
    charts = []
    for key, title, ylabel in (
        ("hushall", "Hushåll med ekonomiskt bistånd per månad", "hushåll"),
        ("kronor", "Utbetalt ekonomiskt bistånd per månad", "kronor"),
    ):
        fig = Figure(figsize=(8, 3.2))
        ax = fig.subplots()
        ax.bar(months, [m[key] for m in figures["manader"]], color="#2a6f97")
        ax.set_title(title)
        ax.set_xlabel("månad")
        ax.set_ylabel(ylabel)
        charts.append((title, _svg(fig)))
    hinder = figures["vanligaste_forsorjningshinder_per_person"]
    fig = Figure(figsize=(8, max(2.0, 0.4 * len(hinder) + 1)))
    ax = fig.subplots()
    ax.barh(
        [f"{h['kod']} {h['text']}"[:60] for h in hinder][::-1], [h["personer"] for h in hinder][::-1], color="#61a5c2"
    )
    ax.set_title("Vanligaste försörjningshinder per person under året")
    ax.set_xlabel("personer")
    charts.append(("Försörjningshinder", _svg(fig)))
    rows = "".join(
        f"<tr><td>{html.escape(m['manad'])}</td><td class=tal>{m['hushall']}</td><td class=tal>{m['personer']}</td>"
        f"<td class=tal>{m['kronor']}</td><td class=tal>{m['ofullstandiga_beslut']}</td></tr>"
        for m in figures["manader"]
    )
    body = "".join(f'<figure aria-label="{html.escape(t)}">{svg}</figure>' for t, svg in charts)
    return f"""<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Ekonomiskt bistånd {figures["ar"]}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2rem;max-width:60rem}}td.tal{{text-align:right}}
table{{border-collapse:collapse}}td,th{{border-bottom:1px solid #ccc;padding:.3rem .6rem}}
figure{{margin:1.5rem 0}}</style>
</head><body>
<h1>Ekonomiskt bistånd {figures["ar"]}</h1>
<p>{figures["hushall_under_aret"]} hushåll och {figures["vuxna_under_aret"]} vuxna under året;
{figures["kronor"]} kronor.</p>
{body}
<table><thead><tr><th>Månad</th><th>Hushåll</th><th>Personer</th><th>Kronor</th>
<th>Ofullständiga beslut</th></tr></thead>
<tbody>{rows}</tbody></table>
</body></html>
"""
