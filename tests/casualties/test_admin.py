"""Every admin page opens, and the world's admins keep history with reasons."""

import pytest
from django.contrib import admin
from django.urls import reverse

from casualties.admin_history import HistoryAdmin
from casualties.models import CasualtyRecord, Place, PlaceName

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_as_admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize(
    "model",
    [m for m in admin.site._registry if m._meta.app_label in {"casualties", "claims"}],
    ids=lambda m: m._meta.label_lower,
)
def test_every_list_add_and_deleted_page_opens(
    client_as_admin, admin_user, rf, world, make_claim, model
):
    make_claim()
    info = model._meta.app_label, model._meta.model_name
    request = rf.get("/")
    request.user = admin_user
    names = ["changelist"]
    # Deleted objects are listed where they can be deleted (not releases, which never are).
    if isinstance(admin.site._registry[model], HistoryAdmin):
        names.append("deleted")
    # Some admins have no add page (contradiction flags come from the claims, not by hand).
    if admin.site._registry[model].has_add_permission(request):
        names.append("add")
    for name in names:
        response = client_as_admin.get(reverse("admin:%s_%s_%s" % (info + (name,))))
        assert response.status_code == 200, name
    obj = model._default_manager.first()
    if obj is not None:
        for name in ("change", "history", "delete"):
            response = client_as_admin.get(
                reverse("admin:%s_%s_%s" % (info + (name,)), args=[obj.pk])
            )
            assert response.status_code == 200, name


def test_a_place_with_both_names_is_saved_with_history(client_as_admin, admin_user):
    response = client_as_admin.post(
        reverse("admin:casualties_place_add"),
        {
            "slug": "stepanakert",
            "name": "Stepanakert / Khankendi",
            "kind": "city",
            "is_contested": "on",
            "parent": "",
            "change_reason": "From the article",
            "names-TOTAL_FORMS": "2",
            "names-INITIAL_FORMS": "0",
            "names-MIN_NUM_FORMS": "0",
            "names-MAX_NUM_FORMS": "1000",
            "names-0-name": "Stepanakert",
            "names-0-language": "en",
            "names-0-used_by": "Armenian usage",
            "names-1-name": "Khankendi",
            "names-1-language": "en",
            "names-1-used_by": "Azerbaijani usage",
        },
    )
    assert response.status_code == 302
    place = Place.objects.get(slug="stepanakert")
    assert sorted(place.names.values_list("name", flat=True)) == ["Khankendi", "Stepanakert"]
    assert place.history.get().history_change_reason == "From the article"
    name_rows = PlaceName.history.all()
    assert name_rows.count() == 2
    assert {(r.history_user, r.history_change_reason) for r in name_rows} == {
        (admin_user, "From the article")
    }


def test_a_record_with_sources_keeps_history_of_its_sources(client_as_admin, world, admin_user):
    response = client_as_admin.post(
        reverse("admin:casualties_casualtyrecord_add"),
        {
            "conflict": world.conflict.pk,
            "external_id": "rec-1",
            "name": "Գոռ Սարգսյան",
            "name_transliterated": "Gor Sargsyan",
            "role": "serviceman",
            "party": world.alpha.pk,
            "outcome": "killed",
            "sources": [world.source.pk],
            # The choices a browser sends as they are preselected (their defaults).
            "sex": "unknown",
            "age_band": "unknown",
            "ihl_status": "unknown",
            "date_precision": "day",
            "place_precision": "unknown",
            "corroboration": "undetermined",
            "change_reason": "Named in the report",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    record = CasualtyRecord.objects.get(external_id="rec-1")
    assert record.name == "Գոռ Սարգսյան"
    assert list(record.sources.all()) == [world.source]
    assert record.history.count() >= 1
    assert set(record.history.values_list("history_change_reason", flat=True)) == {
        "Named in the report"
    }
