"""The walk-through of issue 16 in a real Chromium: a new editor adds a source and three claims
from it and submits them; a reviewer publishes them from the desk; the claims are on the public
pages. Every click is counted (``Clicks``); docs/editors-desk.md gives the counts before and
after."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from claims.models import Claim, Source
from tests.browser.chromium import MARKS, OUTPUT

pytestmark = MARKS

PASSWORD = "pw-walk-through-1!"


class Clicks:
    """A page whose clicks are counted (typing is not a click)."""

    def __init__(self, page):
        self.page, self.count = page, 0

    def click(self, selector, **kwargs):
        self.count += 1
        self.page.click(selector, **kwargs)

    def pick(self, field, text):
        """Choose ``text`` in the autocomplete picker of ``field``: open it, type, choose (2)."""
        self.click(f"#id_{field} + .select2 .select2-selection")
        self.page.fill(".select2-container--open .select2-search__field", text)
        self.click(f".select2-results__option:has-text('{text}')")


@pytest.fixture
def person(db):
    def make(role):
        user = get_user_model().objects.create_user(role, password=PASSWORD, is_staff=True)
        user.groups.add(Group.objects.get(name=role))
        return user

    return make


def log_in(page, live_server, username):
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")  # not counted: the walk-through starts logged in
    page.wait_for_url("**/admin/")


@pytest.mark.django_db(transaction=True)
def test_a_source_three_claims_submitted_reviewed_published_and_read(
    browser, live_server, world, person
):
    person("editor"), person("reviewer")
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, "editor")
    ed = Clicks(page)

    # A source, and straight on to its first claim.
    ed.click("a[href$='/admin/claims/source/add/']")
    page.fill("#id_title", "Ministry bulletin 12")
    page.fill("#id_url", "https://example.org/bulletin-12")
    page.fill("#id_change_reason", "New bulletin")
    ed.click("input[name=_addclaim]")
    page.wait_for_url("**/admin/claims/claim/add/?source=*")
    source = Source.objects.get(title="Ministry bulletin 12")
    assert source.slug == "ministry-bulletin-12"  # filled in from the title

    # The conflict is the only one; the source is cited already.
    figures = [("Alpha", "Military personnel killed", "120"),
               ("Beta", "Military personnel killed", "at least 300"),
               ("Alpha", "Tanks destroyed", "12")]  # fmt: skip
    for i, (subject, category, figure) in enumerate(figures):
        if i == 0:
            ed.pick("claimant", "Alpha MoD")
            page.fill("#id_stated_on", "2020-10-05")
            page.fill("#id_as_of", "2020-10-05")
        ed.pick("subject", subject)
        ed.pick("category", category)
        page.fill("#id_figure_text", figure)
        page.fill("#id_change_reason", "From bulletin 12")
        last = i == len(figures) - 1
        ed.click("input[name=_save]" if last else "input[name=_addanother_from_source]")
        if not last:
            page.wait_for_url("**/admin/claims/claim/add/?*")
            assert page.input_value("#id_stated_on") == "2020-10-05"
    page.wait_for_url("**/admin/claims/claim/")
    claims = list(Claim.objects.filter(sources=source).order_by("pk"))
    assert [c.figure_text for c in claims] == ["120", "at least 300", "12"]
    assert {c.claimant.slug for c in claims} == {"alpha-mod"}

    # The editor's desk lists the three drafts; each is submitted from its page.
    ed.click("#site-name a")
    for claim in claims:
        ed.click(f"#desk-drafts a[href$='/claims/claim/{claim.pk}/change/']")
        ed.click("a.transition-link:has-text('Submit for review')")
        page.fill("#id_reason", "Ready")
        ed.click("input[type=submit][value='Submit for review']")
        page.wait_for_url(f"**/claims/claim/{claim.pk}/change/")
        ed.click("#site-name a")
    assert set(Claim.objects.values_list("status", flat=True)) == {"in_review"}
    editor_clicks = ed.count
    context.close()

    # The reviewer's desk says three are waiting; each is published from the queue.
    context = browser.new_context()
    page = context.new_page()
    log_in(page, live_server, "reviewer")
    assert "3 claims" in page.locator("#desk-review").inner_text()
    rv = Clicks(page)
    for claim in claims:
        rv.click("#desk-review a")
        rv.click(f"a[href$='/claims/claim/{claim.pk}/change/']")
        rv.click("a.transition-link:has-text('Publish')")
        page.fill("#id_reason", "Checked against the bulletin")
        rv.click("input[type=submit][value='Publish']")
        page.wait_for_url(f"**/claims/claim/{claim.pk}/change/")
        if claim != claims[-1]:
            rv.click("#site-name a")
    assert set(Claim.objects.values_list("status", flat=True)) == {"published"}

    # The last one's "View on site" is its public page, which links to the figure's page.
    rv.click("a.viewsitelink")
    page.wait_for_url(f"**/claims/{claims[-1].external_id}/")
    public = page
    assert "Alpha MoD: “12”" in public.content()
    rv.click("nav.crumbs a:has-text('Alpha')")
    # Wait for the figure's page itself: reading the page mid-navigation gave "" once.
    public.wait_for_url("**/parties/alpha/tanks-destroyed/")
    public.wait_for_load_state()
    assert "12" in public.content()
    OUTPUT.mkdir(exist_ok=True)
    public.screenshot(path=str(OUTPUT / "walk-through-figure.png"), full_page=True)
    reviewer_clicks = rv.count
    context.close()

    # docs/editors-desk.md counts them: the editor 2 (source) + 7 + 5 + 5 (claims) + 1 + 3 × 4
    # (submit from the desk); the reviewer 3 × 4 (publish from the desk) + 2 (home between
    # them) + 2 (view on site, the figure's page).
    assert (editor_clicks, reviewer_clicks) == (32, 16)
