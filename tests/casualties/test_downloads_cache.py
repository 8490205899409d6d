"""Public downloads are built once per data state and served from the downloads storage."""

import pytest
from django.urls import reverse

from casualties.history import change_context, save_with_history
from casualties.models import CasualtyRecord, Place, PlaceName
from claims import exporting
from claims.models import Source
from claims.public import downloads
from claims.services import claim_publish, claim_submit_for_review, claim_update
from tests.claims.test_exporting import parse

SETUP = "test setup"


def get(client, name="claims", fmt="csv", **headers):
    return client.get(reverse("casualties:download", args=[name, fmt]), headers=headers)


def rows(client, name="claims", fmt="csv"):
    response = get(client, name, fmt)
    assert response.status_code == 200
    return parse(fmt, b"".join(response.streaming_content))


def files():
    """The downloads stored, by name."""
    storage = downloads.storage()
    return sorted(storage.listdir("")[1]) if storage.exists("") else []


def token():
    from claims.refresh import state_token

    return state_token()


@pytest.fixture
def builds(monkeypatch):
    """The (table, format) of every build."""
    done = []
    real = exporting.write_export

    def counting(table, queryset, fmt, out, **kwargs):
        done.append((table.name, fmt))
        real(table, queryset, fmt, out, **kwargs)

    monkeypatch.setattr(exporting, "write_export", counting)
    return done


class TestServedFromTheCache:
    @pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
    def test_the_second_request_costs_the_version_query_only(
        self, client, make_claim, builds, django_assert_num_queries, fmt
    ):
        make_claim()
        first = b"".join(get(client, fmt=fmt).streaming_content)
        with django_assert_num_queries(1):  # the data version
            response = get(client, fmt=fmt)
            second = b"".join(response.streaming_content)
        assert second == first and builds == [("claims", fmt)]
        assert response["Content-Length"] == str(len(first))

    def test_headers_are_those_of_a_built_file(self, client, make_claim):
        make_claim()
        first, second = get(client), get(client)
        assert first["Content-Disposition"] == second["Content-Disposition"]
        assert first["Content-Type"] == second["Content-Type"] == "text/csv; charset=utf-8"
        assert '/downloads/>; rel="describedby"' in second["Link"]
        assert first["ETag"] == second["ETag"]
        assert token() not in first["ETag"]
        assert second["Last-Modified"]

    def test_each_table_and_format_is_its_own_file(self, client, make_claim, builds):
        make_claim()
        for name, fmt in [("claims", "csv"), ("claims", "json"), ("sources", "csv")] * 2:
            rows(client, name, fmt)
        assert builds == [("claims", "csv"), ("claims", "json"), ("sources", "csv")]


class TestAWriteShowsInTheNextDownload:
    def test_a_claim_edited_through_the_service(self, client, make_claim, builds):
        claim = make_claim(quote="before")
        assert rows(client)[0]["quote"] == "before"
        claim_update(claim=claim, user=None, reason="typo", quote="after")
        assert rows(client)[0]["quote"] == "after"
        assert len(builds) == 2

    def test_a_claim_published(self, client, make_claim, admin_user):
        make_claim()
        claim = make_claim(status="draft")
        assert len(rows(client)) == 1
        claim_submit_for_review(claim=claim, user=admin_user, expected_version=claim.version)
        claim_publish(claim=claim, user=admin_user, expected_version=claim.version)
        assert {r["external_id"] for r in rows(client)} >= {claim.external_id}
        assert len(rows(client, fmt="json")) == 2

    def test_a_source_title(self, client, make_claim, world):
        make_claim()
        assert rows(client, "sources")[0]["title"] == "A report"
        world.source.title = "A better title"
        save_with_history(world.source, user=None, reason="title")
        assert rows(client, "sources")[0]["title"] == "A better title"

    def test_a_place_name(self, client, world):
        with change_context(user=None, reason=SETUP):
            place = Place.objects.create(slug="shusha", name="Shusha", kind="city")
            name = PlaceName.objects.create(place=place, language="hy", name="Շուշի")
        assert rows(client, "places")[0]["names"] == "hy=Շուշի"
        name.name = "Շուշի քաղաք"
        save_with_history(name, user=None, reason="spelling")
        assert rows(client, "places")[0]["names"] == "hy=Շուշի քաղաք"

    def test_a_named_records_sources(self, client, world):
        """The m2m's own history table is not in the version: changing it writes a history
        row of the record (or, from the source's side, of the source)."""
        with change_context(user=None, reason=SETUP):
            record = CasualtyRecord.objects.create(
                conflict=world.conflict, external_id="r", name="R", role="civilian",
                party=world.alpha, outcome="killed", status="published",
            )  # fmt: skip
            other = Source.objects.create(slug="other", title="Other")
        assert rows(client, "records")[0]["sources"] == ""
        with change_context(user=None, reason="cited"):
            record.sources.set([other])
        assert rows(client, "records")[0]["sources"] == "other"
        assert [r["slug"] for r in rows(client, "sources")] == ["other"]
        # From the source's side, simple-history writes a history row of the source.
        with change_context(user=None, reason="cited"):
            world.source.records.add(record)
        assert rows(client, "records")[0]["sources"] == "other; report"


class TestByteOrderMark:
    """``?bom=1``: the CSV with a UTF-8 byte-order mark, a file of its own in the cache."""

    def bom(self, client, **headers):
        url = reverse("casualties:download", args=["claims", "csv"])
        return client.get(url, {"bom": "1"}, headers=headers)

    def test_only_the_bom_variant_starts_with_one(self, client, make_claim, builds):
        make_claim(quote="Ստեփանակերտ")
        plain = b"".join(get(client).streaming_content)
        marked = b"".join(self.bom(client).streaming_content)
        assert marked.startswith(b"\xef\xbb\xbf") and not plain.startswith(b"\xef\xbb\xbf")
        assert marked[3:] == plain
        assert "Ստեփանակերտ" in marked.decode("utf-8-sig")
        assert builds == [("claims", "csv"), ("claims", "csv")]

    def test_other_formats_and_values_have_none(self, client, make_claim):
        make_claim()
        url = reverse("casualties:download", args=["claims", "csv"])
        assert not b"".join(client.get(url, {"bom": "0"}).streaming_content).startswith(b"\xef")
        json_url = reverse("casualties:download", args=["claims", "json"])
        assert b"".join(client.get(json_url, {"bom": "1"}).streaming_content).startswith(b"[")

    def test_each_variant_is_cached_with_its_own_etag(
        self, client, make_claim, builds, django_assert_num_queries
    ):
        make_claim()
        plain, marked = get(client), self.bom(client)
        assert plain["ETag"] != marked["ETag"]
        assert marked["Content-Type"] == "text/csv; charset=utf-8"
        assert marked["Content-Disposition"] == plain["Content-Disposition"]
        with django_assert_num_queries(1):  # the data version
            again = self.bom(client)
            length = len(b"".join(again.streaming_content))
        assert again["ETag"] == marked["ETag"] and again["Content-Length"] == str(length)
        with django_assert_num_queries(1):
            assert self.bom(client, if_none_match=marked["ETag"]).status_code == 304
        assert self.bom(client, if_none_match=plain["ETag"]).status_code == 200
        assert len(builds) == 2
        assert files() == [f"claims.{token()}.csv", f"claims.{token()}.csvbom"]

    def test_a_write_shows_in_the_bom_variant(self, client, make_claim):
        claim = make_claim(quote="before")
        first = self.bom(client)
        assert b"before" in b"".join(first.streaming_content)
        claim_update(claim=claim, user=None, reason="typo", quote="after")
        second = self.bom(client, if_none_match=first["ETag"])
        assert second.status_code == 200
        content = b"".join(second.streaming_content)
        assert content.startswith(b"\xef\xbb\xbf") and b"after" in content


class TestConditionalRequests:
    def test_if_none_match_gives_304_for_the_version_query(
        self, client, make_claim, django_assert_num_queries
    ):
        make_claim()
        etag = get(client)["ETag"]
        with django_assert_num_queries(1):
            response = get(client, if_none_match=etag)
        assert response.status_code == 304 and response["ETag"] == etag
        assert response["Last-Modified"] and not response.content

    def test_an_old_etag_gets_the_new_file(self, client, make_claim):
        claim = make_claim()
        etag = get(client)["ETag"]
        claim_update(claim=claim, user=None, reason="typo", quote="new")
        response = get(client, if_none_match=etag)
        assert response.status_code == 200 and response["ETag"] != etag

    def test_if_modified_since(self, client, make_claim):
        make_claim()
        last_modified = get(client)["Last-Modified"]
        assert get(client, if_modified_since=last_modified).status_code == 304

    def test_head_and_post(self, client, world):
        assert (
            client.head(reverse("casualties:download", args=["claims", "csv"])).status_code == 200
        )
        assert (
            client.post(reverse("casualties:download", args=["claims", "csv"])).status_code == 405
        )


class TestFiles:
    def test_another_states_file_is_removed_once_a_newer_one_is_built(self, client, make_claim):
        claim = make_claim()
        rows(client)
        rows(client, fmt="json")
        old = token()
        claim_update(claim=claim, user=None, reason="typo", quote="new")
        rows(client)
        assert files() == [f"claims.{old}.json", f"claims.{token()}.csv"]

    def test_a_failed_build_leaves_nothing_to_serve(self, client, make_claim, monkeypatch):
        make_claim()
        real = exporting.write_export

        def half(table, queryset, fmt, out, **kwargs):
            out.write(b"external_id,conf")
            raise RuntimeError("the database went away")

        monkeypatch.setattr(exporting, "write_export", half)
        with pytest.raises(RuntimeError):
            get(client)
        assert files() == []
        monkeypatch.setattr(exporting, "write_export", real)
        assert len(rows(client)) == 1

    def test_two_builds_at_once_keep_one_file(self, client, make_claim, monkeypatch):
        """Two web machines building the same missing file: the first saved is kept, the
        second's copy is dropped, both serve the same bytes."""
        make_claim()
        real = exporting.write_export
        raced = []

        def racing(table, queryset, fmt, out, **kwargs):
            real(table, queryset, fmt, out, **kwargs)
            if not raced:  # another request saves the file while this one builds it
                raced.append(True)
                downloads.stored_file(table.name, fmt, token())

        monkeypatch.setattr(exporting, "write_export", racing)
        first = b"".join(get(client).streaming_content)
        assert files() == [f"claims.{token()}.csv"]
        assert b"".join(get(client).streaming_content) == first

    def test_clear_removes_every_file(self, client, make_claim):
        make_claim()
        rows(client)
        rows(client, "sources")
        downloads.clear()
        assert files() == []
        assert len(rows(client)) == 1
