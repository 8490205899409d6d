"""Warming after writes: once a write commits, a background thread computes the new figures,
so the first reader after an edit or an import finds them cached."""

import pytest
from django.core.cache import cache
from django.db import transaction

from claims import reconciliation as recon
from claims.services import claim_update
from tests.claims.test_importing import claim, csv_bytes, run

pytestmark = pytest.mark.django_db(transaction=True)  # commits happen, as in production


@pytest.fixture(autouse=True)
def warming(settings):
    settings.RECONCILE_WARM_AFTER_WRITES = True
    yield
    assert recon.wait_until_warm(), "the warm-up thread did not finish"


def cached_scopes(world, version):
    """Which of the conflict's scopes (whole war, each category) hold figures of ``version``."""
    scopes = [None, world.killed.slug, world.civilians_killed.slug, world.tanks.slug]
    return {
        scope
        for scope in scopes
        if cache.get(recon._base_key(world.conflict.pk, None, scope, version)) is not None
    }


def test_an_edit_is_followed_by_the_new_figures_without_a_reader(world, make_claim):
    item = make_claim(figure_text="100")
    assert recon.wait_until_warm()
    claim_update(claim=item, user=None, reason="MoD update", figure_text="120")
    version = recon.cache_version()
    assert recon.wait_until_warm()
    # The whole war and the one category with published claims; not the empty categories.
    assert cached_scopes(world, version) == {None, world.killed.slug}
    result = recon.reconcile(world.conflict.pk, version=version)
    assert result.categories[world.killed.pk].figure(world.alpha.pk).lower == 120


def test_an_import_is_followed_by_the_new_figures(world, admin_user):
    assert recon.wait_until_warm()  # after the world's own writes
    result = run(csv_bytes([claim(figure_text="more than 700")]), admin_user)
    assert result.written and not result.errors
    version = recon.cache_version()
    assert recon.wait_until_warm()
    assert cached_scopes(world, version) == {None, world.killed.slug}
    figure = recon.reconcile(world.conflict.pk, version=version).categories[world.killed.pk]
    assert figure.figure(world.alpha.pk).lower == 701


def test_a_rolled_back_write_warms_nothing(world, make_claim):
    item = make_claim(figure_text="100")
    assert recon.wait_until_warm()
    cache.clear()
    with pytest.raises(RuntimeError), transaction.atomic():
        claim_update(claim=item, user=None, reason="MoD update", figure_text="120")
        raise RuntimeError("the editor's request failed after the save")
    assert recon.wait_until_warm()
    assert cached_scopes(world, recon.cache_version()) == set()


def test_off_means_off(world, make_claim, settings):
    assert recon.wait_until_warm()  # after the world's own writes
    cache.clear()
    settings.RECONCILE_WARM_AFTER_WRITES = False
    make_claim(figure_text="100")
    assert recon.wait_until_warm()
    assert cached_scopes(world, recon.cache_version()) == set()
