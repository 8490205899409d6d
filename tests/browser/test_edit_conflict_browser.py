"""Two tabs of one editor in a real Chromium: the second save is refused, the conflict is shown
and the text typed in the second tab is still there."""

from claims.models import Claim
from tests.browser.chromium import MARKS, OUTPUT

pytestmark = MARKS


def test_two_tabs_the_second_save_is_refused_and_keeps_its_text(
    browser, log_in, live_server, make_claim
):
    claim = make_claim(figure_text="100")
    context = browser.new_context()  # the two tabs share the login
    tab1 = context.new_page()
    log_in(tab1)
    url = f"{live_server.url}/admin/claims/claim/{claim.pk}/change/"
    tab1.goto(url)
    tab2 = context.new_page()
    tab2.goto(url)

    tab1.fill("#id_quote", "By 30 September, 700 servicemen")
    tab1.fill("#id_change_reason", "quote from the MoD")
    with tab1.expect_navigation():  # the first save has finished before the second starts
        tab1.click("input[name=_continue]")
    assert tab1.input_value("#id_quote") == "By 30 September, 700 servicemen"

    tab2.fill("#id_note", "Checked against the named list; keep this note")
    tab2.fill("#id_change_reason", "reviewer's note")
    with tab2.expect_response(lambda r: r.request.method == "POST") as answer:
        tab2.click("input[name=_continue]")
    assert answer.value.status == 409
    conflict = tab2.locator("#edit-conflict")
    conflict.wait_for(state="visible")  # the 409 page may still be rendering
    text = conflict.inner_text()
    assert "By 30 September, 700 servicemen" in text and "quote from the MoD" in text
    # What the second tab typed is still in its form.
    assert tab2.input_value("#id_note") == "Checked against the named list; keep this note"
    assert tab2.input_value("#id_change_reason") == "reviewer's note"
    OUTPUT.mkdir(exist_ok=True)
    tab2.screenshot(path=str(OUTPUT / "admin-edit-conflict.png"), full_page=True)

    claim.refresh_from_db()
    assert (claim.quote, claim.note) == ("By 30 September, 700 servicemen", "")
    assert Claim.history.filter(id=claim.pk).count() == 2
