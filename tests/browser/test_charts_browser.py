"""The figure page's charts in a real Chromium (Debian's) on a 390 px phone and on a desktop: the
layout for the width is shown, the other one is not, and every chart label is at least 12 CSS px
once the SVG is scaled to the page, inside its chart, and years label the time axis."""

import datetime
import re

import pytest

from tests.browser.chromium import MARKS, OUTPUT

pytestmark = MARKS
D = datetime.date

# Per visible chart text: its rendered font size (the computed size in viewBox units times the
# SVG's scale on screen), its box, and whether it lies inside its SVG.
MEASURE = """() => [...document.querySelectorAll("figure.chart svg")].map((svg) => ({
    cls: svg.getAttribute("class"),
    visible: svg.checkVisibility(),
    width: svg.getBoundingClientRect().width,
    texts: [...svg.querySelectorAll("text")].filter((t) => t.checkVisibility()).map((t) => {
        const box = t.getBoundingClientRect(), outer = svg.getBoundingClientRect();
        return {
            text: t.textContent,
            px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
            inside: box.left >= outer.left - 0.5 && box.right <= outer.right + 0.5
                && box.top >= outer.top - 0.5 && box.bottom <= outer.bottom + 0.5,
            left: box.left, right: box.right, top: box.top,
        };
    }),
}))"""


@pytest.fixture
def claims(world, make_claim):
    make_claim(figure_text="1,200", as_of=D(2020, 10, 10), stated_on=D(2020, 10, 10))
    make_claim(figure_text="3,825", as_of=D(2020, 11, 10), stated_on=D(2020, 11, 12))
    make_claim(figure_text="at least 2,000", claimant=world.ngo, as_of=D(2020, 11, 10))
    make_claim(figure_text="7,630", claimant=world.beta_mod, as_of=D(2020, 11, 10))
    # The same figure on the same day from two claimants: both markers must show.
    make_claim(figure_text="1,200", claimant=world.ngo, as_of=D(2020, 10, 10))


def charts_at(browser, url, width, name):
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(url)
    OUTPUT.mkdir(exist_ok=True)
    page.locator("#charts-heading").scroll_into_view_if_needed()
    for i, figure in enumerate(page.locator("figure.chart").all()):
        figure.screenshot(path=str(OUTPUT / f"chart-{i}-{name}.png"))
    measured = page.evaluate(MEASURE)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    return measured, scroll_width


def check_readable(svgs, shown, hidden):
    visible = [svg for svg in svgs if svg["visible"]]
    assert sorted(svg["cls"] for svg in visible) == sorted(
        f"{kind}-chart chart-{shown}" for kind in ("range", "timeline")
    )
    assert all(not svg["visible"] for svg in svgs if f"chart-{hidden}" in svg["cls"])
    for svg in visible:
        assert len(svg["texts"]) >= 3, svg
        for text in svg["texts"]:
            assert text["px"] >= 12, (svg["cls"], text)
            assert text["inside"], (svg["cls"], text)
    return {svg["cls"].split()[0]: svg for svg in visible}


def time_labels(timeline):
    # The x-axis labels: the lowest row of text in the timeline.
    bottom = max(t["top"] for t in timeline["texts"])
    return sorted((t for t in timeline["texts"] if t["top"] == bottom), key=lambda t: t["left"])


@pytest.mark.django_db(transaction=True)
def test_charts_are_readable_on_a_390px_phone(live_server, browser, claims):
    url = live_server.url + "/parties/alpha/military-killed/"
    svgs, scroll_width = charts_at(browser, url, 390, "390")
    shown = check_readable(svgs, "narrow", "wide")
    assert scroll_width <= 390
    labels = time_labels(shown["timeline-chart"])
    assert labels[0]["text"] == "10 Oct 2020" and len(labels) >= 2
    assert all(re.fullmatch(r"(\d\d? )?[A-Z][a-z]{2} 2020", t["text"]) for t in labels), labels
    for a, b in zip(labels, labels[1:], strict=False):
        assert a["right"] < b["left"]  # no overlap


@pytest.mark.django_db(transaction=True)
def test_charts_on_a_desktop_use_the_wide_layout(live_server, browser, claims):
    url = live_server.url + "/parties/alpha/military-killed/"
    svgs, _ = charts_at(browser, url, 1280, "1280")
    shown = check_readable(svgs, "wide", "narrow")
    for t in time_labels(shown["timeline-chart"]):
        assert re.search(r"\b20\d\d$", t["text"]), t
