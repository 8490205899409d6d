"""manage.py import_table: a reference table from a file, with history, dry run and errors."""

import pytest
from django.core.management import CommandError, call_command

from casualties.models import Party, Place

PARTIES = "slug,name,conflict,kind,parent,side,description\n"


@pytest.fixture
def parties_file(tmp_path):
    def make(body, name="parties.csv"):
        path = tmp_path / name
        path.write_text(PARTIES + body, encoding="utf-8")
        return str(path)

    return make


def test_a_parent_may_follow_its_child_in_the_file(world, admin_user, parties_file, capsys):
    path = parties_file(
        "new-brigade,New brigade,test-war,armed_force,new-army,side-a,\n"
        "new-army,New army,test-war,armed_force,alpha,side-a,\n"
    )
    call_command("import_table", path, "--user", "boss")
    assert "parties.csv: imported 2 new, 0 changed, 0 unchanged parties." in capsys.readouterr().out
    brigade = Party.objects.get(slug="new-brigade")
    assert brigade.parent.slug == "new-army" and brigade.parent.parent.slug == "alpha"
    entry = brigade.history.get()
    assert entry.history_change_reason == "Imported by boss from “parties.csv” (command)"
    assert entry.history_user == admin_user


def test_dry_run_writes_nothing(world, parties_file, capsys):
    path = parties_file("new-army,New army,test-war,armed_force,alpha,side-a,\n")
    call_command("import_table", path, "--dry-run")
    assert "would import 1 new" in capsys.readouterr().out
    assert not Party.objects.filter(slug="new-army").exists()
    assert not Party.history.filter(slug="new-army").exists()


def test_a_bad_row_imports_nothing_and_names_the_row(world, parties_file, capsys):
    path = parties_file(
        "new-army,New army,test-war,armed_force,alpha,side-a,\n"
        "lost,Lost,test-war,armed_force,nowhere,side-a,\n"
    )
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_table", path)
    assert "row 3" in capsys.readouterr().err
    assert not Party.objects.filter(slug__in=["new-army", "lost"]).exists()


def test_the_table_is_named_or_refused(world, tmp_path):
    path = tmp_path / "stuff.csv"
    path.write_text(PARTIES)
    with pytest.raises(CommandError, match="--table"):
        call_command("import_table", str(path))


def test_an_editor_without_permission_is_refused(world, parties_file, member_of):
    member_of("editor", "ed")
    path = parties_file("new-army,New army,test-war,armed_force,alpha,side-a,\n")
    call_command("import_table", path, "--user", "ed")  # editors add and change parties
    assert Party.objects.filter(slug="new-army").exists()


@pytest.mark.parametrize(("column", "value", "message"), [
    ("start_date", "28.10.2020", "“28.10.2020” is not a date written YYYY-MM-DD"),
    ("start_date", "10/28/2020", "“10/28/2020” is not a date written YYYY-MM-DD"),
])  # fmt: skip
def test_a_bad_cell_is_named_as_the_claims_import_names_it(
    world, tmp_path, capsys, column, value, message
):
    """One reading of a cell for every import: the reference tables' messages are the claims'
    and records' (they said "Value could not be parsed using defined formats")."""
    path = tmp_path / "events.csv"
    path.write_text(f"slug,name,conflict,{column}\nshelling,Shelling,test-war,{value}\n")
    with pytest.raises(CommandError, match="nothing imported"):
        call_command("import_table", str(path))
    assert f"row 2, {column}: {message}" in capsys.readouterr().err


def test_whole_numbers_and_booleans_are_read_as_every_import_reads_them(world, tmp_path, capsys):
    path = tmp_path / "categories.csv"
    path.write_text("slug,name,kind,position\nnew,New,personnel,3.5\n")
    with pytest.raises(CommandError):
        call_command("import_table", str(path))
    assert "row 2, position: “3.5” is not a whole number (0 or more)" in capsys.readouterr().err
    places = tmp_path / "places.csv"
    places.write_text("slug,name,is_contested\ntown,Town,yes\nvillage,Village,\n")
    call_command("import_table", str(places))
    assert dict(Place.objects.values_list("slug", "is_contested")) == {
        "town": True, "village": False,
    }  # fmt: skip
