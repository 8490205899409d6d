"""fixtures/samples/: one sample import file per table, real rows of the default data."""

import pytest
from django.core.management import call_command
from django.db import transaction

from fixtures import build_samples


@pytest.fixture(scope="module")
def default_data(django_db_setup, django_db_blocker):
    """The default data, loaded once for the module and rolled back at the end."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_default_data", verbosity=0)
        yield
        transaction.set_rollback(True)


pytestmark = pytest.mark.usefixtures("default_data", "db")


def test_every_table_has_a_sample():
    names = {path.name for path in build_samples.OUT.iterdir()}
    assert {f"{table}.csv" for table in build_samples.SAMPLES} <= names


def test_samples_are_an_export_of_the_default_data():
    """Nothing invented, nothing stale: each file is what the export writes for those rows."""
    for name, content in build_samples.files().items():
        assert (build_samples.OUT / name).read_bytes() == content, (
            f"fixtures/samples/{name} is out of date: python -m fixtures.build_samples"
        )


def test_sample_claims_show_the_kinds_of_figure():
    text = (build_samples.OUT / "claims.csv").read_text(encoding="utf-8")
    for words in ["more than 700", "up to 300 to 400", "US$1.2 billion", "several", "14.000"]:
        assert words in text


DOC = build_samples.ROOT / "docs" / "import-export.md"


def test_the_format_doc_lists_every_column_and_choice():
    """docs/import-export.md names every column of every file and every value of a choice."""
    from claims import exporting

    text = DOC.read_text(encoding="utf-8")
    for name in exporting.TABLE_NAMES:
        table = exporting.table(name)
        section = text.split(f"File: `{name}.")[1].split("\n## ")[0]
        for col in table.columns:
            assert f"| `{col.name}` |" in section, f"{name}.{col.name} is not documented"
            if col.kind == "choice":
                field = table.model._meta.get_field(col.name)
                for value, _label in field.choices:
                    if value:
                        assert f"`{value}`" in section, f"{name}.{col.name}: {value}"


IMPORTED_BY_THE_FAST_PATH = {"claims", "records"}


@pytest.mark.parametrize("filename", build_samples.filenames())
def test_each_sample_imports_into_the_default_data_with_no_change(filename):
    """A dry run of each sample against the default data: no error, every row unchanged."""
    name, fmt = filename.split(".")
    path = build_samples.OUT / filename
    if name in IMPORTED_BY_THE_FAST_PATH:
        importing = pytest.importorskip("claims.importing", reason="importer not on main yet")
        with path.open("rb") as f:
            result = importing.import_file(f, filename, kind=name, user=None, dry_run=True)
        assert result.ok, [str(e) for e in result.errors]
        assert (result.new, result.changed, result.unchanged) == (0, 0, result.rows)
        assert result.rows > 0
        return
    resources = pytest.importorskip("claims.resources", reason="importer not on main yet")
    import tablib

    resource = {
        "sources": resources.SourceResource, "events": resources.EventResource,
        "parties": resources.PartyResource, "places": resources.PlaceResource,
        "categories": resources.CategoryResource, "claimants": resources.ClaimantResource,
    }[name]()  # fmt: skip
    dataset = tablib.Dataset().load(path.read_text(encoding="utf-8"), format=fmt)
    result = resource.import_data(dataset, dry_run=True)
    assert not result.has_errors() and not result.has_validation_errors()
    assert len(result.rows) == len(dataset) > 0
    assert {row.import_type for row in result.rows} == {"skip"}  # unchanged
