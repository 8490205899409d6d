"""Named people: fields, publication, transliteration search, dates against the war,
duplicates, merge, and the public register."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from casualties.models import CasualtyRecord, DistinctPair
from casualties.services import (
    record_create,
    record_mark_distinct,
    record_publish,
    record_retract,
    record_submit_for_review,
    record_update,
)
from claims.importing import import_file
from claims.services import IllegalTransition

D = datetime.date


@pytest.fixture
def make_record(world):
    """A record through the service, published unless ``status`` says otherwise."""

    def make(**overrides):
        fields = {
            "conflict": world.conflict, "external_id": f"r-{CasualtyRecord.objects.count() + 1}",
            "name": "Ռոման Սանոսյան", "role": "serviceman", "party": world.alpha,
            "outcome": "killed", "date": D(2020, 10, 5), "status": "published",
            **overrides,
        }  # fmt: skip
        return record_create(user=None, reason="test", sources=[world.source], **fields)

    return make


def history_reasons(record):
    return [h.history_change_reason for h in record.history.order_by("history_id")]


# --- transliteration and search --------------------------------------------------------------


def test_a_record_gets_an_automatic_latin_form(make_record):
    record = make_record()
    assert record.name_latin == "Roman Sanosyan"
    assert "sanosyan" in record.search_text


@pytest.mark.parametrize("q", ["Sanosyan", "sanosyan", "SANOSYAN", "Roman Sanosyan", "Սանոսյան"])
def test_search_in_latin_letters_finds_an_armenian_name(client, make_record, q):
    make_record()
    response = client.get("/people/", {"q": q})
    assert "Ռոման Սանոսյան" in response.content.decode()


def test_search_ignores_diacritics_and_finds_the_editors_transliteration(make_record):
    make_record(name="Ülvi Əliyev", external_id="ulvi")
    make_record(name="Сергей Шакарян", name_transliterated="Sergei Chakarian", external_id="s")
    # Azerbaijani ə is written a in English and Russian (Əliyev, Aliyev, Алиев).
    assert [r.external_id for r in CasualtyRecord.objects.matching("Ulvi Aliyev")] == ["ulvi"]
    assert [r.external_id for r in CasualtyRecord.objects.matching("Ulvi Eliyev")] == ["ulvi"]
    assert [r.external_id for r in CasualtyRecord.objects.matching("ulvi")] == ["ulvi"]
    assert [r.external_id for r in CasualtyRecord.objects.matching("Chakarian")] == ["s"]
    assert [r.external_id for r in CasualtyRecord.objects.matching("Shakaryan")] == ["s"]


# One person's surname in the spellings a register mixes: native script (Armenian, Azerbaijani
# Latin), Russian, and Latin transliterations of several schemes.
SURNAME_VARIANTS = [
    ("Sarkisyan", "Սարգսյան"), ("Саркисян", "Sargsyan"), ("Sarkissian", "Sargsyan"),
    ("Ovanesyan", "Hovhannisyan"), ("Ованесян", "Ովհաննիսյան"),
    ("Kazaryan", "Ghazaryan"), ("Казарян", "Ղազարյան"),
    ("Arutyunyan", "Harutyunyan"), ("Арутюнян", "Հարությունյան"),
    ("Mamedov", "Məmmədov"), ("Мамедов", "Mammadov"),
    ("Aliev", "Əliyev"), ("Алиев", "Aliyev"),
    ("Kuliev", "Quliyev"), ("Кулиев", "Guliyev"),
    ("Safaroff", "Səfərov"), ("Сафаров", "Safaroff"),
    ("Jafarov", "Cəfərov"), ("Джафаров", "Cəfərov"),
]  # fmt: skip


@pytest.mark.parametrize("one, other", SURNAME_VARIANTS)
def test_search_by_one_spelling_of_a_surname_finds_the_others(client, make_record, one, other):
    make_record(name=one, external_id="one")
    make_record(name=other, external_id="other")
    make_record(name="Karapetyan", external_id="someone-else")
    for q, found in ((one, "other"), (other, "one")):
        body = client.get("/api/v1/people/", {"q": q}, HTTP_ACCEPT="application/json").json()
        assert {p["external_id"] for p in body["results"]} == {"one", "other"}, (q, found)


# --- publication -----------------------------------------------------------------------------


def test_unpublished_records_are_not_public_or_counted(client, make_record):
    draft = make_record(status="draft", name="Draft Person", external_id="draft")
    assert not CasualtyRecord.objects.counted().filter(pk=draft.pk).exists()
    assert "Draft Person" not in client.get("/people/").content.decode()
    assert client.get(draft.get_absolute_url()).status_code == 404
    assert "Draft Person" not in client.get("/downloads/records.csv").getvalue().decode()


def test_the_workflow_leaves_history_with_reasons(make_record, editor, reviewer):
    record = make_record(status="draft")
    record = record_submit_for_review(record=record, user=editor, expected_version=record.version)
    record = record_publish(
        record=record, user=reviewer, expected_version=record.version, reason="Checked"
    )
    assert record.status == "published"
    assert CasualtyRecord.objects.counted().filter(pk=record.pk).exists()
    assert history_reasons(record)[-2:] == ["Submitted for review", "Checked"]
    with pytest.raises(IllegalTransition):
        record_submit_for_review(record=record, user=editor, expected_version=record.version)
    record_retract(record=record, user=reviewer, expected_version=record.version, reason="Wrong")
    assert not CasualtyRecord.objects.counted().filter(pk=record.pk).exists()


def test_the_status_changes_only_through_the_workflow(make_record, editor):
    record = make_record(status="draft")
    with pytest.raises(ValidationError):
        record_update(record=record, user=editor, reason="x", status="published")


@pytest.mark.template_context
def test_the_admin_shows_publish_to_reviewers_only(client, make_record, editor, reviewer):
    record = make_record(status="in_review")
    url = reverse("admin:casualties_casualtyrecord_transition", args=[record.pk, "publish"])
    client.force_login(editor)
    assert client.get(url).status_code == 403
    client.force_login(reviewer)
    page = client.get(url)
    assert page.status_code == 200
    response = client.post(url, {"reason": "Two sources", "version": page.context["version"]})
    assert response.status_code == 302
    record.refresh_from_db()
    assert record.status == "published"
    assert history_reasons(record)[-1] == "Two sources"


# --- dates against the war -------------------------------------------------------------------


def test_a_date_after_the_war_is_a_form_error(make_record):
    with pytest.raises(ValidationError) as exc:
        make_record(date=D(2021, 3, 1))
    assert "after the war “Test war” (27 September 2020 – 10 November 2020) ended" in str(exc.value)


def test_died_after_war_may_be_dated_after_the_war(make_record):
    record = make_record(date=D(2021, 3, 1), outcome="died_of_wounds", died_after_war=True)
    assert CasualtyRecord.objects.counted().filter(pk=record.pk).exists()


def test_a_date_before_the_war_is_refused_even_for_after_war_deaths(make_record):
    with pytest.raises(ValidationError):
        make_record(date=D(2020, 1, 1), outcome="died_of_wounds", died_after_war=True)


HEADER = "external_id,conflict,name,role,party,outcome,date,sources\n"


def import_records(text, user=None, **kwargs):
    return import_file(io.BytesIO(text.encode()), "r.csv", kind="records", user=user, **kwargs)


def test_an_import_row_outside_the_war_names_row_column_and_the_wars_dates(world):
    result = import_records(
        HEADER + "x1,test-war,Սերգեյ,serviceman,alpha,killed,2021-01-05,report\n"
    )
    assert not result.ok
    [error] = result.errors
    assert (error.row, error.column) == (2, "date")
    assert "(27 September 2020 – 10 November 2020)" in error.message
    assert not CasualtyRecord.objects.exists()


def test_imported_records_arrive_as_drafts_unless_published_by_a_reviewer(world, editor, reviewer):
    row = "x1,test-war,Սերգեյ Շաքարյան,serviceman,alpha,killed,2020-10-05,report\n"
    assert import_records(HEADER + row, user=editor).ok
    record = CasualtyRecord.objects.get()
    assert record.status == "draft"
    assert record.name_latin == "Sergey Shakaryan"
    refused = import_records(HEADER + row.replace("x1", "x2"), user=editor, publish=True)
    assert "may not publish" in str(refused.errors[0])
    assert import_records(HEADER + row.replace("x1", "x2"), user=reviewer, publish=True).ok
    assert CasualtyRecord.objects.get(external_id="x2").status == "published"


def test_repeated_errors_are_grouped(world):
    rows = "".join(
        f"x{i},test-war,Name {i},serviceman,alpha,killed,2020-10-05,nowhere\n" for i in range(40)
    )
    result = import_records(HEADER + rows)
    [group] = result.grouped_errors()
    assert group.count == 40
    assert str(group).startswith("rows 2, 3, 4, 5, 6… (40 rows), sources: unknown source")


# --- duplicates ------------------------------------------------------------------------------


@pytest.mark.template_context
def test_the_duplicates_page_pairs_a_name_across_scripts(client, make_record, editor):
    a = make_record(name="Sergey Shakaryan", rank="Colonel", external_id="sergey", date=None)
    b = make_record(name="Սերգեյ Շաքարյան", rank="Colonel", external_id="serg-hy", date=None)
    make_record(name="Vahagn Asatryan", rank="Colonel", external_id="vahagn", date=None)
    client.force_login(editor)
    page = client.get(reverse("admin:casualties_casualtyrecord_duplicates"))
    rows = page.context["rows"]
    assert [(r["first"].pk, r["second"].pk) for r in rows] == [(a.pk, b.pk)]
    assert "same rank" in rows[0]["pair"].reasons


@pytest.mark.template_context
def test_merging_keeps_both_and_counts_one(client, make_record, editor):
    a = make_record(name="Sergey Shakaryan", rank="Colonel", external_id="sergey", date=None)
    b = make_record(name="Սերգեյ Շաքարյան", rank="Colonel", external_id="serg-hy", date=None)
    assert CasualtyRecord.objects.counted().count() == 2
    client.force_login(editor)
    url = reverse("admin:casualties_casualtyrecord_duplicates")
    response = client.post(url, {"keep": a.pk, "other": b.pk, "action": "merge", "reason": "Same"})
    assert response.status_code == 302
    assert CasualtyRecord.objects.counted().count() == 1
    a.refresh_from_db()
    b.refresh_from_db()
    assert b.merged_into == a
    assert "Սերգեյ Շաքարյան" in a.aliases
    assert history_reasons(b)[-1] == "Merged serg-hy into sergey: Same"
    assert history_reasons(a)[-1] == "Merged serg-hy into sergey: Same"
    assert client.get(b.get_absolute_url()).url == a.get_absolute_url()
    assert client.get(url).context["rows"] == []


def test_different_people_are_not_suggested_again(make_record, editor):
    a = make_record(name="Sergey Shakaryan", external_id="one", date=None)
    b = make_record(name="Sergey Shakaryan", external_id="two", date=None)
    from casualties.duplicates import database_pairs

    assert len(database_pairs()) == 1
    record_mark_distinct(first=b, second=a, user=editor, reason="Different fathers' names")
    assert DistinctPair.objects.get().history.get().history_change_reason
    assert database_pairs() == []


def test_the_same_name_a_month_apart_is_a_probable_duplicate(make_record):
    from casualties.duplicates import database_pairs

    make_record(name="Gor Sargsyan", external_id="g1", date=D(2020, 10, 1))
    make_record(name="Գոռ Սարգսյան", external_id="g2", date=D(2020, 10, 25))
    [pair] = database_pairs()
    assert "dates of death 24 days apart" in pair.reasons


# The same person twice: the same party, rank and dates, the name in two scripts or schemes,
# alone, with a first name, and with a patronymic.
DUPLICATE_NAMES = [
    *SURNAME_VARIANTS,
    ("Artur Sarkisyan", "Արթուր Սարգսյան"), ("Артур Саркисян", "Artur Sargsyan"),
    ("Артур Ашотович Саркисян", "Artur Ashotovich Sargsyan"),
    ("Armen Ovanesyan", "Արմեն Հովհաննիսյան"), ("Армен Ованесян", "Armen Hovhannisyan"),
    ("Давид Казарян", "Դավիթ Ղազարյան"), ("Tigran Arutyunyan", "Տիգրան Հարությունյան"),
    ("Тигран Арутюнян", "Tigran Harutyunyan"),
    ("Elchin Mamedov", "Elçin Məmmədov"), ("Эльчин Мамедов", "Elçin Məmmədov"),
    ("Мамедов Эльчин Рауфович", "Mamedov Elchin Raufovich"),
    ("Vugar Aliev", "Vüqar Əliyev"), ("Вугар Алиев", "Vüqar Əliyev"),
    ("Рашад Кулиев", "Rəşad Quliyev"), ("Orkhan Safaroff", "Orxan Səfərov"),
    # Found before the folds changed; still found.
    ("Petrosian", "Petrosyan"), ("Karapetian", "Karapetyan"), ("Grigorian", "Grigoryan"),
    ("Mkrtchian", "Mkrtchyan"), ("Khachatrian", "Khachatryan"), ("Martirosian", "Martirosyan"),
    ("Ragimov", "Rahimov"), ("Guseynov", "Huseynov"), ("Гусейнов", "Hüseynov"),
    ("Nasyrov", "Nasirov"), ("Dzhafarov", "Jafarov"), ("Ismailov", "İsmayılov"),
    ("Gasanov", "Həsənov"), ("Սերգեյ Շաքարյան", "Сергей Шакарян"),
    ("Сергей Шакарян", "Sergey Shakaryan"),
]  # fmt: skip
# Different people, with everything else the same: never suggested.
DIFFERENT_NAMES = [
    ("Aliyev", "Aliyeva"), ("Vugar Aliyev", "Vugar Aliyeva"), ("Hasanov", "Husenov"),
    ("Elchin Hasanov", "Elchin Huseynov"), ("Karapetyan", "Karakhanyan"),
    ("Armen Karapetyan", "Armen Karakhanyan"), ("Sargsyan", "Sahakyan"),
    ("Grigoryan", "Gevorgyan"), ("Mamedov", "Mahmudov"), ("Aliev", "Valiev"),
    ("Artur Sargsyan", "Artur Harutyunyan"), ("Karen Ghazaryan", "Karen Kazanjian"),
]  # fmt: skip


def same_person_twice(make_record, one, other):
    same = {"rank": "Private", "date": D(2020, 10, 5), "date_of_birth": D(1999, 4, 2)}
    return make_record(name=one, external_id="one", **same), make_record(
        name=other, external_id="other", **same
    )


@pytest.mark.parametrize("one, other", DUPLICATE_NAMES)
def test_a_name_in_another_script_or_scheme_is_a_probable_duplicate(make_record, one, other):
    from casualties.duplicates import database_pairs

    a, b = same_person_twice(make_record, one, other)
    [pair] = database_pairs()
    assert {pair.first.key, pair.second.key} == {a.pk, b.pk}
    assert pair.score == 100


@pytest.mark.parametrize("one, other", DIFFERENT_NAMES)
def test_a_different_surname_is_not_a_probable_duplicate(make_record, one, other):
    from casualties.duplicates import database_pairs

    same_person_twice(make_record, one, other)
    assert database_pairs() == []


def test_the_migration_recomputes_stale_search_keys(make_record):
    import importlib

    from django.apps import apps

    from casualties.names import search_text

    refold = importlib.import_module("casualties.migrations.0008_refold_search_text").refold
    one = make_record(name="Məmmədov", name_transliterated="Mammadov", aliases="Мамедов\nMamedoff")
    other = make_record(name="Sarkisyan", external_id="other")
    stale = {one.pk: "|mammadov|memedov|", other.pk: "|sarkisyan|sarkisian|"}
    for pk, text in stale.items():
        CasualtyRecord.objects.filter(pk=pk).update(search_text=text)
    assert not CasualtyRecord.objects.matching("Mamedov").exists()
    history = one.history.count()
    refold(apps, None)
    one.refresh_from_db()
    assert one.search_text == search_text("Məmmədov", "Mammadov", "Мамедов\nMamedoff")
    assert [r.pk for r in CasualtyRecord.objects.matching("Mamedov")] == [one.pk]
    assert [r.pk for r in CasualtyRecord.objects.matching("Sargsyan")] == [other.pk]
    assert one.history.count() == history  # historical rows are left alone


def test_an_import_preview_shows_duplicates_in_the_file_and_the_database(make_record, world):
    make_record(name="Sergey Shakaryan", rank="Colonel", external_id="sergey", date=None)
    result = import_records(
        HEADER
        + "x1,test-war,Սերգեյ Շաքարյան,serviceman,alpha,killed,,report\n"
        + "x2,test-war,Сергей Шакарян,serviceman,alpha,killed,,report\n",
        dry_run=True,
    )
    assert result.ok
    keys = {(p.first.key, p.second.key) for p in result.duplicates}
    sergey = CasualtyRecord.objects.get(external_id="sergey").pk
    assert {(sergey, ("row", 2)), (sergey, ("row", 3)), (("row", 2), ("row", 3))} <= keys


# --- public pages and privacy -----------------------------------------------------------------


def test_the_person_page_shows_both_scripts_and_sources(client, make_record):
    record = make_record()
    body = client.get(record.get_absolute_url()).content.decode()
    assert "Ռոման Սանոսյան" in body and "Roman Sanosyan" in body and "A report" in body


def test_the_people_csv_has_what_the_page_shows(client, make_record):
    make_record()
    make_record(name="Other Person", external_id="other")
    body = b"".join(client.get("/people.csv", {"q": "Sanosyan"}).streaming_content).decode()
    assert "Ռոման Սանոսյան" in body and "Other Person" not in body


def test_the_people_page_runs_a_fixed_number_of_queries(
    client, make_record, django_assert_num_queries
):
    for i in range(3):
        make_record(external_id=f"p{i}", name=f"Person {i}")
    # parties, places, events (the filters' choices), the count, one page of records
    with django_assert_num_queries(5):
        client.get("/people/", {"q": "person"})
    for i in range(3, 10):
        make_record(external_id=f"p{i}", name=f"Person {i}")
    with django_assert_num_queries(5):
        client.get("/people/", {"q": "person"})


def test_the_person_page_runs_a_fixed_number_of_queries(
    client, make_record, django_assert_num_queries
):
    record = make_record()
    # the record with its party/place/event/conflict, its sources
    with django_assert_num_queries(2):
        client.get(record.get_absolute_url())


# --- the crawl: nothing unpublished or sensitive is public -----------------------------------

PLANTED = ["PLANTED-PRIVATE-NOTE-7731", "planted-contact@example.org", "1977-03-14",
           "14 March 1977", "Unpublished Planted Person", "Retracted Planted Person"]  # fmt: skip


def _texts(response) -> str:
    """The text of a response, whatever its format (an XLSX is unzipped and read)."""
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    if body[:2] == b"PK":
        import openpyxl

        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            str(cell) for sheet in book for row in sheet.iter_rows(values_only=True) for cell in row
        )
    return body.decode()


def test_a_crawl_of_every_public_page_and_download_finds_nothing_sensitive_or_unpublished(
    client, make_record, world
):
    import re
    from html import unescape

    from claims.exporting import FORMATS
    from claims.public.downloads import DOWNLOADS

    make_record(
        name="Public Planted Person", external_id="public-planted", date_of_birth=D(1977, 3, 14),
        private_notes="PLANTED-PRIVATE-NOTE-7731", contact_details="planted-contact@example.org",
    )  # fmt: skip
    make_record(name="Unpublished Planted Person", external_id="draft-planted", status="draft")
    make_record(name="In Review Planted", external_id="review-planted", status="in_review")
    retracted = make_record(name="Retracted Planted Person", external_id="retracted-planted")
    record_retract(
        record=retracted, user=None, expected_version=retracted.version, reason="Wrong person"
    )
    start = ["/", "/people/", "/people/?q=planted", "/people.csv", "/downloads/"]
    start += [f"/downloads/{name}.{fmt}" for name, *_ in DOWNLOADS for fmt in FORMATS]
    start += ["/people/draft-planted/", "/people/review-planted/", "/people/retracted-planted/"]
    seen, todo, crawled = set(), list(start), 0
    found_public = False
    while todo and crawled < 400:
        url = todo.pop(0)
        if url in seen:
            continue
        seen.add(url)
        response = client.get(url)
        crawled += 1
        if response.status_code in (301, 302):
            todo.append(response.url)
            continue
        if response.status_code == 404:
            continue
        assert response.status_code == 200, url
        text = _texts(response)
        found_public = found_public or "Public Planted Person" in text
        for value in PLANTED:
            assert value not in text, f"{value} on {url}"
        for href in re.findall(r'href="([^"#]+)', text):
            href = unescape(href)
            if href.startswith("/") and not href.startswith(("/admin/", "/static/")):
                todo.append(href)
    assert found_public
    assert "/people/public-planted/" in seen
    assert crawled > 20


# --- the admin form --------------------------------------------------------------------------


def _form_data(world, **overrides):
    return {
        "conflict": world.conflict.pk, "external_id": "form-1", "name": "Գոռ Սարգսյան",
        "role": "serviceman", "party": world.alpha.pk, "outcome": "killed",
        "date": "2021-02-01", "sex": "unknown", "age_band": "unknown", "ihl_status": "unknown",
        "date_precision": "day", "place_precision": "unknown", "corroboration": "undetermined",
        "change_reason": "From the list", **overrides,
    }  # fmt: skip


def test_the_admin_form_refuses_a_date_outside_the_war(client, world, editor):
    client.force_login(editor)
    response = client.post(reverse("admin:casualties_casualtyrecord_add"), _form_data(world))
    assert response.status_code == 200
    assert "is after the war “Test war” (27 September 2020 – 10 November 2020) ended" in (
        response.content.decode()
    )
    assert not CasualtyRecord.objects.exists()


def test_the_admin_form_saves_a_draft_with_its_latin_form_and_reason(client, world, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:casualties_casualtyrecord_add"), _form_data(world, date="2020-10-03")
    )
    assert response.status_code == 302
    record = CasualtyRecord.objects.get()
    assert (record.status, record.name_latin) == ("draft", "Gor Sargsyan")
    assert history_reasons(record) == ["From the list"]


@pytest.mark.template_context
def test_editors_change_drafts_only(client, make_record, editor):
    published = make_record(external_id="pub")
    draft = make_record(external_id="dr", status="draft")
    client.force_login(editor)
    change = "admin:casualties_casualtyrecord_change"
    assert client.get(reverse(change, args=[draft.pk])).context["has_change_permission"]
    assert not client.get(reverse(change, args=[published.pk])).context["has_change_permission"]


def test_an_import_checks_at_most_its_limit_of_rows_for_duplicates(world):
    from casualties.duplicates import ImportDuplicates

    found = ImportDuplicates(limit=1)
    values = {"name": "A B", "name_transliterated": "", "party_id": 1, "date": None,
              "date_of_birth": None, "rank": ""}  # fmt: skip
    found.add(2, values, is_new=True)
    found.add(3, values, is_new=True)
    assert (len(found.rows), found.unchecked) == (1, 1)
