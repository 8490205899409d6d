"""The public pages in a real Chromium (Debian's), driven by Playwright against live_server."""

import datetime

import pytest

from tests.browser.chromium import MARKS, OUTPUT

pytestmark = MARKS


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})  # a phone
    yield context.new_page()
    context.close()


@pytest.mark.django_db(transaction=True)
def test_overview_links_to_a_figure_page_with_its_chart_drawn(live_server, page, world, make_claim):
    make_claim(figure_text="3,825", as_of=datetime.date(2020, 11, 10))
    make_claim(figure_text="1,200", as_of=datetime.date(2020, 10, 10))
    make_claim(figure_text="at least 2,000", claimant=world.ngo)
    make_claim(figure_text="14.000", as_of=None, stated_on=None)

    OUTPUT.mkdir(exist_ok=True)
    page.goto(live_server.url + "/")
    assert page.locator("h1").inner_text() == "Test war"
    page.screenshot(path=str(OUTPUT / "overview.png"), full_page=True)
    page.get_by_role("link", name="at least 3,825").first.click()
    page.wait_for_url("**/parties/alpha/military-killed/")

    chart = page.locator("svg.range-chart:visible")  # the narrow layout on a phone
    assert (
        chart.locator("title").first.text_content().startswith("Alpha, military personnel killed")
    )
    assert chart.locator("rect").count() >= 3  # the band and a bar per claimant
    assert chart.locator("line").count() >= 2
    box = chart.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 50
    timeline = page.locator("svg.timeline-chart:visible")
    assert timeline.locator("circle").count() >= 2
    # The page fits a phone's width: nothing but the claims table scrolls sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.screenshot(path=str(OUTPUT / "figure-page.png"), full_page=True)
    assert (OUTPUT / "figure-page.png").stat().st_size > 1000
