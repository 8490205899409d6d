"""An editor's key flow in a real Chromium: log in, enter a claim in words, see the bounds,
change it with a reason, and find the revision in the history."""

from claims.models import Claim
from tests.browser.chromium import MARKS, OUTPUT

pytestmark = MARKS


def test_an_editor_enters_and_revises_a_claim(browser, log_in, live_server, world, make_claim):
    claim = make_claim(figure_text="100")
    page = browser.new_page()
    log_in(page)
    page.goto(f"{live_server.url}/admin/claims/claim/{claim.pk}/change/")
    page.fill("#id_figure_text", "more than 700")
    page.fill("#id_lower", "")
    page.fill("#id_upper", "")
    page.fill("#id_best", "")  # all the bounds cleared, so they are read from the words
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
