"""A restore into the live database, then writes that reuse the ids the restore took back: no
unpublished or rolled-back claim ever shows on a page, a download or the API (issue 13).

Before stored figures, pages and downloads were keyed by the largest history ids; a restore
brings old ids back, so a rolled-back claim was served for minutes. Now the figures are
recomputed from the restored rows and a new epoch starts (``claims.refresh.rebuild``), and the
stored downloads are cleared."""

import pytest
from django.core.management import call_command
from django.urls import reverse

from claims.models import Claim
from claims.refresh import state_token

pytestmark = pytest.mark.django_db(transaction=True)  # pg_dump reads only committed rows


def everything_public(client, world) -> str:
    """The figure page, the overview, the claims download (CSV and JSON) and the API."""
    pages = [
        reverse("casualties:figure", args=["alpha", world.killed.slug]),
        reverse("casualties:conflict", args=[world.conflict.slug]),
        reverse("casualties:download", args=["claims", "csv"]),
        reverse("casualties:download", args=["claims", "json"]),
        "/api/v1/claims/",
        "/api/v1/figures/?party=alpha&category=military-killed",
    ]
    out = []
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        out.append(body.decode("utf-8-sig"))
    return "\n".join(out)


def test_restored_data_and_reused_ids_never_show_what_the_restore_took_back(
    world, make_claim, client, tmp_path
):
    make_claim(figure_text="100")
    assert "at least 100" in everything_public(client, world)
    backup = tmp_path / "ledger.backup"
    call_command("backup_db", str(backup), verbosity=0)

    # After the backup: a claim published (and downloaded, and cached by readers).
    later = make_claim(figure_text="7,777", as_of=None, stated_on=None)
    seen = everything_public(client, world)
    assert "7,777" in seen and later.external_id in seen
    token = state_token()

    call_command("restore_db", str(backup), "--noinput", verbosity=0)
    assert not Claim.objects.filter(external_id=later.external_id).exists()
    assert state_token() != token

    # New writes reuse the ids the restore took back: a draft where the published claim was.
    draft = make_claim(figure_text="5,555", status="draft", as_of=None, stated_on=None)
    assert draft.pk == later.pk
    shown = everything_public(client, world)
    for gone in ("7,777", "7777", later.external_id, "5,555", "5555", draft.external_id):
        assert gone not in shown
    assert "at least 100" in shown
