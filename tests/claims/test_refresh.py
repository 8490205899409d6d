"""Stored figures follow every write: incremental recomputes equal a full rebuild, figures keep
their history with the writes' reasons, and the data state moves (claims/refresh.py)."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from casualties.history import change_context, save_with_history
from casualties.models import CasualtyRecord, Category, Conflict, DataChange, Party, Side
from claims import figure_store
from claims.loaders import compute
from claims.models import Claimant, FigureClaimRole, ReconciledFigure
from claims.refresh import catch_up, rebuild, state_token
from claims.services import claim_create, claim_retract, claim_update

D = datetime.date
REASON = "test"


def stored(conflict_id) -> dict:
    """Every stored figure and role of a conflict, as comparable values."""
    figures = {
        row.key: {name: getattr(row, name) for name in [*figure_store.TRACKED, "series"]}
        for row in ReconciledFigure.objects.filter(conflict_id=conflict_id)
    }
    roles = dict(
        FigureClaimRole.objects.filter(conflict_id=conflict_id).values_list("claim_id", "role")
    )
    return {"figures": figures, "roles": roles}


def full(conflict_id) -> dict:
    """What a rebuild from nothing would store for the conflict."""
    result = compute(conflict_id)
    figures, roles = {}, {}
    for cid, cr in result.categories.items():
        for (subject_id, event_id), fig in cr.figures.items():
            series = cr.series.get(subject_id, []) if event_id is None else []
            totals = cr.derived_totals.get((subject_id, event_id), [])
            figures[figure_store.figure_key(subject_id, cid, event_id)] = figure_store.columns(
                fig, totals, series
            )
        roles.update({claim_id: role for claim_id, (role, _) in cr.roles.items()})
    return {"figures": figures, "roles": roles}


# --- incremental == full, over random edit sequences ------------------------------------------

FIGURES = ["100", "about 250", "at least 90", "300 (250–400)", "1,200", "up to 500", "12"]
OUTCOMES = ["killed", "missing", "wounded"]
# From the default data: a kind of loss counted from named records too, and equipment whose
# claims roll up into their parents and, by outcome, into "lost" (rules.conflict).
CATEGORIES = [
    "military-killed", "t-72-destroyed", "tanks-destroyed", "armoured-vehicles-damaged",
    "equipment-destroyed",
]  # fmt: skip


class Edits(RuleBasedStateMachine):
    """Random writes through the services (claims created, corrected, moved, retracted;
    named records added and changed; parties moved in the tree; a category's parent changed);
    after each, ``catch_up`` must leave exactly what a full rebuild stores."""

    @initialize()
    def world(self):
        n = Conflict.objects.count()
        with change_context(user=None, reason=REASON):
            self.conflict = Conflict.objects.create(
                name=f"War {n}", slug=f"war-{n}", start_date=D(2020, 9, 27)
            )
            a = Side.objects.create(conflict=self.conflict, name="A", slug=f"a-{n}")
            b = Side.objects.create(conflict=self.conflict, name="B", slug=f"b-{n}")
            self.alpha = Party.objects.create(
                conflict=self.conflict, name="Alpha", slug=f"alpha-{n}", side=a
            )
            self.beta = Party.objects.create(
                conflict=self.conflict, name="Beta", slug=f"beta-{n}", side=b
            )
            self.army = Party.objects.create(
                conflict=self.conflict, name="Army", slug=f"army-{n}", side=a, parent=self.alpha
            )
            self.claimants = [
                Claimant.objects.create(name=f"MoD A {n}", slug=f"mod-a-{n}", party=self.alpha),
                Claimant.objects.create(name=f"MoD B {n}", slug=f"mod-b-{n}", party=self.beta),
                Claimant.objects.create(name=f"NGO {n}", slug=f"ngo-{n}", kind="ngo"),
            ]
        by_slug = Category.objects.in_bulk(CATEGORIES, field_name="slug")
        self.categories = [by_slug[slug] for slug in CATEGORIES]
        self.claims, self.records = [], []
        catch_up()

    subjects = st.sampled_from(["alpha", "beta", "army", None])

    def subject(self, name):
        return None if name is None else getattr(self, name)

    @rule(
        claimant=st.integers(0, 2), subject=subjects, category=st.integers(0, len(CATEGORIES) - 1),
        figure=st.sampled_from(FIGURES), day=st.integers(0, 40), draft=st.booleans(),
    )  # fmt: skip
    def add_claim(self, claimant, subject, category, figure, day, draft):
        when = D(2020, 9, 27) + datetime.timedelta(days=day)
        self.claims.append(
            claim_create(
                user=None,
                reason=REASON,
                conflict=self.conflict,
                claimant=self.claimants[claimant],
                subject=self.subject(subject),
                category=self.categories[category],
                figure_text=figure,
                as_of=when,
                stated_on=when,
                status="draft" if draft else "published",
            )  # fmt: skip
        )

    @rule(
        data=st.data(),
        figure=st.sampled_from(FIGURES),
        category=st.integers(0, len(CATEGORIES) - 1),
    )
    def correct_claim(self, data, figure, category):
        if not self.claims:
            return
        claim = data.draw(st.sampled_from(self.claims))
        claim.refresh_from_db()
        claim_update(
            claim=claim, user=None, reason="correction", figure_text=figure,
            category=self.categories[category],
        )  # fmt: skip

    @rule(data=st.data())
    def retract_claim(self, data):
        published = [c for c in self.claims if c.status == "published"]
        if not published:
            return
        claim = data.draw(st.sampled_from(published))
        claim.refresh_from_db()
        if claim.status == "published":
            claim_retract(claim=claim, user=None, expected_version=claim.version, reason="wrong")

    @rule(subject=st.sampled_from(["alpha", "beta", "army"]), outcome=st.sampled_from(OUTCOMES))
    def add_record(self, subject, outcome):
        n = CasualtyRecord.objects.count()
        record = CasualtyRecord(
            conflict=self.conflict, party=self.subject(subject), name=f"Person {n}",
            external_id=f"p-{self.conflict.pk}-{n}", role="serviceman", outcome=outcome,
            status="published", date=D(2020, 10, 5),
        )  # fmt: skip
        self.records.append(save_with_history(record, user=None, reason=REASON))

    @rule(data=st.data(), outcome=st.sampled_from(OUTCOMES))
    def change_record(self, data, outcome):
        if not self.records:
            return
        record = data.draw(st.sampled_from(self.records))
        record.refresh_from_db()
        record.outcome = outcome
        save_with_history(record, user=None, reason="corrected outcome")

    @rule(under_beta=st.booleans())
    def move_party(self, under_beta):
        self.army.refresh_from_db()
        self.army.parent = self.beta if under_beta else self.alpha
        self.army.side = self.army.parent.side
        save_with_history(self.army, user=None, reason="moved")

    @rule()
    def follow(self):
        catch_up()

    @invariant()
    def stored_equals_a_full_rebuild(self):
        catch_up()
        assert not DataChange.objects.exists()
        assert stored(self.conflict.pk) == full(self.conflict.pk)


@pytest.mark.django_db
def test_incremental_recomputes_equal_a_full_rebuild(default_categories):
    Edits.TestCase.settings = hsettings(max_examples=12, stateful_step_count=10, deadline=None)
    Edits.TestCase().runTest()


@pytest.fixture
def default_categories(db):
    """The default data's categories (their trees and outcome roll-ups)."""
    call_command("load_default_data", verbosity=0)


# --- what a write leaves -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_published_claim_moves_its_figure_with_the_reason_in_the_history(
    world, make_claim, reviewer
):
    claim = make_claim(figure_text="100")
    catch_up()
    claim.refresh_from_db()
    claim_update(claim=claim, user=reviewer, reason="MoD corrected", figure_text="140")
    assert DataChange.objects.count() == 1
    catch_up()
    row = ReconciledFigure.objects.get(
        conflict=world.conflict, subject=world.alpha, category=world.killed, event=None
    )
    assert row.lower == 140
    last = row.history.order_by("-history_id").first()
    assert last.history_change_reason == (
        f"Claim {claim.external_id} changed by reviewer: MoD corrected"
    )
    assert last.history_user == reviewer
    assert row.public_note == f"claim {claim.external_id} (published)"
    history = figure_store.figure_history(world.conflict.pk, world.alpha.pk, world.killed.pk)
    assert [h["text"] for h in history] == ["at least 140", "at least 100"]


@pytest.mark.django_db
def test_a_draft_moves_no_figure_and_its_words_never_reach_the_public_note(world, make_claim):
    make_claim(figure_text="100")
    catch_up()
    rows = ReconciledFigure.history.count()
    make_claim(figure_text="999", status="draft", note="internal: do not publish yet")
    catch_up()
    assert ReconciledFigure.history.count() == rows
    assert not ReconciledFigure.objects.filter(public_note__contains="internal").exists()


@pytest.mark.django_db
def test_a_retracted_claim_takes_its_figure_away_and_the_history_says_so(world, make_claim, client):
    claim = make_claim(figure_text="100", subject=world.beta, claimant=world.beta_mod)
    catch_up()
    claim.refresh_from_db()
    claim_retract(claim=claim, user=None, expected_version=claim.version, reason="wrong war")
    catch_up()
    assert not ReconciledFigure.objects.filter(subject=world.beta).exists()
    assert not FigureClaimRole.objects.filter(claim=claim).exists()
    page = client.get(
        reverse("casualties:figure", args=["beta", world.killed.slug])
    ).content.decode()
    assert "No published claim gives a figure" in page
    history = figure_store.figure_history(world.conflict.pk, world.beta.pk, world.killed.pk)
    assert [h["text"] for h in history] == ["no figure", "at least 100"]
    assert history[0]["note"] == "1 claim withdrawn or not public"


@pytest.mark.django_db
def test_the_figure_page_shows_how_the_figure_changed(world, make_claim, client):
    claim = make_claim(figure_text="100")
    catch_up()  # each write in its own request
    claim_update(claim=claim, user=None, reason="update", figure_text="about 250")
    page = client.get(
        reverse("casualties:figure", args=["alpha", world.killed.slug])
    ).content.decode()
    assert "How this figure changed" in page
    assert f"claim {claim.external_id} (published)" in page
    assert page.index("at least 225") < page.index("at least 100")  # newest first


@pytest.mark.django_db
def test_moving_a_claim_to_another_category_recomputes_both(world, make_claim):
    claim = make_claim(figure_text="100")
    catch_up()
    claim_update(claim=claim, user=None, reason="wrong category", category=world.civilians_killed)
    catch_up()
    assert stored(world.conflict.pk) == full(world.conflict.pk)
    assert not ReconciledFigure.objects.filter(category=world.killed).exists()


@pytest.mark.django_db
def test_writes_that_change_nothing_public_move_no_figure_but_the_state(world, make_claim):
    make_claim(figure_text="100")
    catch_up()
    before, rows = state_token(), ReconciledFigure.history.count()
    world.source.title = "A better title"
    save_with_history(world.source, user=None, reason="typo")
    assert catch_up() == 0
    assert ReconciledFigure.history.count() == rows
    assert state_token() != before


@pytest.mark.django_db
def test_a_failed_write_leaves_no_note(world, make_claim):
    from django.db import transaction

    catch_up()
    with pytest.raises(RuntimeError), transaction.atomic():
        make_claim(figure_text="100")
        raise RuntimeError("the request failed")
    assert not DataChange.objects.exists()


@pytest.mark.django_db
def test_rebuild_starts_a_new_epoch_and_keeps_the_figures(world, make_claim):
    make_claim(figure_text="100")
    catch_up()
    before, figures = state_token(), stored(world.conflict.pk)
    rebuild(reason="test")
    assert state_token().split("-")[0] != before.split("-")[0]
    assert stored(world.conflict.pk) == figures


@pytest.mark.django_db
def test_the_first_reconcile_stores_every_figure(world, make_claim):
    """A database from before stored figures (no data state yet): ``reconcile`` stores all."""
    from casualties.models import DataState

    make_claim(figure_text="100")
    DataChange.objects.all().delete()
    DataState.objects.all().delete()
    call_command("reconcile", verbosity=0)
    assert stored(world.conflict.pk) == full(world.conflict.pk)
    assert ReconciledFigure.objects.filter(conflict=world.conflict).exists()


@pytest.mark.django_db
def test_the_reconcile_command(world, make_claim):
    make_claim(figure_text="100")
    ReconciledFigure.objects.all().delete()  # as if lost: the command writes them again
    call_command("reconcile", "--all", verbosity=0)
    assert stored(world.conflict.pk) == full(world.conflict.pk)
    make_claim(figure_text="120", as_of=D(2020, 10, 9), stated_on=D(2020, 10, 9))
    call_command("reconcile", verbosity=0)
    assert not DataChange.objects.exists()
    assert stored(world.conflict.pk) == full(world.conflict.pk)


@pytest.mark.django_db
def test_a_request_that_may_write_follows_its_writes_before_answering(world, make_claim, rf):
    from django.http import HttpResponse

    from claims.refresh import RefreshFiguresMiddleware

    def view(request):
        make_claim(figure_text="100")
        return HttpResponse("ok")

    middleware = RefreshFiguresMiddleware(view)
    middleware(rf.get("/"))
    assert DataChange.objects.exists()  # a reader does not pay for writes
    middleware(rf.post("/"))
    assert not DataChange.objects.exists()
    assert stored(world.conflict.pk) == full(world.conflict.pk)


@pytest.mark.django_db
def test_a_conflict_or_claimant_write_moves_its_own_conflicts_only(world, make_claim):
    """Not every conflict's figures: a new conflict is its own scope, a claimant's are the
    conflicts it has claims in (found when every hostile conflict name added in the admin
    recomputed all conflicts before it)."""
    from claims.refresh import ALL, affected

    make_claim(figure_text="100")
    catch_up()
    with change_context(user=None, reason=REASON):
        other = Conflict.objects.create(name="Other", slug="other", start_date=D(2021, 1, 1))
    assert affected(list(DataChange.objects.all())) == {other.pk: ALL}
    catch_up()
    world.ngo.name = "Watchers (renamed)"
    save_with_history(world.ngo, user=None, reason="rename")
    assert affected(list(DataChange.objects.all())) == {}  # no claims: nothing to move
    world.alpha_mod.name = "Alpha ministry"
    save_with_history(world.alpha_mod, user=None, reason="rename")
    assert affected(list(DataChange.objects.all())) == {world.conflict.pk: ALL}


@pytest.mark.django_db
def test_a_place_write_moves_the_figures_of_the_claims_made_there(world, make_claim):
    from casualties.models import Place
    from claims.refresh import affected

    with change_context(user=None, reason=REASON):
        town = Place.objects.create(slug="town", name="Town")
    make_claim(figure_text="32", place=town, category=world.civilians_killed)
    catch_up()
    town.name = "Town (renamed)"
    save_with_history(town, user=None, reason="rename")
    assert affected(list(DataChange.objects.all())) == {
        world.conflict.pk: {world.civilians_killed.pk}
    }
    catch_up()
    assert stored(world.conflict.pk) == full(world.conflict.pk)


@pytest.mark.django_db
def test_a_failed_recompute_keeps_the_notes_and_the_editors_answer(
    world, make_claim, rf, monkeypatch, caplog
):
    from django.http import HttpResponse

    from claims import refresh

    def broken(*args, **kwargs):
        raise RuntimeError("the rules failed")

    working = refresh._recompute
    monkeypatch.setattr(refresh, "_recompute", broken)

    def view(request):
        make_claim(figure_text="100")
        return HttpResponse("saved")

    response = refresh.RefreshFiguresMiddleware(view)(rf.post("/"))
    assert response.content == b"saved"
    assert DataChange.objects.exists()  # followed by the next write, or the worker
    assert "Following the writes of / failed" in caplog.text
    monkeypatch.setattr(refresh, "_recompute", working)
    catch_up()
    assert stored(world.conflict.pk) == full(world.conflict.pk)


@pytest.mark.django_db
def test_a_named_person_moved_to_another_war_leaves_the_first_one_s_figures(world):
    """The note of a write names the record's war now; the war it left must move too."""
    with change_context(user=None, reason=REASON):
        other = Conflict.objects.create(
            name="Other war", slug="other-war", start_date=D(2016, 4, 1)
        )
        gamma = Party.objects.create(conflict=other, name="Gamma", slug="gamma")
    record = save_with_history(
        CasualtyRecord(
            conflict=world.conflict, party=world.alpha, name="Person A", external_id="p-a",
            role="serviceman", outcome="killed", status="published", date=D(2020, 10, 5),
        ),
        user=None, reason=REASON,
    )  # fmt: skip
    catch_up()
    key = figure_store.figure_key(world.alpha.pk, world.killed.pk, None)
    assert ReconciledFigure.objects.get(conflict=world.conflict, key=key).record_count == 1
    record.conflict, record.party = other, gamma
    save_with_history(record, user=None, reason="the wrong war")
    catch_up()
    assert not ReconciledFigure.objects.filter(conflict=world.conflict, key=key).exists()
    assert stored(world.conflict.pk) == full(world.conflict.pk)
    assert stored(other.pk) == full(other.pk)
