"""Charts over time drawn on the server (reports/_trend.html, issue 15): an SVG with role="img", its <title> and a
<desc> in words, and the same figures as a table in a <details> for screen readers and for reading exact values.

The SVG has a fixed viewBox and scales with its card: on a 375 px phone about 1:1 (text 11 px), on a desk at
most 1.5:1 (the card caps its width in reports.css). Each period is a band; a line joins the bands' centres,
a bar fills most of the band. A period without a figure (None) is a gap in the line, not a zero."""
import math
from dataclasses import dataclass

from django.utils.translation import get_language
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 360, 180
LEFT, RIGHT, TOP, BOTTOM = 40, 22, 10, 24  # room for the latest period's label, centred on its band
PLOT_W, PLOT_H = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
X_LABELS = 6  # at most this many period labels under the axis; every one is in the table
TONES = {"count", "ok", "pending", "muted"}


@dataclass
class Series:
    name: str
    values: list[float | None]
    tone: str = "count"
    text: object = None  # value → the words for the table and the description; str() by default


def compact(n: float) -> str:
    """An axis label short enough for the 40 px margin: 12万 / 120k."""
    if abs(n) >= 10_000:
        if (get_language() or "").startswith("en"):
            return f"{n / 1_000_000:g}M" if abs(n) >= 1_000_000 else f"{n / 1000:g}k"
        return _("%(n)s万") % {"n": f"{n / 10_000:g}"}
    return f"{n:g}"


def nice_top(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 × 10^k at or above value (at least 1): round ticks at 0, half and top."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 2.5, 5, 10) if step * power >= value)


def _y(value: float, top: float) -> float:
    return round(TOP + PLOT_H * (1 - min(value, top) / top), 1)


def _lines(values: list[float | None], xs: list[float], top: float) -> list[str]:
    """The polylines' points: one run of consecutive known values each."""
    runs, run = [], []
    for x, v in zip(xs, values, strict=True):
        if v is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(f"{x},{_y(v, top)}")
    if run:
        runs.append(run)
    return [" ".join(r) for r in runs]


def trend_chart(key: str, title: str, labels: list[str], series: list[Series], *, bars: bool = False,
                scale: float | None = None, note: str = "") -> dict:
    """A chart for reports/_trend.html. `labels` name the periods (oldest first); `scale` is the top of the axis
    (100 for percentages), by default a round number at or above the largest value; `key` makes the page's ids."""
    n = len(labels)
    band = PLOT_W / max(n, 1)
    xs = [round(LEFT + band * (i + 0.5), 1) for i in range(n)]
    known = [v for s in series for v in s.values if v is not None]
    top = scale or nice_top(max(known, default=0))
    every = max(1, math.ceil(n / X_LABELS))
    shown = {i for i in range(n) if (n - 1 - i) % every == 0}  # the latest period always labelled
    drawn = []
    for s in series:
        text = s.text or (lambda v: f"{v:g}")
        item = {"name": s.name, "tone": s.tone if s.tone in TONES else "count",
                "cells": ["—" if v is None else text(v) for v in s.values]}
        if bars:
            width = round(band * 0.7, 1)
            item["bars"] = [{"x": round(x - width / 2, 1), "y": _y(v, top), "w": width,
                             "h": round(TOP + PLOT_H - _y(v, top), 1)}
                            for x, v in zip(xs, s.values, strict=True) if v]
        else:
            item["lines"] = _lines(s.values, xs, top)
            item["dots"] = [{"x": x, "y": _y(v, top)} for x, v in zip(xs, s.values, strict=True) if v is not None]
        drawn.append(item)
    latest = [f"{s['name']} {s['cells'][-1]}" for s in drawn] if n else []
    return {
        "id": f"trend-{key}", "title": title, "note": note, "series": drawn, "width": WIDTH, "height": HEIGHT,
        "x0": LEFT, "x1": WIDTH - RIGHT, "y0": TOP + PLOT_H, "label_y": HEIGHT - 6,
        "ticks": [{"y": _y(v, top), "text": f"{v:g}%" if scale == 100 else compact(v)} for v in (0, top / 2, top)],
        "x_labels": [{"x": xs[i], "text": labels[i]} for i in sorted(shown)],
        "rows": [{"label": labels[i], "cells": [s["cells"][i] for s in drawn]} for i in range(n)],
        "desc": _("%(first)s至%(last)s。最近：%(latest)s。") % {
            "first": labels[0], "last": labels[-1], "latest": _("，").join(latest)} if n else "",
        "legend": len(drawn) > 1,
    }
