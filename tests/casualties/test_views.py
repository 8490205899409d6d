"""Public reading pages: content, CSV twins, as-of, escaping, and query counts."""

import csv
import datetime
import io

import pytest
from django.test import override_settings
from django.urls import reverse

from casualties.history import change_context
from casualties.models import Event, Place, PlaceName
from claims.models import Source
from claims.public.views import (
    claim_rows,
    csv_safe,
    http_url,
    join_url,
    published_claims,
    url_pieces,
)

D = datetime.date
SETUP = "test setup"


@pytest.fixture
def ledger(world, make_claim):
    """The seed's shapes in miniature: a contradiction, a part above the whole, an adversary
    claim far above, a superseded figure, an event at a contested place."""
    w = world
    with change_context(user=None, reason=SETUP):
        w.place = Place.objects.create(
            slug="stepanakert", name="Stepanakert / Khankendi", is_contested=True
        )
        PlaceName.objects.create(place=w.place, name="Stepanakert", language="hy-Latn")
        PlaceName.objects.create(place=w.place, name="Xankəndi", language="az")
        w.event = Event.objects.create(
            conflict=w.conflict, name="Ganja attacks", slug="ganja-attacks",
            start_date=D(2020, 10, 17), place=w.place,
        )  # fmt: skip
        w.plain_source = Source.objects.create(slug="leaflet", title="A leaflet, no URL")
    w.official = make_claim(figure_text="3,825", as_of=D(2020, 11, 10), stated_on=D(2020, 11, 12))
    w.outlier = make_claim(figure_text="14.000", as_of=None, stated_on=None)
    w.child = make_claim(figure_text="7000", subject=w.alpha_army)
    w.beta_self = make_claim(figure_text="2,906", subject=w.beta, claimant=w.beta_mod)
    w.enemy = make_claim(figure_text="7,630", subject=w.beta)
    w.alpha_civ = make_claim(figure_text="85", category=w.civilians_killed)
    w.beta_civ_91 = make_claim(
        figure_text="91", category=w.civilians_killed, subject=w.beta, claimant=w.beta_mod,
        as_of=D(2020, 10, 28), stated_on=D(2020, 10, 28),
    )  # fmt: skip
    w.beta_civ_100 = make_claim(
        figure_text="100", category=w.civilians_killed, subject=w.beta, claimant=w.beta_mod,
        as_of=D(2020, 12, 1), stated_on=D(2020, 12, 1),
    )  # fmt: skip
    w.ganja = make_claim(
        figure_text="32", category=w.civilians_killed, subject=w.beta, claimant=w.ngo,
        event=w.event, place=w.place,
    )  # fmt: skip
    w.draft = make_claim(figure_text="999999", status="draft", claimant=w.ngo)
    return w


def get(client, name, *args, query=""):
    return client.get(reverse(f"casualties:{name}", args=args) + query)


def more_claims(world, make_claim, n):
    for i in range(n):
        make_claim(
            figure_text=str(100 + i), claimant=world.ngo, as_of=D(2020, 10, 1 + i % 28),
            stated_on=D(2020, 10, 1 + i % 28),
        )  # fmt: skip
        make_claim(figure_text=str(10 + i), subject=world.beta, claimant=world.alpha_mod)


@pytest.mark.django_db
class TestOverview:
    def test_it_shows_each_sides_figures_with_disputed_counts(self, client, ledger):
        page = get(client, "home").content.decode()
        assert "Side A" in page and "Side B" in page
        assert "at least 3,825" in page
        assert reverse("casualties:figure", args=["alpha", "military-killed"]) in page

    def test_it_totals_civilians_across_parties(self, client, ledger):
        page = get(client, "home").content.decode()
        assert "at least 185" in page  # 85 + 100 (the 91 is superseded)

    def test_it_shows_a_message_without_any_conflict(self, client, db):
        response = get(client, "home")
        assert response.status_code == 200
        assert b"No conflict has been entered yet" in response.content

    def test_csv_has_a_row_per_cell_and_the_totals(self, client, ledger):
        response = get(client, "conflict_csv", "test-war")
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][:5] == ["side", "party", "category", "lower", "best"]
        assert ["Alpha", "Military personnel killed", "3825"] in [r[1:4] for r in rows]
        assert ["the whole war", "Civilians killed", "185"] in [r[1:4] for r in rows]


@pytest.mark.django_db
class TestFigurePage:
    def url(self, party="alpha", category="military-killed"):
        return reverse("casualties:figure", args=[party, category])

    def test_it_explains_the_figure_and_lists_every_published_claim(self, client, ledger):
        page = client.get(self.url()).content.decode()
        assert "at least 3,825" in page
        assert "Why this number" in page and "The floor is 3,825" in page
        assert "“14.000”" in page and "held out" in page
        assert "999999" not in page  # the draft

    def test_it_draws_the_range_chart_and_timeline_with_titles(self, client, ledger):
        page = client.get(self.url("beta", "civilians-killed")).content.decode()
        assert page.count("<svg") == 4  # each chart in its wide and narrow layout
        assert page.count('class="range-chart chart-narrow"') == 1
        assert 'role="img"' in page and '<title id="range-title">' in page
        assert '<desc id="timeline-desc">' in page and "<polyline" in page

    def test_source_links_are_only_http(self, client, ledger):
        page = client.get(self.url()).content.decode()
        assert 'href="https://example.org/r"' in page
        assert http_url("javascript:alert(1)") == ""
        assert http_url("https://x.org/a") == "https://x.org/a"

    def test_flags_are_for_editors_not_readers(self, client, ledger):
        """The adversary claim far above the figure is flagged (in the admin), and the reader
        sees it as the other side's claim in its own words, not an editors' metric."""
        page = client.get(self.url("beta")).content.decode()
        assert "flagged for editors" not in page and "ratio" not in page
        assert "Disputed: the other side claims “7,630”" in page

    def test_as_of_shows_what_was_known_then(self, client, ledger):
        page = client.get(self.url("beta", "civilians-killed") + "?as_of=2020-11-01").content
        assert b"Showing only the claims stated on or before 1 November 2020" in page
        assert b"at least 91" in page

    @pytest.mark.parametrize("bad", ["2020-13-45", "yesterday", "%00", "9" * 50])
    def test_a_bad_as_of_is_ignored_with_a_message(self, client, ledger, bad):
        response = client.get(self.url(), {"as_of": bad})
        assert response.status_code == 200
        assert b"is not a date like 2020-10-17" in response.content

    def test_an_unknown_figure_is_404(self, client, ledger):
        assert client.get(self.url("nobody")).status_code == 404

    def test_csv_lists_the_claims_with_formulas_defused(self, client, ledger, make_claim):
        make_claim(figure_text="=1+1 about 5", lower=5, upper=5, qualifier="about")
        response = client.get(reverse("casualties:figure_csv", args=["alpha", "military-killed"]))
        rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert rows[0][0] == "external_id"
        assert {r[5] for r in rows[1:]} == {"3,825", "14.000", "'=1+1 about 5"}

    def test_claims_are_paginated(self, client, ledger, monkeypatch):
        monkeypatch.setattr("claims.public.views.CLAIMS_PER_PAGE", 1)
        page = client.get(self.url() + "?page=2").content.decode()
        assert "Page 2 of 2" in page and "claims 2 to 2 of 2" in page


@pytest.mark.django_db
class TestOtherPages:
    def test_party_page_shows_figures_with_children(self, client, ledger):
        page = get(client, "party", "alpha").content.decode()
        assert "Alpha army" in page and "at least 3,825" in page

    def test_category_page_lists_every_party(self, client, ledger):
        page = get(client, "category", "civilians-killed").content.decode()
        assert "at least 185 across all parties" in page

    def test_event_page(self, client, ledger):
        page = get(client, "event", "ganja-attacks").content.decode()
        assert "Stepanakert / Khankendi" in page and "“32”" in page
        assert "Reconciled figures for this event" in page

    def test_claimant_page_compares_enemy_claims(self, client, ledger):
        page = get(client, "claimant", "alpha-mod").content.decode()
        assert "7,630" in page and "2.6×" in page

    def test_place_page_shows_both_names(self, client, ledger):
        page = get(client, "place", "stepanakert").content.decode()
        assert "Stepanakert" in page and "Xankəndi" in page

    def test_claim_page(self, client, ledger):
        page = get(client, "claim", ledger.outlier.external_id).content.decode()
        assert "held out" in page

    def test_draft_claim_page_is_404(self, client, ledger):
        assert get(client, "claim", ledger.draft.external_id).status_code == 404

    def test_browse_and_methodology(self, client, ledger, django_assert_num_queries):
        assert b"Watchers" in get(client, "browse").content
        with django_assert_num_queries(0):  # the rules are constants
            page = get(client, "methodology").content.decode()
        assert "smallest figure stands" in page and "military-killed" in page

    @pytest.mark.parametrize(
        "name,slug",
        [("party_csv", "alpha"), ("category_csv", "civilians-killed"),
         ("event_csv", "ganja-attacks"), ("claimant_csv", "watchers"),
         ("place_csv", "stepanakert")],
    )  # fmt: skip
    def test_every_page_has_a_csv(self, client, ledger, name, slug):
        response = get(client, name, slug)
        assert response["Content-Type"].startswith("text/csv")
        assert len(b"".join(response.streaming_content).splitlines()) >= 2

    def test_tables_have_captions_and_header_scopes(self, client, ledger):
        page = client.get(
            reverse("casualties:figure", args=["beta", "civilians-killed"])
        ).content.decode()
        assert page.count("<table") == page.count("<caption>")
        assert '<th scope="col">' in page and '<th scope="row">' in page

    def test_csv_safe_defuses_formulas(self):
        assert [csv_safe(v) for v in ["=A1", "+1", "-1", "@x", "ok", None]] == [
            "'=A1", "'+1", "'-1", "'@x", "ok", "",
        ]  # fmt: skip

    def test_get_absolute_url_of_each_model(self, ledger):
        assert ledger.alpha.get_absolute_url() == "/parties/alpha/"
        assert ledger.killed.get_absolute_url() == "/categories/military-killed/"
        assert ledger.event.get_absolute_url() == "/events/ganja-attacks/"
        assert ledger.place.get_absolute_url() == "/places/stepanakert/"
        assert ledger.ngo.get_absolute_url() == "/claimants/watchers/"
        assert ledger.official.get_absolute_url() == f"/claims/{ledger.official.external_id}/"


# Query counts: every page reads stored figures (no page cache), so one count per page,
# whatever the number of claims. Reading stored figures is three queries (``FIGURES``):
# parties, categories, the figure rows.
FIGURES = 3
QUERY_COUNTS = [
    # 1 latest conflict, the figures, 5 sides.
    ("home", (), 2 + FIGURES),
    # 1 party with conflict, 2 category, the figures with their chart series, 6 a page of
    # claims (claimant, its party, subject, category, event, place), 7 sources, 8 the roles of
    # the page's claims, 9 deciding claims with claimants, 10 the figure's history. No COUNT:
    # the figure counted the same claims.
    ("figure", ("alpha", "military-killed"), 7 + FIGURES),
    # 1 party with conflict and side, the figures, 5 its claimants, 6 its named people counted.
    ("party", ("alpha",), 3 + FIGURES),
    # 1 category, 2 conflicts, the figures of each.
    ("category", ("civilians-killed",), 2 + FIGURES),
    # 1 event with place and conflict, the figures (names), 5 the event's figures, 6 its named
    # victims with their party, 7 count of claims, 8 a page of claims, 9 sources, 10 their
    # events, 11 their places (``ClaimQuerySet.for_listing``: only when a claim has one).
    ("event", ("ganja-attacks",), 8 + FIGURES),
    # 1 claimant with party, 2 count, 3 its highest figures about adversaries grouped by
    # subject and category, the figures, 7 a page of claims, 8 sources.
    ("claimant", ("alpha-mod",), 5 + FIGURES),
    # 1 place, 2 its names, 3 its events, 4 count of named people there, 5 count of claims,
    # 6 a page of claims, 7 sources, 8 their events, 9 their places.
    ("place", ("stepanakert",), 9),
    # 1 parties, 2 categories, 3 claimants, 4 events with places, 5 places.
    ("browse", (), 5),
]


@pytest.mark.django_db
@pytest.mark.parametrize("name,args,queries", QUERY_COUNTS)
def test_query_counts(client, ledger, make_claim, django_assert_num_queries, name, args, queries):
    url = reverse(f"casualties:{name}", args=args)
    with django_assert_num_queries(queries):
        assert client.get(url).status_code == 200
    more_claims(ledger, make_claim, 15)
    client.get(url)  # the claims' writes followed (tests/conftest.py)
    with django_assert_num_queries(queries):
        assert client.get(url + "?page=2").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [0, 15])
def test_whole_war_figure_page_query_counts(
    client, ledger, make_claim, django_assert_num_queries, extra
):
    for i in range(1 + extra):
        make_claim(
            subject=None, claimant=ledger.ngo, figure_text=f"{6000 + i:,} (5,000–9,000)",
            as_of=None, stated_on=None,
        )  # fmt: skip
    url = reverse("casualties:war_figure", args=["test-war", "military-killed"])
    client.get(url)  # the claims' writes followed (tests/conftest.py)
    # 1 conflict, 2 category, the figures with their series, 6 a page of claims, 7 sources,
    # 8 their roles, 9 the figure's history. No deciding-claims query: the whole war's floor
    # is a roll-up.
    with django_assert_num_queries(6 + FIGURES):
        page = client.get(url)
    assert "6,000 (5,000–9,000)" in page.content.decode()


@pytest.mark.django_db
def test_claim_page_query_counts(client, ledger, django_assert_num_queries):
    # 1 the claim with everything it shows, 2 its sources, 3 its role in its figure.
    with django_assert_num_queries(3):
        client.get(ledger.outlier.get_absolute_url())


@pytest.mark.django_db
def test_a_write_shows_on_the_next_read(client, ledger):
    from claims.services import claim_update

    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    assert b"at least 3,825" in client.get(url).content
    claim_update(claim=ledger.official, user=None, reason="MoD update", figure_text="3,900")
    assert b"at least 3,900" in client.get(url).content


@pytest.mark.django_db
def test_a_page_with_a_bad_date_is_not_cached(client, ledger):
    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    client.get(url + "?as_of=first")
    assert "“second”" in client.get(url + "?as_of=second").content.decode()


@pytest.mark.django_db
def test_a_future_as_of_is_ignored_with_a_message(client, ledger):
    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    response = client.get(url + "?as_of=2999-01-01")
    assert b"is in the future; showing what is known today" in response.content
    assert b"at least 3,825" in response.content


@pytest.mark.django_db
def test_as_known_on_pages_are_rendered_each_time(client, ledger, django_assert_num_queries):
    url = reverse("casualties:figure", args=["alpha", "military-killed"]) + "?as_of=2020-11-15"
    assert b"at least 3,825" in client.get(url).content
    # Only the figures are cached: 1 party, 2 category, 3 the data state (the cache key),
    # 4 deciding claims, 5 a page of claims, 6 their sources.
    with django_assert_num_queries(6):
        client.get(url)


@pytest.mark.django_db
def test_a_source_title_edit_shows_at_once_and_moves_no_figure(client, ledger):
    """A page holds more than figures: a source's title changed in the admin shows at once,
    and no figure is written for it (no figure history row)."""
    from casualties.history import save_with_history
    from claims.models import ReconciledFigure

    url = ledger.official.get_absolute_url()
    source = ledger.official.sources.first()
    assert source.title.encode() in client.get(url).content
    figures = ReconciledFigure.history.count()
    source.title = "A corrected title"
    save_with_history(source, user=None, reason="typo")
    assert b"A corrected title" in client.get(url).content
    assert ReconciledFigure.history.count() == figures


# --- the page cache (claims/public/page_cache.py; off in the other tests) ---------------------


@pytest.fixture
def page_cache_on(monkeypatch):
    from claims.public import page_cache

    monkeypatch.setattr(page_cache, "ENABLED", True)
    return page_cache


@pytest.mark.django_db
def test_a_kept_page_costs_the_data_state_query_only(
    page_cache_on, client, ledger, django_assert_num_queries
):
    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    first = client.get(url).content
    with django_assert_num_queries(1):
        assert client.get(url).content == first


@pytest.mark.django_db
def test_a_write_shows_on_the_next_read_of_a_kept_page(page_cache_on, client, ledger):
    from claims.services import claim_update

    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    assert b"at least 3,825" in client.get(url).content
    claim_update(claim=ledger.official, user=None, reason="MoD update", figure_text="3,900")
    assert b"at least 3,900" in client.get(url).content  # the write moved the data state


@pytest.mark.django_db
def test_made_up_parameters_share_one_entry(
    page_cache_on, client, ledger, django_assert_num_queries
):
    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    client.get(url + "?utm=1")
    with django_assert_num_queries(1):
        client.get(url + "?utm=2&x=y")


@pytest.mark.django_db
def test_as_known_on_later_pages_and_csv_are_not_kept(page_cache_on, client, ledger):
    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    for query in ("?as_of=2020-11-15", "?page=21"):
        client.get(url + query)
        assert page_cache_on.page_key(client.get(url + query).wsgi_request) is None
    csv = client.get(reverse("casualties:figure_csv", args=["alpha", "military-killed"]))
    assert csv.streaming


@pytest.mark.django_db
def test_a_restore_cannot_bring_back_a_kept_page(page_cache_on, client, ledger):
    """A rebuild (as after a restore) starts a new epoch: no key of before is read again."""
    from claims.refresh import rebuild

    page_cache = page_cache_on

    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    response = client.get(url)
    before = page_cache.page_key(response.wsgi_request)
    rebuild(reason="restored")
    assert page_cache.page_key(client.get(url).wsgi_request) != before


@pytest.mark.django_db
def test_a_page_rendered_by_one_process_is_read_by_another(
    page_cache_on, client, ledger, django_assert_num_queries
):
    """The rendered page is kept in the database too: a process with an empty cache of its own
    (a new or recycled worker, another machine) reads it instead of rendering it."""
    from django.core.cache import cache

    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    first = client.get(url).content
    cache.clear()  # as in a worker that has just started
    with django_assert_num_queries(2):  # the data state, the rendered page
        assert client.get(url).content == first
    with django_assert_num_queries(1):  # now in its own cache as well
        assert client.get(url).content == first


@pytest.mark.django_db
def test_a_shared_page_of_a_past_data_state_is_not_served(page_cache_on, client, ledger):
    from django.core.cache import cache

    from claims.models import RenderedPage
    from claims.services import claim_update

    url = reverse("casualties:figure", args=["alpha", "military-killed"])
    assert b"at least 3,825" in client.get(url).content
    claim_update(claim=ledger.official, user=None, reason="MoD update", figure_text="3,900")
    cache.clear()
    assert b"at least 3,900" in client.get(url).content
    assert RenderedPage.objects.count() == 1  # the address's row was replaced, not added


@pytest.mark.django_db
def test_the_shared_pages_are_bounded(page_cache_on, client, ledger, settings):
    from claims.models import RenderedPage
    from claims.refresh import rebuild

    settings.SHARED_PAGES_MAX = 3
    client.get(reverse("casualties:home"))
    client.get(reverse("casualties:browse"))
    rebuild(reason="restored")  # a new data state: the rows above are of a past one
    old = set(RenderedPage.objects.values_list("token", flat=True))
    for party in ("alpha", "beta"):
        for category in ("military-killed", "civilians-killed"):
            response = client.get(reverse("casualties:figure", args=[party, category]))
            assert response.status_code == 200
    assert RenderedPage.objects.count() == 3
    assert not RenderedPage.objects.filter(token__in=old).exists()


@pytest.mark.django_db
def test_an_address_that_does_not_exist_is_not_kept(page_cache_on, client, ledger):
    from claims.models import RenderedPage

    for i in range(5):
        assert client.get(f"/parties/made-up-{i}/military-killed/").status_code == 404
    assert not RenderedPage.objects.exists()


@pytest.mark.django_db
def test_an_overview_cell_names_three_independent_claims_and_counts_the_rest(
    client, world, make_claim
):
    """The overview reads each figure's first independent claims, stored beside it
    (``ReconciledFigure.independent_first``): those deciding it first, then in the order
    entered; the rest are counted and linked. A past day's computed figure shows the same."""
    from claims.models import Claimant

    with change_context(user=None, reason="test"):
        ngos = [
            Claimant.objects.create(name=f"Monitor {i}", slug=f"monitor-{i}", kind="ngo")
            for i in range(5)
        ]
    for i, ngo in enumerate(ngos):  # the largest floor, the last one entered, decides
        make_claim(claimant=ngo, figure_text=f"at least {100 + 50 * i}")

    def cell():
        html = client.get(reverse("casualties:home") + query).content.decode()
        row = html[html.index(">Alpha</a></th>") :]
        return row[: row.index("</tr>")]

    for query in ("", "?as_of=2020-10-20"):
        shown = cell()
        named = [
            f"at least {100 + 50 * i}" for i in range(5) if f"at least {100 + 50 * i}<" in shown
        ]
        assert named == ["at least 100", "at least 150", "at least 300"], query
        assert shown.index("at least 300") < shown.index("at least 100")  # deciding first
        assert "2 more</a>" in shown, query


def test_figure_links_follow_the_url_patterns(client, world, make_claim):
    """A claim's figure address, in a claims table and in the overview, comes from the URL
    pattern of a figure (one home): reshaped there, every link follows."""
    on_party, on_war = make_claim(figure_text="12"), make_claim(figure_text="40", subject=None)
    with override_settings(ROOT_URLCONF="tests.casualties.reshaped_urls"):
        claims = sorted(published_claims(), key=lambda c: c.subject_id is None)
        expected = [
            "/losses/alpha/of/military-killed/",
            "/losses/whole-war/test-war/of/military-killed/",
        ]
        assert [claim.figure_url for claim in (on_party, on_war)] == expected
        assert [row["figure_url"] for row in claim_rows(claims)] == expected
        page = client.get("/wars/test-war/").content.decode()
        assert f'href="{expected[0]}"' in page and "/parties/alpha/military-killed/" not in page
        # Slugs that look like the placeholders the pieces were cut at are only slugs.
        pieces = url_pieces("casualties:figure", 2)
        assert join_url(pieces, "slot1x", "slot0x") == "/losses/slot1x/of/slot0x/"
