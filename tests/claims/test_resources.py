"""The column definitions and the stock django-import-export resources built on them."""

import pytest
import tablib

from casualties.history import change_context
from claims.models import Claim
from claims.resources import (
    CLAIM_COLUMNS,
    COLUMNS,
    ClaimResource,
    SourceResource,
    parse_names,
    parse_sources,
    render_names,
    render_sources,
)

HEADERS = [c.name for c in CLAIM_COLUMNS]


def claim_row(world, **over):
    row = dict.fromkeys(HEADERS, "")
    row.update(
        external_id="c-one", conflict="test-war", claimant="alpha-mod", subject="alpha",
        category="military-killed", figure_text="more than 700", lower="701", qualifier="more_than",
        scope="cumulative", as_of="2020-10-01", status="published", assessment="not_assessed",
        accepted="false", sources="report (p. 3)",
    )  # fmt: skip
    row.update(over)
    return row


def test_every_table_has_a_row_id_column_first():
    for name, columns in COLUMNS.items():
        assert columns[0].name in {"external_id", "slug"}, name
        assert columns[0].required


def test_fk_columns_export_the_slug_path():
    paths = {c.name: c.path for c in CLAIM_COLUMNS}
    assert paths["claimant"] == "claimant__slug"
    assert paths["figure_text"] == "figure_text"


def test_sources_cell_round_trips_locators_with_separators():
    values = [("mod-report", "para 3; line 2"), ("hrw", ""), ("x-1", "p. (4)")]
    assert parse_sources(render_sources(values)) == values


def test_a_sources_cell_that_is_not_slugs_is_refused():
    with pytest.raises(ValueError, match="not a source slug"):
        parse_sources("good; two words")


def test_place_names_round_trip_in_any_script():
    names = [
        ("hy", "Ստեփանակերտ", "Armenian usage"),
        ("az", "Xankəndi", ""),
        ("ru", "Степанакерт", ""),
    ]
    assert parse_names(render_names(names)) == names


def test_stock_claim_resource_imports_with_history(world):
    dataset = tablib.Dataset(list(claim_row(world).values()), headers=HEADERS)
    with change_context(user=None, reason="stock import"):
        result = ClaimResource().import_data(dataset, raise_errors=True)
    assert not result.has_errors()
    claim = Claim.objects.get(external_id="c-one")
    assert (claim.lower, claim.qualifier, claim.claimant.slug) == (701, "more_than", "alpha-mod")
    assert claim.history.get().history_change_reason == "stock import"


def test_stock_resource_refuses_an_unknown_claimant_by_name(world):
    dataset = tablib.Dataset(list(claim_row(world, claimant="nobody").values()), headers=HEADERS)
    with change_context(user=None, reason="stock import"):
        result = ClaimResource().import_data(dataset)
    assert result.has_validation_errors()
    messages = str(result.invalid_rows[0].error_dict)
    assert "nobody" in messages and "claimant" in messages
    assert not Claim.objects.exists()


def test_stock_source_resource_refuses_javascript_urls(world):
    dataset = tablib.Dataset(
        ["evil", "Evil", "", "javascript:alert(1)", "", "", "", "en", ""],
        headers=[c.name for c in COLUMNS["sources"]],
    )
    with change_context(user=None, reason="stock import"):
        result = SourceResource().import_data(dataset)
    assert result.has_validation_errors()


def test_stock_claim_resource_reads_the_words_as_everywhere(world):
    row = claim_row(world, figure_text="about 100", lower="", qualifier="")
    dataset = tablib.Dataset(list(row.values()), headers=HEADERS)
    with change_context(user=None, reason="stock import"):
        result = ClaimResource().import_data(dataset, raise_errors=True)
    assert not result.has_errors()
    claim = Claim.objects.get(external_id="c-one")
    assert (claim.lower, claim.best, claim.upper, claim.qualifier) == (90, 100, 110, "about")


def test_stock_claim_resource_refuses_by_the_claims_rules(world):
    row = claim_row(world, lower="9", upper="5", qualifier="range")
    dataset = tablib.Dataset(list(row.values()), headers=HEADERS)
    with change_context(user=None, reason="stock import"):
        result = ClaimResource().import_data(dataset)
    assert result.has_validation_errors()
    errors = result.invalid_rows[0].error_dict
    assert errors["lower"] == ["The lower bound cannot be above the upper bound."]
    assert not Claim.objects.exists()
