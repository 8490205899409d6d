"""manage.py import_table: a reference table from a file, with history, dry run and errors."""

import pytest
from django.core.management import CommandError, call_command

from casualties.models import Party

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
