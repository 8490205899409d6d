"""The charts' geometry (claims/public/charts.py): years on time axes, equal claims both visible,
labels that fit. Pure functions of the claimants' series: no database, no browser."""

import datetime
import math
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from claims.public import charts
from claims.rules import ClaimantSeries

D = datetime.date
YEAR = re.compile(r"\b(1[89]|20|21)\d\d$")


def series(name, relation="self", points=(), low=None, high=None, open_high=False, cid=None):
    return ClaimantSeries(
        claimant_id=cid or abs(hash(name)) % 10_000, claimant_name=name,
        claimant_slug=name.lower().replace(" ", "-"), relation=relation, count=len(points),
        low=low, high=high, open_high=open_high,
        points=[(d, v, f"claim {i}") for i, (d, v) in enumerate(points)],
    )  # fmt: skip


def extents(tick, font):
    left = float(tick["x"])
    return left, left + charts._text_width(tick["label"], font)


def assert_ticks_fit(ticks, layout):
    spans = [extents(t, layout.font) for t in ticks]
    for left, right in spans:
        assert left >= 0 and right <= layout.width, (ticks, layout.name)
    for (_, a_right), (b_left, _) in zip(spans, spans[1:], strict=False):
        assert b_left > a_right, ticks


def centre(p):
    return float(p["cx"]), float(p["cy"])


class TestTimeAxis:
    def timeline(self, first, last):
        return charts.timeline_chart([series("A MoD", points=[(first, 10), (last, 90)])])

    def test_the_war_months_carry_their_year(self):
        chart = self.timeline(D(2020, 9, 27), D(2020, 11, 10))
        assert [t["label"] for t in chart["wide"]["x_ticks"]] == ["Oct 2020", "Nov 2020"]
        assert [t["label"] for t in chart["narrow"]["x_ticks"]] == ["Oct 2020", "Nov 2020"]

    def test_a_short_span_is_labelled_with_days_and_the_year(self):
        chart = self.timeline(D(2020, 10, 17), D(2020, 10, 20))
        labels = [t["label"] for t in chart["wide"]["x_ticks"]]
        assert labels[0] == "17 Oct 2020" and labels[-1] == "20 Oct 2020"

    def test_a_single_day_is_labelled_with_its_year(self):
        chart = charts.timeline_chart([series("A MoD", points=[(D(2020, 10, 17), 5)])])
        for layout in chart["layouts"]:
            assert "17 Oct 2020" in [t["label"] for t in layout["x_ticks"]]

    @settings(max_examples=300, deadline=None)
    @given(
        first=st.dates(D(1990, 1, 1), D(2040, 1, 1)),
        days=st.integers(0, 365 * 40),
    )
    def test_every_label_has_a_year_and_they_fit_without_overlapping(self, first, days):
        chart = self.timeline(first, first + datetime.timedelta(days=days))
        for layout, lay in zip(chart["layouts"], charts.LAYOUTS, strict=True):
            assert 1 <= len(layout["x_ticks"]) <= lay.max_x_ticks
            for tick in layout["x_ticks"]:
                assert YEAR.search(tick["label"]), tick
            assert_ticks_fit(layout["x_ticks"], lay)
            if days >= 2:
                assert len(layout["x_ticks"]) >= 2


class TestEqualClaims:
    DAY = D(2020, 10, 20)

    def test_two_claimants_with_the_same_figure_on_the_same_day_are_both_visible(self):
        chart = charts.timeline_chart(
            [
                series("Beta MoD", "adversary", [(D(2020, 10, 1), 50), (self.DAY, 100)]),
                series("Watchers", "independent", [(D(2020, 10, 2), 40), (self.DAY, 100)]),
            ]
        )
        for layout, lay in zip(chart["layouts"], charts.LAYOUTS, strict=True):
            a, b = (line["points"][-1] for line in layout["lines"])
            (ax, ay), (bx, by) = centre(a), centre(b)
            assert ay == by  # the figure is not moved
            assert abs(ax - bx) >= 2 * lay.marker_r  # side by side, not on top of each other
            # Centred on the day: the mean of the two is where a lone claim that day is drawn.
            alone = charts.timeline_chart(
                [series("X", points=[(D(2020, 10, 1), 50), (D(2020, 10, 2), 40), (self.DAY, 100)])]
            )[lay.name]["lines"][0]["points"][-1]
            assert (ax + bx) / 2 == float(alone["cx"]) and ay == float(alone["cy"])
            assert "the same as 1 other claimant" in a["title"] and "20 Oct 2020" in a["title"]
            # Each line passes through its own marker.
            for line in layout["lines"]:
                last = line["points"][-1]
                assert line["path"].split()[-1] == f"{last['cx']},{last['cy']}"

    def test_claimants_of_the_same_relation_are_set_apart_too(self):
        lines = [series(f"NGO {i}", "independent", [(self.DAY, 7)]) for i in range(3)]
        chart = charts.timeline_chart(lines)
        for layout, lay in zip(chart["layouts"], charts.LAYOUTS, strict=True):
            centres = [centre(line["points"][0]) for line in layout["lines"]]
            assert len(centres) == 3
            for i, (x1, y1) in enumerate(centres):
                for x2, y2 in centres[i + 1 :]:
                    assert math.dist((x1, y1), (x2, y2)) >= 2 * lay.marker_r
            xs = sorted(x for x, _ in centres)
            alone = charts.timeline_chart([series("one", "independent", [(self.DAY, 7)])])
            assert xs[1] == float(alone[lay.name]["lines"][0]["points"][0]["cx"])  # on the day

    def test_different_figures_on_the_same_day_are_not_moved(self):
        chart = charts.timeline_chart(
            [series("A", "self", [(self.DAY, 10)]), series("B", "adversary", [(self.DAY, 90)])]
        )
        a, b = (line["points"][0] for line in chart["wide"]["lines"])
        assert a["cx"] == b["cx"] and a["cy"] != b["cy"]
        assert "same as" not in a["title"]

    def test_each_relation_has_its_own_marker_shape(self):
        chart = charts.timeline_chart(
            [
                series(name, relation, [(self.DAY, 5)])
                for name, relation in [
                    ("A", "self"), ("B", "independent"), ("C", "adversary"), ("D", "partisan")
                ]
            ]
        )  # fmt: skip
        shapes = [line["points"][0]["shape"] for line in chart["wide"]["lines"]]
        assert sorted(shapes) == ["circle", "diamond", "square", "triangle"]
        assert {item["shape"] for item in chart["legend"]} == set(shapes)

    def test_identical_ranges_of_different_claimants_are_separate_bars(self):
        chart = charts.range_chart(
            [
                series("Watchers", "independent", low=100, high=200),
                series("Observers", "independent", low=100, high=200),
            ],
            None,
        )
        for layout in chart["layouts"]:
            a, b = layout["bars"]
            assert (a["label"], b["label"]) == ("Watchers", "Observers")
            assert (a["x1"], a["width"]) == (b["x1"], b["width"])
            top_a, top_b = float(a["y"]), float(b["y"])
            assert top_b >= top_a + float(a["height"])  # rows, not drawn over each other


class TestLabelsFit:
    def test_range_chart_ticks_fit_and_long_names_are_shortened(self):
        chart = charts.range_chart(
            [
                series("A ministry of defence with a very long official name", low=10, high=20),
                series("Watchers", "independent", low=3_000_000, open_high=True),
            ],
            None,
        )
        for layout, lay in zip(chart["layouts"], charts.LAYOUTS, strict=True):
            assert layout["font"] == str(lay.font)
            assert_ticks_fit(layout["ticks"], lay)
            label = layout["bars"][0]["short_label"]
            assert label.endswith("…")
            if lay is charts.NARROW:
                assert float(layout["label_x"]) + charts._text_width(label, lay.font) <= lay.width

    def test_the_narrow_layout_is_a_phone_width_with_larger_text(self):
        # 390 px viewport less 2 × 12 px padding: at least 12 px text (ledger.css caps it at 25rem).
        assert 366 / charts.NARROW.width * charts.NARROW.font >= 12 * 1.1
        assert 400 / charts.NARROW.width * charts.NARROW.font <= 16
        assert charts.WIDE.width >= 640 and charts.WIDE.font >= 12
