"""Geometry for the server-drawn SVG charts; the templates only place what is computed here.

Charts are inline SVG so they work without JavaScript and need no asset from the internet. Each
chart has a <title> and <desc>, and the claims table beside it is its text alternative.

Every chart is laid out twice, for two widths, and the page shows one of them (ledger.css). An
SVG scales with its viewBox, and so does its text: the 640-unit-wide chart is 366 px wide on a
390 px phone, and its 12-unit labels would be 6.9 px. Instead of replacing the chart with a table
on phones (the claims table is already on the page, and a phone reader should see the shape of
the claims too), the narrow layout is drawn for a phone's width (340 units, 13-unit text, labels
above the bars, fewer ticks), so its text is at least 12 px on any screen from 338 px up to the
breakpoint, where the wide layout is at least 640 px wide and its text at least 12 px.
"""

import datetime
import math
from dataclasses import dataclass
from html import escape

from django.utils.safestring import mark_safe

from claims.rules import ClaimantSeries, Figure


@dataclass(frozen=True)
class Layout:
    name: str  # the SVG's class: chart-wide or chart-narrow (ledger.css shows one of them)
    width: int  # viewBox units
    font: int  # the SVG's font-size, in viewBox units
    id_suffix: str  # the two SVGs' <title>/<desc> ids differ
    max_x_ticks: int
    marker_r: float


WIDE = Layout("wide", 640, 12, "", 8, 3.5)
NARROW = Layout("narrow", 340, 13, "-narrow", 4, 4.5)
LAYOUTS = (WIDE, NARROW)

LABEL_WIDTH = 170
ROW_HEIGHT = 26
MAX_TIMELINE_SERIES = 10
MAX_POINTS = 40  # per line; a longer series keeps evenly spaced points and its last
RELATION_STYLE = {
    # Colour, a dash pattern and a marker shape, so the relation reads without colour too.
    "self": ("#1f5fa8", "", "circle"),
    "independent": ("#2b7a3d", "6 3", "square"),
    "adversary": ("#b3261e", "2 3", "triangle"),
    "partisan": ("#6b3fa0", "8 2 2 2", "diamond"),
}
OTHER_STYLE = ("#555", "", "circle")
EM = 0.62  # a generous average advance per character, in ems, for laying out labels


def _fmt(value) -> str:
    """Coordinates as strings, so templates print them as they are (no number localising)."""
    return f"{value:.1f}".removesuffix(".0")


def _strings(item: dict, keys) -> dict:
    for key in keys:
        if key in item and item[key] is not None and not isinstance(item[key], str):
            item[key] = _fmt(item[key])
    return item


def _text_width(text: str, font: float) -> float:
    return len(text) * EM * font


def _truncate(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: chars - 1].rstrip() + "…"


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


def _placed(x: float, label: str, font: float, lo: float, hi: float) -> dict:
    """A tick label centred under ``x``, moved inside [lo, hi] if it would stick out: its start
    x (text-anchor start) and its extent, for the overlap check."""
    w = _text_width(label, font)
    start = min(max(x - w / 2, lo), hi - w)
    return {"tick_x": _fmt(x), "x": _fmt(start), "label": label, "left": start, "right": start + w}


def range_chart(series: list[ClaimantSeries], figure: Figure | None) -> dict | None:
    """One bar per claimant from the lowest to the highest figure among its standing claims,
    with the reconciled range as a shaded band behind them. Claimants with the same figures
    still get a row each: nothing is merged."""
    rows = [s for s in series if s.low is not None]
    if not rows:
        return None
    values = [s.high or s.low for s in rows]
    if figure is not None:
        values += [v for v in (figure.lower, figure.upper) if v is not None]
    top = nice_ceiling(max(values) * 1.05)
    layouts = [_range_layout(rows, figure, top, lay) for lay in LAYOUTS]
    present = {s.relation for s in rows}
    return {
        "layouts": layouts,
        "wide": layouts[0],
        "narrow": layouts[1],
        "partisan": "partisan" in present,
    }


def _range_layout(rows, figure, top, lay: Layout) -> dict:
    font = lay.font
    right = lay.width - max(10, _text_width(f"{top:,}", font) / 2 + 2)
    if lay is WIDE:  # labels in a column left of the bars
        left, row_h, bar_dy, bar_h = LABEL_WIDTH, ROW_HEIGHT, 0, 16
        label_x, label_dy, anchor, chars = LABEL_WIDTH - 6, 13, "end", 26
    else:  # labels above the bars, the bars the full width
        left, row_h, bar_dy, bar_h = 8, font + 23, font + 5, 12
        label_x, label_dy, anchor, chars = 8, font, "start", int((lay.width - 16) / (EM * font))
    top_y = 12 if lay is WIDE else 8

    def x(value):
        return round(left + (right - left) * value / top, 1)

    bars = []
    for i, s in enumerate(rows):
        color, dash, _ = RELATION_STYLE.get(s.relation, OTHER_STYLE)
        x1, x2 = x(s.low), x(s.high if s.high is not None else s.low)
        y = top_y + 8 + i * row_h
        bars.append(
            {
                "label": s.claimant_name,
                "short_label": _truncate(s.claimant_name, chars),
                "relation": s.relation,
                "y": str(y + bar_dy),
                "height": str(bar_h),
                "text_y": str(y + label_dy),
                "mid_y": _fmt(y + bar_dy + bar_h / 2),
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
    axis_y = top_y + 8 + len(rows) * row_h + 2
    height = axis_y + 5 + font + 6
    band = None
    if figure is not None and figure.lower is not None:
        band_end = x(figure.upper) if figure.upper is not None else x(top)
        band = _strings(
            {
                "x": x(figure.lower),
                "y": top_y,
                "width": max(round(band_end - x(figure.lower), 1), 2),
                "height": axis_y - top_y,
            },
            ["x", "y", "width", "height"],
        )
    return {
        "layout": lay.name,
        "id_suffix": lay.id_suffix,
        "font": str(font),
        "width": lay.width,
        "height": height,
        "bars": bars,
        "band": band,
        "axis_y": str(axis_y),
        "tick_y": str(axis_y + 5),
        "tick_label_y": str(height - 6),
        "axis_x1": _fmt(x(0)),
        "axis_x2": _fmt(x(top)),
        "ticks": _value_ticks(top, x, font, lay.width),
        "label_x": str(label_x),
        "label_anchor": anchor,
    }


def _apart(placed: list[dict], font: float) -> bool:
    """Each label ends at least half an em before the next one starts."""
    return all(b["left"] - a["right"] >= font / 2 for a, b in zip(placed, placed[1:], strict=False))


def _value_ticks(top, x, font, width) -> list[dict]:
    """0 to ``top`` in 4 steps, or 2, or 1 if the labels would overlap (large numbers on a
    narrow chart)."""
    for count in (4, 2, 1):
        placed = [_placed(x(t), f"{t:,}", font, 0, width) for t in _ticks(top, count)]
        if _apart(placed, font):
            break
    return [_public(t) for t in placed]


def _range_text(s: ClaimantSeries) -> str:
    if s.open_high:
        return f"{s.low:,} or more"
    if s.low == s.high:
        return f"{s.low:,}"
    return f"{s.low:,} to {s.high:,}"


def _day_label(day: datetime.date) -> str:
    return f"{day.day} {day:%b %Y}"


def _month_label(day: datetime.date) -> str:
    return f"{day:%b %Y}"


def _month_starts(first: datetime.date, last: datetime.date, step: int) -> list[datetime.date]:
    out = []
    index = first.year * 12 + first.month - 1
    while True:
        day = datetime.date(index // 12, index % 12 + 1, 1)
        if day > last:
            return out
        if day >= first and index % step == 0:
            out.append(day)
        index += 1


def time_ticks(first, last, x, font, lo, hi, max_ticks) -> list[dict]:
    """Labels for a time axis from ``first`` to ``last`` (``x(day)`` places a day), each with
    its year: month starts ("Oct 2020") every 1, 2, 3, 6, 12… months; for a span with fewer than
    two month starts, days ("17 Oct 2020"). The finest spacing whose labels do not overlap."""
    span = (last - first).days
    candidates = [
        [(d, _month_label(d)) for d in _month_starts(first, last, step)]
        for step in (1, 2, 3, 6, 12, 24, 60, 120, 240, 600)
    ]
    for step in (1, 2, 7, 14):
        if span <= 62:
            days = [first + datetime.timedelta(days=n) for n in range(0, span + 1, step)]
            candidates.append([(d, _day_label(d)) for d in days])
    candidates.append([(first, _day_label(first)), (last, _day_label(last))])
    for ticks in candidates:
        if not 2 <= len(ticks) <= max_ticks:
            continue
        placed = [_placed(x(d), label, font, lo, hi) for d, label in ticks]
        if _apart(placed, font):
            return [_public(t) for t in placed]
    return [_public(_placed(x(first), _day_label(first), font, lo, hi))]


def _public(tick: dict) -> dict:
    """A placed tick without its float extents (the template prints only strings)."""
    return {key: tick[key] for key in ("tick_x", "x", "label")}


def _marker(shape: str, cx: float, cy: float, r: float) -> dict:
    """A marker of about equal area in each shape, centred on (cx, cy)."""
    marker = {"shape": shape, "cx": _fmt(cx), "cy": _fmt(cy), "r": _fmt(r)}
    if shape == "square":
        half = r * 0.886
        marker |= {"x": _fmt(cx - half), "y": _fmt(cy - half), "size": _fmt(2 * half)}
    elif shape == "triangle":
        c = r * 1.56  # circumradius
        corners = [(cx, cy - c), (cx + c * 0.866, cy + c / 2), (cx - c * 0.866, cy + c / 2)]
        marker["polygon"] = " ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in corners)
    elif shape == "diamond":
        c = r * 1.25
        corners = [(cx, cy - c), (cx + c, cy), (cx, cy + c), (cx - c, cy)]
        marker["polygon"] = " ".join(f"{_fmt(a)},{_fmt(b)}" for a, b in corners)
    return marker


def _marker_svg(marker: dict, color: str) -> str:
    """A marker's SVG element, written here rather than in the template: a long series draws
    hundreds of them, and the template engine's lookups per attribute were most of a figure
    page's time. Numbers come from ``_fmt``; the title and colour are escaped (the standard
    library's escape: what the template's autoescape would give, without its overhead)."""
    fill, title = escape(color), escape(marker["title"])
    if marker["shape"] == "square":
        return (
            f'<rect class="marker" x="{marker["x"]}" y="{marker["y"]}" width="{marker["size"]}" '
            f'height="{marker["size"]}" fill="{fill}"><title>{title}</title></rect>'
        )
    if "polygon" in marker:
        return (
            f'<polygon class="marker" points="{marker["polygon"]}" fill="{fill}">'
            f"<title>{title}</title></polygon>"
        )
    return (
        f'<circle class="marker" cx="{marker["cx"]}" cy="{marker["cy"]}" r="{marker["r"]}" '
        f'fill="{fill}"><title>{title}</title></circle>'
    )


def _sampled(points):
    if len(points) <= MAX_POINTS:
        return points
    step = len(points) / (MAX_POINTS - 1)
    return [points[round(i * step)] for i in range(MAX_POINTS - 1)] + [points[-1]]


def timeline_chart(series: list[ClaimantSeries]) -> dict | None:
    """Each claimant's cumulative claims over time, one line per claimant (the most prolific
    ones first; the rest are listed as left out).

    Equal claims do not hide each other: where claimants give the same figure for the same day,
    their markers are set side by side (centred on the day) and their lines pass through them;
    each relation also has its own marker shape and dash pattern."""
    lines = sorted((s for s in series if s.points), key=lambda s: (-len(s.points), s.claimant_name))
    if not lines:
        return None
    shown, left_out = lines[:MAX_TIMELINE_SERIES], lines[MAX_TIMELINE_SERIES:]
    kept = [_sampled(s.points) for s in shown]
    days = [p[0] for points in kept for p in points]
    first, last = min(days), max(days)
    if first == last:
        first, last = first - datetime.timedelta(days=1), last + datetime.timedelta(days=1)
    top = nice_ceiling(max(p[1] for points in kept for p in points) * 1.05)
    # The claimants at each (day, figure), in drawing order: their rank and how many.
    same: dict[tuple, list[int]] = {}
    for i, points in enumerate(kept):
        for d, v, _ in points:
            if i not in same.setdefault((d, v), []):
                same[(d, v)].append(i)
    titles = _marker_titles(shown, kept, same)
    layouts = [
        _timeline_layout(shown, kept, titles, first, last, top, same, lay) for lay in LAYOUTS
    ]
    return {
        "layouts": layouts,
        "wide": layouts[0],
        "narrow": layouts[1],
        "legend": [
            {
                "label": s.claimant_name,
                "relation": s.relation,
                "shape": RELATION_STYLE.get(s.relation, OTHER_STYLE)[2],
            }
            for s in shown
        ],
        "left_out": [s.claimant_name for s in left_out],
    }


def _marker_titles(shown, kept, same) -> list[list[str]]:
    """Each marker's tooltip (the same in both layouts): who, how many, as of when, and how
    many other claimants give the same figure for the same day."""
    labels: dict = {}
    out = []
    for s, points in zip(shown, kept, strict=True):
        titles = []
        for d, v, _ in points:
            label = labels.get(d) or labels.setdefault(d, _day_label(d))
            title = f"{s.claimant_name}: {v:,} as of {label}"
            others = len(same[(d, v)]) - 1
            if others:
                title += f" (the same as {others} other claimant{'s' if others > 1 else ''})"
            titles.append(title)
        out.append(titles)
    return out


def _timeline_layout(shown, kept, marker_titles, first, last, top, same, lay: Layout) -> dict:
    font, r = lay.font, lay.marker_r
    y_labels = [f"{t:,}" for t in _ticks(top)]
    left = round(max(_text_width(label, font) for label in y_labels) + 10)
    right = lay.width - 12
    top_y = 12
    bottom_y = 215 if lay is WIDE else 190
    span = (last - first).days
    gap = 2 * r + 1.5  # between the centres of markers set side by side

    def x(day):
        return round(left + (right - left) * (day - first).days / span, 1)

    def y(value):
        return round(bottom_y - (bottom_y - top_y) * value / top, 1)

    out = []
    for i, (s, points, titles) in enumerate(zip(shown, kept, marker_titles, strict=True)):
        color, dash, shape = RELATION_STYLE.get(s.relation, OTHER_STYLE)
        drawn = []
        for (d, v, _), title in zip(points, titles, strict=True):
            group = same[(d, v)]
            dx = (group.index(i) - (len(group) - 1) / 2) * gap
            drawn.append(_marker(shape, x(d) + dx, y(v), r) | {"title": title})
        out.append(
            {
                "label": s.claimant_name,
                "relation": s.relation,
                "color": color,
                "dash": dash,
                "points": drawn,
                "markers": mark_safe("".join(_marker_svg(p, color) for p in drawn)),  # noqa: S308
                "path": " ".join(f"{p['cx']},{p['cy']}" for p in drawn),
            }
        )
    return {
        "layout": lay.name,
        "id_suffix": lay.id_suffix,
        "font": str(font),
        "width": lay.width,
        "height": bottom_y + 2 * font + 8,
        "lines": out,
        "x_ticks": time_ticks(first, last, x, font, 2, lay.width - 2, lay.max_x_ticks),
        "y_ticks": [{"y": _fmt(y(t)), "label": f"{t:,}"} for t in _ticks(top)],
        "left": str(left),
        "label_x": str(left - 4),
        "right": str(right),
        "bottom": str(bottom_y),
        "x_tick_y": str(bottom_y + 4),
        "x_label_y": str(bottom_y + font + 6),
        "top": str(top_y),
    }
