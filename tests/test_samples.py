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
