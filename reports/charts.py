"""Horizontal bar charts drawn on the server (reports/_bars.html): no script, no CDN, readable on a phone.

Each row is a label with its value as text, and a bar under it whose length is a percentage of the chart's
width, so the text keeps its size whatever the screen and only the bars stretch."""
from dataclasses import dataclass

ROW_HEIGHT = 46  # the label line (about 20 px) and a 12 px bar, with air between rows
BAR_Y, BAR_HEIGHT = 24, 12
TONES = {"count", "ok", "low", "pending", "late", "muted"}
# The label and its value share one line of 14 px text: about 21 em fit the narrowest chart (a 375 px phone).
# Longer labels are cut with "…"; the whole label is in the row's tooltip, the chart's aria-label and the
# table beside the chart.
LINE_EM = 21.0
GAP_EM = 0.8


def _em(text: str) -> float:
    """The width of text in em: CJK and full-width characters one em, others about half."""
    return sum(1.0 if ord(ch) >= 0x2E80 else 0.56 for ch in text)


def fit(label: str, text: str) -> str:
    room = LINE_EM - GAP_EM - _em(text)
    if _em(label) <= room:
        return label
    out = ""
    for ch in label:
        if _em(out + ch) > room - 1:  # one em for the ellipsis
            break
        out += ch
    return out + "…"


@dataclass
class Bar:
    label: str
    value: float  # the length
    text: str  # what is written beside the label (the value, in words)
    href: str = ""
    tone: str = "count"


def chart(title: str, bars: list[Bar], *, scale: float | None = None) -> dict:
    """A chart for reports/_bars.html. `scale` is the value of a full-width bar (100 for percentages);
    by default the largest value."""
    top = scale or max((b.value for b in bars), default=0) or 1
    rows = []
    for i, b in enumerate(bars):
        pct = 0.0 if b.value <= 0 else max(round(100 * b.value / top, 1), 1.0)  # a non-zero value stays visible
        rows.append({"label": fit(b.label, b.text), "full_label": b.label, "text": b.text, "href": b.href,
                     "tone": b.tone if b.tone in TONES else "count",
                     "pct": min(pct, 100.0), "y": i * ROW_HEIGHT})
    summary = "；".join(f"{b.label}：{b.text}" for b in bars)
    return {"title": title, "rows": rows, "summary": summary, "height": max(len(rows) * ROW_HEIGHT - 8, 0),
            "bar_y": BAR_Y, "bar_height": BAR_HEIGHT, "fill_y": BAR_Y + 1, "fill_height": BAR_HEIGHT - 2}
