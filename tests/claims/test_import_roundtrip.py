"""Export → import is a round trip with zero differences, in CSV, XLSX and JSON."""

import datetime
import io

import pytest
from django.forms.models import model_to_dict

from casualties.history import change_context
from casualties.models import CasualtyRecord
from casualties.services import record_create
from claims import exporting
from claims.importing import import_file
from claims.models import Claim, ClaimSource

ODD_TEXTS = [
    '=HYPERLINK("http://evil")',
    "Ստեփանակերտ / Xankəndi / Степанакерт",
    "'=already quoted",
    "-minus, +plus, @at",
    "\ttab first",
    "line one\r\nline two",
    "O'Brien",
]
SKIP = {"id", "created_at", "updated_at", "version"}


def snapshot():
    claims = {
        c.external_id: {k: v for k, v in model_to_dict(c).items() if k not in SKIP | {"sources"}}
        for c in Claim.objects.all()
    }
    cited = sorted(ClaimSource.objects.values_list("claim__external_id", "source__slug", "locator"))
    records = {
        r.external_id: {k: v for k, v in model_to_dict(r).items() if k not in SKIP | {"sources"}}
        for r in CasualtyRecord.objects.all()
    }
    return claims, cited, records


@pytest.fixture
def data(world, make_claim):
    for i, text in enumerate(ODD_TEXTS):
        make_claim(external_id=f"odd-{i}", quote=text, note=text, figure_text=f"{i + 1},000")
    make_claim(external_id="unreadable", figure_text="several", lower=None, upper=None,
               qualifier="unreadable")  # fmt: skip
    make_claim(
        external_id="period", scope="period", as_of=None, period_start=datetime.date(2020, 10, 1),
        period_end=datetime.date(2020, 10, 3), figure_text="up to 300 to 400",
    )  # fmt: skip
    ClaimSource.objects.filter(claim__external_id="odd-1").update(locator="p. 3; (note)")
    # Through the service, which derives the Latin form as the import does.
    record_create(
        user=None, reason="setup", sources=[world.source],
        conflict=world.conflict, external_id="rec-1", name="Արամ Պետրոսյան",
        name_transliterated="Aram Petrosyan", role="serviceman", party=world.alpha,
        outcome="killed", date=datetime.date(2020, 10, 2), description="=not a formula",
        aliases="Aram Petrossian\nԱրամ Պետրոսեան", sex="man", age=34, age_band="adult",
        ihl_status="armed_forces", cause="drone strike", corroboration="confirmed",
        place_precision="district", counted_in=world.alpha_army,
        date_of_birth=datetime.date(1986, 5, 1), private_notes="=private", contact_details="x",
    )  # fmt: skip
    record_create(
        user=None, reason="setup", conflict=world.conflict, external_id="rec-2",
        name="Vüqar Əliyev", role="civilian", party=world.beta, outcome="wounded",
    )  # fmt: skip


def export(name, model, fmt) -> bytes:
    out = io.BytesIO()
    exporting.write_export(exporting.table(name), model.objects.all(), fmt, out)
    return out.getvalue()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_then_import_changes_nothing(data, admin_user, fmt):
    before = snapshot()
    history = (Claim.history.count(), ClaimSource.history.count(), CasualtyRecord.history.count())
    for name, kind, model in [("claims", "claims", Claim), ("records", "records", CasualtyRecord)]:
        file = export(name, model, fmt)
        result = import_file(io.BytesIO(file), f"{name}.{fmt}", kind=kind, user=admin_user)
        assert result.ok, result.errors
        assert (result.new, result.changed) == (0, 0), result.samples["changed"]
        assert result.unchanged == model.objects.count()
    assert snapshot() == before
    assert history == (
        Claim.history.count(),
        ClaimSource.history.count(),
        CasualtyRecord.history.count(),
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_export_then_import_into_an_empty_table_recreates_every_value(data, admin_user, fmt):
    before = snapshot()
    files = {name: export(name, model, fmt) for name, model in
             [("claims", Claim), ("records", CasualtyRecord)]}  # fmt: skip
    with change_context(user=None, reason="clear"):
        for claim in Claim.objects.all():
            claim.delete()
        for record in CasualtyRecord.objects.all():
            record.delete()
    for name, kind in [("claims", "claims"), ("records", "records")]:
        result = import_file(io.BytesIO(files[name]), f"{name}.{fmt}", kind=kind, user=admin_user)
        assert result.ok, result.errors
    assert snapshot() == before
