"""An editor's key flow in a real Chromium: log in, enter a claim in words, see the bounds,
change it with a reason, and find the revision in the history."""

import os
import shutil
from pathlib import Path

import pytest

from claims.models import Claim

CHROMIUM = "/usr/bin/chromium"
OUTPUT = Path(__file__).resolve().parents[2] / "test-output"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]
# Playwright's sync API runs an event loop in this thread; the ORM calls here are synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run",
            ],
        )  # fmt: skip
        page = browser.new_page()
        yield page
        browser.close()


def test_an_editor_enters_and_revises_a_claim(page, live_server, world, admin_user, make_claim):
    claim = make_claim(figure_text="100")
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "boss")
    page.fill("#id_password", "pw-boss-123!")
    page.click("input[type=submit]")
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    page.fill("#id_figure_text", "more than 700")
    page.fill("#id_lower", "")
    page.fill("#id_upper", "")
    page.select_option("#id_qualifier", "")
    page.click("input[name=_continue]")
    # Without a reason the save is refused and the words stay in the form.
    assert page.input_value("#id_figure_text") == "more than 700"
    assert "This field is required." in page.content()
    page.fill("#id_change_reason", "Azerbaijani MoD, 30 September")
    page.click("input[name=_continue]")
    assert page.input_value("#id_lower") == "701"
    assert page.input_value("#id_upper") == ""
    claim.refresh_from_db()
    assert (claim.lower, claim.upper, claim.qualifier) == (701, None, "more_than")

    page.click("a.historylink")
    history = page.content()
    assert "Azerbaijani MoD, 30 September" in history
    assert "more than 700" in history
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "admin-claim-history.png"), full_page=True)
    assert Claim.history.filter(id=claim.pk).count() == 2
