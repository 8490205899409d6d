"""Export → import is a round trip with zero differences, in CSV, XLSX and JSON: names in
Armenian, Azerbaijani and Cyrillic script, cells starting with "=" (and every other formula
trigger), an apostrophe already in front of one, line breaks, list cells with locators."""

import datetime
import io

import openpyxl
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from casualties.history import change_context
from casualties.models import CasualtyRecord, Event, Party, Place, PlaceName
from casualties.services import record_create
from claims import exporting
from claims.models import Claim, ClaimSource, Source

importing = pytest.importorskip("claims.importing", reason="the importer is not on main yet")

SETUP = "test setup"
D = datetime.date
FORMATS = ["csv", "xlsx", "json"]


def export(name: str, fmt: str, **kwargs) -> bytes:
    out = io.BytesIO()
    table = exporting.table(name)
    exporting.write_export(table, table.model._default_manager.all(), fmt, out, **kwargs)
    return out.getvalue()


def cells(fmt: str, content: bytes):
    """What a file holds: its bytes, or for a workbook (whose zip carries the time it was
    written) the values of its cells."""
    if fmt != "xlsx":
        return content
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.values)


def history_count(*models) -> int:
    return sum(m.history.count() for m in models)


@pytest.fixture
def importer(db):
    return get_user_model().objects.create_superuser("imp", "imp@example.org", "pw-imp-123!")


@pytest.fixture
def tricky(world, make_claim):
    """Claims and records whose cells a careless export or import would change."""
    with change_context(user=None, reason=SETUP):
        place = Place.objects.create(slug="stepanakert", name="Stepanakert / Khankendi")
        second = Source.objects.create(slug="hrw", title="=HRW report", url="https://hrw.org/x")
    make_claim(quote="Ստեփանակերտ, 2 October", assessment_note="=1+1", place=place)
    make_claim(
        figure_text="more than 700", quote="-20 at dawn\r\nthen +5", note="'=already quoted",
        assessment_note="@mention", claimant=world.beta_mod, subject=world.alpha,
        status="draft",
    )  # fmt: skip
    make_claim(
        figure_text="300 to 400", scope="period", as_of=None, period_start=D(2020, 10, 1),
        period_end=D(2020, 10, 3), quote="\tXankəndi; Степанакерт", status="in_review",
    )  # fmt: skip
    claim = Claim.objects.get(figure_text="300 to 400")
    with change_context(user=None, reason=SETUP):
        ClaimSource.objects.create(claim=claim, source=second, locator="p. 3; (table 2)")
        for i, name in enumerate(["Ստեփանակերտ Ավագյան", "Xankəndi Əliyev", "Степан Петров"]):
            # Through the service, which derives the Latin form as the import does.
            record_create(
                user=None, reason=SETUP, sources=[world.source, second][: i + 1],
                conflict=world.conflict, external_id=f"r-{i}", name=name,
                name_transliterated="=" + name[:3], role="civilian", party=world.alpha,
                outcome="killed", place=place,
            )  # fmt: skip
    return world


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["claims", "records"])
def test_reimporting_an_export_changes_nothing(tricky, importer, fmt, name):
    models = [Claim, ClaimSource] if name == "claims" else [CasualtyRecord]
    before, history = export(name, fmt), history_count(*models)
    result = importing.import_file(
        io.BytesIO(before), f"{name}.{fmt}", kind=name, user=importer, via="test"
    )
    assert result.ok, [str(e) for e in result.errors]
    assert (result.new, result.changed) == (0, 0)
    assert result.unchanged == exporting.table(name).model.objects.count()
    assert cells(fmt, export(name, fmt)) == cells(fmt, before)
    assert history_count(*models) == history


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_export_imported_into_an_empty_table_is_the_same_data(tricky, importer, fmt):
    before = export("claims", fmt)
    export_before_without_version = export("claims", fmt, omit={"version"})
    count = Claim.objects.count()
    with change_context(user=None, reason="emptied for the round trip"):
        for claim in Claim.objects.all():
            claim.delete()
    result = importing.import_file(
        io.BytesIO(before), f"claims.{fmt}", kind="claims", user=importer, via="test"
    )
    assert result.ok, [str(e) for e in result.errors]
    assert result.new == count
    # The same data; the rows are new, so they have new versions.
    assert cells(fmt, export("claims", fmt, omit={"version"})) == cells(
        fmt, export_before_without_version
    )
    quotes = set(Claim.objects.values_list("quote", flat=True))
    assert {"Ստեփանակերտ, 2 October", "-20 at dawn\r\nthen +5", "\tXankəndi; Степанакерт"} <= quotes
    assert set(Claim.objects.values_list("assessment_note", flat=True)) == {"=1+1", "@mention", ""}
    assert Claim.objects.get(note__startswith="'").note == "'=already quoted"


def test_place_names_in_every_script_survive_the_reference_import(tricky):
    resources = pytest.importorskip("claims.resources")
    with change_context(user=None, reason=SETUP):
        place = Place.objects.get(slug="stepanakert")
        for lang, name, used in [("hy", "Ստեփանակերտ", "Armenian usage"),
                                 ("az", "Xankəndi", "Azerbaijani usage"), ("ru", "Степанакерт", "")]:  # fmt: skip
            PlaceName.objects.create(place=place, language=lang, name=name, used_by=used)
    content = export("places", "csv").decode("utf-8")
    assert (
        "hy=Ստեփանակերտ (Armenian usage); az=Xankəndi (Azerbaijani usage); ru=Степанакерт"
        in content
    )
    import tablib

    dataset = tablib.Dataset().load(content, format="csv")
    result = resources.PlaceResource().import_data(dataset, dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors()
    assert {r.import_type for r in result.rows} == {"skip"}


REFERENCE_TABLES = ["sources", "events", "parties", "places", "categories", "claimants"]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", REFERENCE_TABLES)
def test_a_reference_table_export_imports_back_unchanged(tricky, importer, tmp_path, fmt, name,
                                                        capsys):  # fmt: skip
    """What the downloads and the admin export write (empty trailing cells included, which an
    XLSX leaves out of a row) is an import template: ``import_table`` reads it back as it is."""
    with change_context(user=None, reason=SETUP):
        Event.objects.create(
            conflict=tricky.conflict,
            name="=Shelling",
            slug="shelling",
            start_date=D(2020, 10, 4),
            description="'=quoted\r\nline two",
        )
        Party.objects.filter(slug="beta").update(description="@mention")  # fmt: skip
    path = tmp_path / f"{name}.{fmt}"
    path.write_bytes(export(name, fmt))
    call_command("import_table", str(path), "--user", importer.username)
    count = exporting.table(name).model.objects.count()
    assert f": imported 0 new, 0 changed, {count} unchanged {name}." in capsys.readouterr().out
    assert Event.objects.get(slug="shelling").description == "'=quoted\r\nline two"


def test_an_xlsx_row_wider_than_its_header_is_refused_naming_the_row(world, importer, tmp_path):
    book = openpyxl.Workbook()
    book.active.append(["slug", "name", "conflict", "kind"])
    book.active.append(["new-army", "New army", "test-war", "armed_force"])
    book.active.append(["lost", "Lost", "test-war", "armed_force", None, "stray"])
    book.save(tmp_path / "parties.xlsx")
    with pytest.raises(CommandError, match=r"Row 3: 6 cells in a row of a 4-column file"):
        call_command("import_table", str(tmp_path / "parties.xlsx"), "--user", importer.username)
    assert not Party.objects.filter(slug="new-army").exists()
