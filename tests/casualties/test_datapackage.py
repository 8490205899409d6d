"""``/downloads/datapackage.json``: the downloads as a Frictionless Data Package, checked against
the files the default data downloads as."""

import csv
import io
import json

import frictionless
import pytest
from django.core.management import call_command
from django.urls import reverse

from claims import exporting
from claims.public import datapackage, downloads
from claims.resources import COLUMNS


@pytest.fixture
def default_data(db):
    """The default data, for one test (in its transaction, rolled back after it): a fixture of
    wider scope would outlive the test on a worker that runs this module's other tests."""
    call_command("load_default_data", verbosity=0)


def package(client) -> dict:
    response = client.get(reverse("casualties:datapackage"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def csv_download(client, name: str) -> bytes:
    response = client.get(reverse("casualties:download", args=[name, "csv"]))
    assert response.status_code == 200
    return b"".join(response.streaming_content)


def resources(descriptor) -> dict:
    return {r["name"]: r for r in descriptor["resources"]}


class TestTheDescriptor:
    def test_costs_no_query_and_has_an_etag(self, client, db, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = client.get(reverse("casualties:datapackage"))
        assert response.status_code == 200 and response["ETag"]
        again = client.get(
            reverse("casualties:datapackage"), headers={"If-None-Match": response["ETag"]}
        )
        assert again.status_code == 304

    def test_one_resource_per_download_at_its_file_name(self, client, db):
        descriptor = package(client)
        assert [r["name"] for r in descriptor["resources"]] == [n for n, *_ in downloads.DOWNLOADS]
        for resource in descriptor["resources"]:
            url = reverse("casualties:download", args=[resource["name"], "csv"])
            assert url.endswith("/" + resource["path"])
            assert resource["schema"]["missingValues"] == [""]
        assert descriptor["licenses"] and descriptor["title"] and descriptor["description"]

    def test_the_fields_are_the_csv_headers(self, client, world):
        for name, resource in resources(package(client)).items():
            header = next(csv.reader(io.StringIO(csv_download(client, name).decode())))
            assert [f["name"] for f in resource["schema"]["fields"]] == header, name

    def test_nothing_a_public_download_leaves_out(self, client, db):
        fields = {
            name: {f["name"] for f in r["schema"]["fields"]}
            for name, r in resources(package(client)).items()
        }
        assert not fields["records"] & {
            "date_of_birth",
            "private_notes",
            "contact_details",
            "version",
        }
        assert not fields["claims"] & {"note", "version"}

    def test_types_come_from_the_column_kinds(self, client, db):
        expected = {"int": "integer", "date": "date", "bool": "boolean"}
        for name, resource in resources(package(client)).items():
            kinds = {c.name: c.kind for c in COLUMNS[name]}
            for field in resource["schema"]["fields"]:
                assert field["type"] == expected.get(kinds[field["name"]], "string")
                if kinds[field["name"]] == "choice":
                    assert field["constraints"]["enum"]
        claims = {f["name"]: f for f in resources(package(client))["claims"]["schema"]["fields"]}
        assert "published" in claims["status"]["constraints"]["enum"]

    def test_keys_and_foreign_keys_resolve(self, client, db):
        found = resources(package(client))
        assert found["claims"]["schema"]["primaryKey"] == ["external_id"]
        assert found["records"]["schema"]["primaryKey"] == ["external_id"]
        assert found["parties"]["schema"]["primaryKey"] == ["slug"]
        references = set()
        for name, resource in found.items():
            schema = resource["schema"]
            field_names = {f["name"] for f in schema["fields"]}
            assert set(schema["primaryKey"]) <= field_names
            for key in schema.get("foreignKeys", []):
                assert set(key["fields"]) <= field_names
                target = found[key["reference"]["resource"] or name]
                assert key["reference"]["fields"] == target["schema"]["primaryKey"]
                references.add((name, key["fields"][0], target["name"]))
        assert {
            ("claims", "claimant", "claimants"),
            ("claims", "subject", "parties"),
            ("claims", "category", "categories"),
            ("claims", "event", "events"),
            ("records", "counted_in", "parties"),
            ("parties", "parent", "parties"),
            ("categories", "adds_to", "categories"),
            ("claimants", "party", "parties"),
            ("events", "place", "places"),
        } <= references
        # A conflict and a side are not downloads: no key points at them.
        assert not {r for r in references if r[1] in ("conflict", "side")}


@pytest.mark.usefixtures("default_data")
class TestTheDefaultData:
    def test_frictionless_validates_the_downloaded_folder(self, client, db, tmp_path):
        folder = tmp_path / "package"
        folder.mkdir()
        (folder / "datapackage.json").write_bytes(client.get("/downloads/datapackage.json").content)
        for name in exporting.TABLE_NAMES:
            (folder / f"{name}.csv").write_bytes(csv_download(client, name))
        report = frictionless.validate(str(folder / "datapackage.json"))
        errors = [
            f"{task.name}: {error.message}" for task in report.tasks for error in task.errors
        ] + [error.message for error in report.errors]
        assert report.valid, "\n".join(errors[:20])
        rows = {task.name: task.stats.get("rows") for task in report.tasks}
        assert rows["claims"] > 100 and rows["records"] > 0 and rows["parties"] > 0


def test_the_descriptor_is_built_from_the_exports_columns():
    claims = datapackage.descriptor()["resources"][0]
    assert [f["name"] for f in claims["schema"]["fields"]] == exporting.table("claims").headers(
        public=True
    )


def test_frictionless_checks_the_keys(client, make_claim, tmp_path):
    """The validation above is not vacuous: a claimant slug that is in no row of
    claimants.csv, and a claim id twice, are errors."""
    make_claim()
    (tmp_path / "datapackage.json").write_bytes(client.get("/downloads/datapackage.json").content)
    for name in exporting.TABLE_NAMES:
        (tmp_path / f"{name}.csv").write_bytes(csv_download(client, name))
    assert frictionless.validate(str(tmp_path / "datapackage.json")).valid
    claims = (tmp_path / "claims.csv").read_text().splitlines(keepends=True)
    (tmp_path / "claims.csv").write_text(
        claims[0] + claims[1] + claims[1].replace("alpha-mod", "nobody", 1)
    )
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert {e.type for task in report.tasks for e in task.errors} >= {
        "foreign-key",
        "primary-key",
    }


def test_the_downloads_page_links_the_package_and_the_bom_option(client, db):
    page = client.get(reverse("casualties:downloads")).content.decode()
    assert 'href="/downloads/datapackage.json"' in page and "?bom=1" in page
