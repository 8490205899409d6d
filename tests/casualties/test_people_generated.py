"""The issue's “done means”, on the default data plus 5,000 generated records in Armenian and
Cyrillic script (tests/people_generator.py), some of them duplicates of the default data's
Latin-script records, and a file of records dated outside the war."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse

from casualties.models import CasualtyRecord, Category, Conflict, Party
from claims.importing import import_file
from claims.loaders import compute
from tests.people_generator import DEFAULT_IN_ARMENIAN, generate

N = 5000
COLUMNS = ["external_id", "conflict", "name", "role", "rank", "party", "outcome", "date",
           "date_of_birth", "sources"]  # fmt: skip
WAR = "second-nagorno-karabakh-war"


def as_csv(rows) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def planted_default_duplicates():
    return [
        {"external_id": f"hy-{ext}", "conflict": WAR, "name": name, "role": "serviceman",
         "rank": rank, "party": party, "outcome": "killed", "date": "", "date_of_birth": "",
         "sources": "seed-article"}
        for ext, (name, party, rank) in DEFAULT_IN_ARMENIAN.items()
    ]  # fmt: skip


@pytest.fixture(scope="module")
def register(django_db_setup, django_db_blocker):
    """The default data and the generated records, published by a reviewer's import; rolled
    back at the end of the module."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_default_data", verbosity=0)
        reviewer = get_user_model().objects.create_user("rev", "r@example.org", "pw-rev-123!")
        reviewer.is_staff = True
        reviewer.save()
        reviewer.groups.add(Group.objects.get(name="reviewer"))
        rows, planted = generate(
            N - len(DEFAULT_IN_ARMENIAN), conflict=WAR, parties=("armenia", "artsakh"),
            source="seed-article", dup_rate=0.02, prefix="gen",
        )  # fmt: skip
        rows += planted_default_duplicates()
        result = import_file(
            io.BytesIO(as_csv(rows)), "people.csv", kind="records", user=reviewer, publish=True
        )
        assert result.ok, result.grouped_errors()[:5]
        yield {"reviewer": reviewer, "rows": rows, "planted": planted, "import": result}
        transaction.set_rollback(True)


pytestmark = [pytest.mark.usefixtures("register"), pytest.mark.django_db]


def test_a_latin_spelling_finds_the_armenian_and_cyrillic_records(client, register):
    armenian = next(r for r in register["rows"] if r["name"].split()[-1].endswith("յան"))
    cyrillic = next(r for r in register["rows"] if r["name"][0] in "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШ")
    for row in (armenian, cyrillic):
        latin = CasualtyRecord.objects.get(external_id=row["external_id"]).name_latin
        surname = latin.split()[-1]
        response = client.get("/people/", {"q": surname})
        assert row["name"] in response.content.decode(), surname
    body = client.get("/people/", {"q": "Shakaryan"}).content.decode()
    assert "Սերգեյ Շաքարյան" in body and "Sergey Shakaryan" in body


def test_rows_dated_outside_the_war_are_refused_with_a_clear_message(register):
    rows, _ = generate(30, conflict=WAR, parties=("armenia",), seed=5, prefix="late")
    for i, row in enumerate(rows):
        row["date"] = "2021-02-01" if i % 2 else "2020-01-15"
    result = import_file(
        io.BytesIO(as_csv(rows)), "late.csv", kind="records", user=register["reviewer"]
    )
    assert not result.ok and result.new == 0
    groups = {g.message.split(" is ")[1][:6]: g for g in result.grouped_errors()}
    assert {g.column for g in groups.values()} == {"date"}
    after = next(g for g in result.grouped_errors() if "after" in g.message)
    assert after.count == 15 and after.rows[0] == 3
    assert "(27 September 2020 – 10 November 2020)" in after.message
    assert not CasualtyRecord.objects.filter(external_id__startswith="late-").exists()


def test_the_import_preview_lists_the_planted_duplicates(register):
    found = {
        frozenset((p.first.key, p.second.key)) for p in register["import"].duplicates
    }  # row keys and record ids
    sergey = CasualtyRecord.objects.get(external_id="sergey-shakaryan").pk
    rows = [p for p in register["import"].duplicates if sergey in (p.first.key, p.second.key)]
    assert rows and "Սերգեյ Շաքարյան" in rows[0].second.label
    assert len(found) >= len(register["planted"])


@pytest.mark.template_context
def test_duplicates_page_pairs_the_default_record_and_merging_drops_the_floor(client, register):
    client.force_login(register["reviewer"])
    url = reverse("admin:casualties_casualtyrecord_duplicates")
    pairs = client.get(url).context["page"].paginator.object_list
    sergey = CasualtyRecord.objects.get(external_id="sergey-shakaryan")
    twin = CasualtyRecord.objects.get(external_id="hy-sergey-shakaryan")
    [pair] = [p for p in pairs if {p.first.key, p.second.key} == {sergey.pk, twin.pk}]
    assert "same rank" in pair.reasons
    planted_found = sum(
        1 for p in pairs
        if {CasualtyRecord.objects.get(pk=k).external_id for k in (p.first.key, p.second.key)}
        in [set(x) for x in register["planted"]]
    )  # fmt: skip
    assert planted_found >= 0.95 * len(register["planted"])

    conflict = Conflict.objects.get(slug=WAR)
    party = Party.objects.get(slug="armenia-and-artsakh")
    killed = Category.objects.get(slug="military-killed")

    def floor():
        return compute(conflict.pk).categories[killed.pk].figure(party.pk)

    before = floor()
    assert before.basis == "records"  # 5,000 named people are more than the 3,825 claimed
    response = client.post(
        url, {"keep": sergey.pk, "other": twin.pk, "action": "merge", "reason": "Same colonel"}
    )
    assert response.status_code == 302
    after = floor()
    assert (after.lower, after.record_count) == (before.lower - 1, before.record_count - 1)
