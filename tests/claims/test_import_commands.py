"""import_claims / import_records: same checks and history as the admin, summary, exit status."""

import pytest
from django.core.management import CommandError, call_command

from casualties.models import CasualtyRecord
from claims.models import Claim
from tests.claims.test_importing import RECORD_COLUMNS, claim, csv_bytes


@pytest.fixture
def claims_file(tmp_path):
    def make(rows, name="claims.csv"):
        path = tmp_path / name
        path.write_bytes(csv_bytes(rows))
        return str(path)

    return make


def test_import_claims_writes_history_and_prints_a_summary(world, admin_user, claims_file, capsys):
    call_command("import_claims", claims_file([claim()]), "--user", "boss")
    out = capsys.readouterr()
    assert "claims.csv: imported 1 new, 0 changed, 0 unchanged." in out.out
    assert "1 rows checked" in out.err
    entry = Claim.objects.get().history.get()
    assert entry.history_change_reason == "Imported by boss from “claims.csv” (command)"
    assert entry.history_user == admin_user


def test_dry_run_writes_nothing(world, claims_file, capsys):
    call_command("import_claims", claims_file([claim()]), "--dry-run", "--no-progress")
    assert "would import 1 new" in capsys.readouterr().out
    assert not Claim.objects.exists() and not Claim.history.exists()


def test_errors_are_listed_and_the_command_fails(world, claims_file, capsys):
    path = claims_file([claim(), claim(external_id="c-2", claimant="nobody", as_of="1.10.2020")])
    with pytest.raises(CommandError, match="2 error"):
        call_command("import_claims", path, "--no-progress")
    err = capsys.readouterr().err
    assert "row 3, claimant: unknown claimant “nobody”" in err
    assert "row 3, as_of:" in err
    assert not Claim.objects.exists() and not Claim.history.exists()


def test_unknown_user_is_refused(world, claims_file):
    with pytest.raises(CommandError, match="No such user"):
        call_command("import_claims", claims_file([claim()]), "--user", "ghost")


@pytest.mark.parametrize(
    ("kind", "role", "allowed"),
    [
        ("claims", "editor", False),  # imported claims may be published: a reviewer's job
        ("claims", "reviewer", True),
        ("claims", "administrator", True),
        ("records", "editor", True),
    ],
)
def test_the_user_named_must_be_allowed_to_import_as_in_the_admin(
    world, claims_file, tmp_path, member_of, kind, role, allowed
):
    user = member_of(role)
    if kind == "claims":
        path, model = claims_file([claim()]), Claim
    else:
        path, model = tmp_path / "records.csv", CasualtyRecord
        path.write_bytes(csv_bytes([record_row()], headers=RECORD_HEADERS))
    command = f"import_{kind}"
    if allowed:
        call_command(command, str(path), "--user", user.username, "--no-progress")
        assert model.history.filter(history_user=user).exists()
    else:
        with pytest.raises(CommandError, match=f"{user.username} may not import {kind}: needs"):
            call_command(command, str(path), "--user", user.username, "--no-progress")
        assert not model.objects.exists() and not model.history.exists()


def test_an_inactive_user_may_not_import(world, claims_file, admin_user):
    admin_user.is_active = False
    admin_user.save()
    with pytest.raises(CommandError, match="the account is inactive"):
        call_command("import_claims", claims_file([claim()]), "--user", admin_user.username)
    assert not Claim.objects.exists()


RECORD_HEADERS = [c.name for c in RECORD_COLUMNS]


def record_row():
    row = dict.fromkeys(RECORD_HEADERS, "")
    row.update(external_id="r-1", conflict="test-war", name="Vüqar Əliyev", role="serviceman",
               party="beta", outcome="killed")  # fmt: skip
    return row


def test_import_records(world, tmp_path, capsys):
    path = tmp_path / "records.csv"
    path.write_bytes(csv_bytes([record_row()], RECORD_HEADERS))
    call_command("import_records", str(path), "--no-progress")
    assert CasualtyRecord.objects.get().name == "Vüqar Əliyev"
    assert "imported 1 new" in capsys.readouterr().out
