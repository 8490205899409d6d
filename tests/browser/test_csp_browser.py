"""The public pages and the admin in a real Chromium under the production Content-Security-Policy:
the browser reports no violation (nothing of ours is blocked)."""

import pytest

from tests.browser.chromium import MARKS
from tests.casualties.test_security import production_settings

pytestmark = MARKS

# Recorded in the page before any of its own code runs; CSP does not apply to this script.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) =>
    window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


@pytest.fixture
def production_over_http(settings):
    """The production settings, less what needs TLS: the live server speaks plain http."""
    for key, value in production_settings().items():
        setattr(settings, key, value)
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def browser_log(browser):
    """A page, and every violation it reports: its own event and the browser's console log
    (the DevTools Log domain, what chromedriver's goog:loggingPrefs "browser" log returns)."""
    page = browser.new_page()
    page.add_init_script(RECORD_VIOLATIONS)
    entries = []
    cdp = page.context.new_cdp_session(page)
    cdp.on("Log.entryAdded", lambda e: entries.append(e["entry"]))
    cdp.send("Log.enable")
    page.on("console", lambda m: entries.append({"level": m.type, "text": m.text}))

    def violations():
        seen = page.evaluate("window.__csp")
        logged = [e["text"] for e in entries if "Content Security Policy" in e["text"]]
        return seen + logged

    return page, violations


@pytest.mark.django_db(transaction=True)
def test_no_csp_violation_on_the_public_pages_and_the_admin(
    production_over_http, live_server, browser_log, log_in, world, make_claim
):
    page, violations = browser_log
    claim = make_claim(figure_text="3,825")
    make_claim(figure_text="at least 2,000", claimant=world.ngo)

    response = page.goto(live_server.url + "/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert page.locator("h1").inner_text() == "Test war"
    assert violations() == []

    page.goto(live_server.url + "/parties/alpha/military-killed/")
    assert page.locator("svg.range-chart rect").count() >= 2
    assert violations() == []

    log_in(page)
    for path in (
        f"/admin/claims/claim/{claim.pk}/change/",
        "/admin/claims/claim/",
        f"/admin/claims/claim/{claim.pk}/history/",
        "/admin/claims/claim/add/",
    ):
        page.goto(live_server.url + path)
        assert page.locator("#content").count() == 1, path
        assert violations() == [], path
    # The admin's own scripts ran: the date shortcuts are added by DateTimeShortcuts.js.
    assert page.locator(".datetimeshortcuts").count() >= 1

    # The recorder itself works: an inline style added now is refused and reported.
    page.evaluate("document.head.append(Object.assign(document.createElement('style'), {textContent: 'p{}'}))")  # fmt: skip
    page.wait_for_timeout(200)
    assert any("style-src" in v for v in violations())
