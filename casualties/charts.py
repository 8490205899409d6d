"""Geometry for the server-drawn SVG charts; the templates only place what is computed here.

Charts are inline SVG so they work without JavaScript and need no asset from the internet. Each
chart has a <title> and <desc>, and the claims table beside it is its text alternative.
"""

import datetime
import math

from claims.reconciliation import ClaimantSeries, Figure

WIDTH = 640
LABEL_WIDTH = 170
ROW_HEIGHT = 26
MAX_TIMELINE_SERIES = 10
MAX_POINTS = 40  # per line; a longer series keeps evenly spaced points and its last
RELATION_STYLE = {
    # Colour and a dash pattern, so the relation reads without colour too.
    "self": ("#1f5fa8", ""),
    "independent": ("#2b7a3d", "6 3"),
    "adversary": ("#b3261e", "2 3"),
}


def _fmt(value) -> str:
    """Coordinates as strings, so templates print them as they are (no number localising)."""
    return f"{value:.1f}".removesuffix(".0")


def _strings(item: dict, keys) -> dict:
    for key in keys:
        if key in item and item[key] is not None and not isinstance(item[key], str):
            item[key] = _fmt(item[key])
    return item


def nice_ceiling(value: float) -> int:
    """A round number at or above ``value`` for the end of an axis: 1, 2, 2.5, 5 × 10^n."""
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return int(math.ceil(step * exponent))
    return int(10 * exponent)


def _ticks(top: int, count: int = 4) -> list[int]:
    return [round(top * i / count) for i in range(count + 1)]


def range_chart(series: list[ClaimantSeries], figure: Figure | None) -> dict | None:
    """One bar per claimant from the lowest to the highest figure among its standing claims,
    with the reconciled range as a shaded band behind them."""
    rows = [s for s in series if s.low is not None]
    if not rows:
        return None
    values = [s.high or s.low for s in rows]
    if figure is not None:
        values += [v for v in (figure.lower, figure.upper) if v is not None]
    top = nice_ceiling(max(values) * 1.05)
    plot = WIDTH - LABEL_WIDTH - 20

    def x(value):
        return round(LABEL_WIDTH + plot * value / top, 1)

    bars = []
    for i, s in enumerate(rows):
        color, dash = RELATION_STYLE.get(s.relation, ("#555", ""))
        x1, x2 = x(s.low), x(s.high if s.high is not None else s.low)
        y = 20 + i * ROW_HEIGHT
        bars.append(
            {
                "label": s.claimant_name,
                "relation": s.relation,
                "y": str(y),
                "text_y": str(y + 13),
                "mid_y": str(y + 8),
                "x1": x1,
                "width": max(round(x2 - x1, 1), 3),
                "x_end": x(top) if s.open_high else x2,
                "open_high": s.open_high,
                "color": color,
                "dash": dash,
                "text": _range_text(s),
            }
        )
        _strings(bars[-1], ["x1", "width", "x_end"])
    height = 20 + len(rows) * ROW_HEIGHT + 30
    band = None
    if figure is not None and figure.lower is not None:
        band_end = x(figure.upper) if figure.upper is not None else x(top)
        band = _strings(
            {
                "x": x(figure.lower),
                "width": max(round(band_end - x(figure.lower), 1), 2),
                "height": height - 32,
            },
            ["x", "width", "height"],
        )
    return {
        "width": WIDTH,
        "height": height,
        "bars": bars,
        "band": band,
        "axis_y": str(height - 24),
        "tick_y": str(height - 19),
        "tick_label_y": str(height - 6),
        "axis_x1": _fmt(x(0)),
        "axis_x2": _fmt(x(top)),
        "ticks": [{"x": _fmt(x(t)), "label": f"{t:,}"} for t in _ticks(top)],
        "label_x": LABEL_WIDTH - 6,
    }


def _range_text(s: ClaimantSeries) -> str:
    if s.open_high:
        return f"{s.low:,} or more"
    if s.low == s.high:
        return f"{s.low:,}"
    return f"{s.low:,} to {s.high:,}"


def timeline_chart(series: list[ClaimantSeries]) -> dict | None:
    """Each claimant's cumulative claims over time, one line per claimant (the most prolific
    ones first; the rest are listed as left out)."""
    lines = sorted((s for s in series if s.points), key=lambda s: (-len(s.points), s.claimant_name))
    if not lines:
        return None
    shown, left_out = lines[:MAX_TIMELINE_SERIES], lines[MAX_TIMELINE_SERIES:]
    days = [p[0] for s in shown for p in s.points]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - datetime.timedelta(days=1), last + datetime.timedelta(days=1)
    span = (last - first).days
    top = nice_ceiling(max(p[1] for s in shown for p in s.points) * 1.05)
    left, right, top_y, bottom_y = 60, WIDTH - 20, 15, 215

    def x(day):
        return round(left + (right - left) * (day - first).days / span, 1)

    def y(value):
        return round(bottom_y - (bottom_y - top_y) * value / top, 1)

    out = []
    for s in shown:
        color, dash = RELATION_STYLE.get(s.relation, ("#555", ""))
        kept = s.points
        if len(kept) > MAX_POINTS:
            step = len(kept) / (MAX_POINTS - 1)
            kept = [kept[round(i * step)] for i in range(MAX_POINTS - 1)] + [kept[-1]]
        points = [
            {
                "x": _fmt(x(d)),
                "y": _fmt(y(v)),
                "title": f"{s.claimant_name}: {v:,} as of {d:%d %b %Y}",
            }
            for d, v, _ in kept
        ]
        out.append(
            {
                "label": s.claimant_name,
                "relation": s.relation,
                "color": color,
                "dash": dash,
                "points": points,
                "path": " ".join(f"{p['x']},{p['y']}" for p in points),
            }
        )
    month_ticks = []
    day = datetime.date(first.year, first.month, 1)
    while day <= last:
        if day >= first:
            month_ticks.append({"x": _fmt(x(day)), "label": f"{day:%b %Y}"})
        day = datetime.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    if len(month_ticks) < 2:
        month_ticks = [
            {"x": x(first), "label": f"{first:%d %b}"},
            {"x": x(last), "label": f"{last:%d %b}"},
        ]
    if len(month_ticks) > 8:
        month_ticks = month_ticks[:: math.ceil(len(month_ticks) / 8)]
    return {
        "width": WIDTH,
        "height": 250,
        "lines": out,
        "left_out": [s.claimant_name for s in left_out],
        "x_ticks": month_ticks,
        "y_ticks": [{"y": _fmt(y(t)), "label": f"{t:,}"} for t in _ticks(top)],
        "left": str(left),
        "label_x": str(left - 4),
        "right": str(right),
        "bottom": str(bottom_y),
        "x_label_y": str(bottom_y + 18),
        "top": str(top_y),
    }
