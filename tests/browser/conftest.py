"""The browser, and logging in to the admin through its login form, for every browser test."""

import pytest

from tests.browser.chromium import ARGS, CHROMIUM


@pytest.fixture
def browser():
    """Debian's Chromium, headless, driven by Playwright's sync API."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _figures_follow_writes_before_each_page(monkeypatch):
    """As tests/conftest.py does for the test client: a test's own writes (through services,
    not a request) are followed before the browser opens a page, as the writer's request or
    command would have done."""
    from playwright.sync_api import Page

    from tests.conftest import follow_writes

    for name in ("goto", "reload"):
        original = getattr(Page, name)

        def followed(self, *args, _original=original, **kwargs):
            follow_writes()
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Page, name, followed)


@pytest.fixture
def log_in(live_server, admin_user):
    """``log_in(page)`` signs ``page`` (and its browser context) in to the admin as
    ``admin_user``, the way an editor does, and waits for the admin index."""

    def log_in(page):
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", admin_user.username)
        page.fill("#id_password", "pw-boss-123!")  # tests/conftest.py's admin_user
        page.click("input[type=submit]")
        page.wait_for_url("**/admin/")

    return log_in
