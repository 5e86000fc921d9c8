"""The household's money against a monthly wage, drawn from ``kontrafaktiskt.lonekurva`` (matplotlib, SVG)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any


def wage_chart_svg(result: Mapping[str, Any]) -> str | None:
    """An SVG (text) of wage → income + försörjningsstöd, or None when the result has no curve."""
    points = (result.get("kontrafaktiskt") or {}).get("lonekurva")
    if not points:
        return None
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    wages = [p["lon"] for p in points]
    fig = Figure(figsize=(7, 3.4))
    ax = fig.subplots()
    ax.plot(wages, [p["totalt"] for p in points], color="#1d3557", linewidth=2, label="inkomster + försörjningsstöd")
    ax.plot(wages, [p["forsorjningsstod"] for p in points], color="#e76f51", linewidth=2, label="försörjningsstöd")
    ax.set_xlabel("lön i månaden, kr")
    ax.set_ylabel("kr i månaden")
    ax.set_title("Hushållets pengar med mer lön")
    ax.legend(loc="upper left", frameon=False)
    ax.grid(alpha=0.3)
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")
    text = buf.getvalue()
    svg = text[text.index("<svg") :]
    return svg.replace("<svg ", '<svg role="img" aria-label="Hushållets pengar med mer lön" ', 1)
