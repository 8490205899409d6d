"""The API's browsable page (Swagger UI from the sidecar's static files) works in a real
Chromium under the production Content-Security-Policy: it renders every operation,
and the browser reports no violation."""

import pytest

from tests.browser.chromium import MARKS
from tests.browser.test_csp_browser import browser_log, production_over_http  # noqa: F401

pytestmark = MARKS


@pytest.mark.django_db(transaction=True)
def test_the_api_docs_page_runs_under_the_csp(
    production_over_http,  # noqa: F811
    live_server,
    browser_log,  # noqa: F811
    world,
    settings,
):
    settings.API_RATE = "100000/minute"
    page, violations = browser_log
    response = page.goto(live_server.url + "/api/v1/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary-path", timeout=15000)
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/figures/" in p for p in paths)
    assert violations() == []
