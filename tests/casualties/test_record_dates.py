"""A named record's date known only to the month ("September 2020"): written as the 1st, in the
war if any day of the month is, and counted "as known on" a day only from the month's end."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError

from casualties.models import CasualtyRecord
from casualties.services import record_create
from claims.importing import import_file
from claims.loaders import compute

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def record(world):
    def make(external_id, date, precision="day"):
        return record_create(
            user=None, reason="test", sources=[world.source], conflict=world.conflict,
            external_id=external_id, name=f"Person {external_id}", role="serviceman",
            party=world.alpha, outcome="killed", date=date, date_precision=precision,
            status="published",
        )  # fmt: skip

    return make


def test_the_month_the_war_began_is_in_the_war(record):
    # The test war began on 27 September 2020.
    assert record("sept", D(2020, 9, 1), "month").date == D(2020, 9, 1)
    with pytest.raises(ValidationError, match="is before the war"):
        record("aug", D(2020, 8, 1), "month")
    with pytest.raises(ValidationError, match="is before the war"):
        record("sept-day", D(2020, 9, 1))  # the same date, exact to the day


def test_a_month_is_written_as_its_first_day(record):
    with pytest.raises(ValidationError, match=r"written as its 1st \(2020-10-01\)"):
        record("mid", D(2020, 10, 15), "month")


def test_an_import_takes_the_first_month_and_names_the_row_of_a_month_before_it(world):
    header = "external_id,conflict,name,role,party,outcome,date,date_precision,sources\n"
    rows = ["m1,test-war,Arman,serviceman,alpha,killed,2020-09-01,month,report\n",
            "m2,test-war,Elnur,serviceman,alpha,killed,2020-08-01,month,report\n"]  # fmt: skip
    result = import_file(io.BytesIO((header + "".join(rows)).encode()), "r.csv", kind="records",
                         user=None)  # fmt: skip
    assert [(e.row, e.column) for e in result.errors] == [(3, "date")]
    assert not CasualtyRecord.objects.exists()  # a file with an error imports nothing
    result = import_file(io.BytesIO((header + rows[0]).encode()), "r.csv", kind="records",
                         user=None)  # fmt: skip
    assert result.ok and CasualtyRecord.objects.get().date_precision == "month"


@pytest.mark.parametrize(("day", "known"), [
    (D(2020, 10, 4), set()), (D(2020, 10, 5), {"day"}), (D(2020, 10, 30), {"day"}),
    (D(2020, 10, 31), {"day", "october"}), (D(2020, 11, 10), {"day", "october"}),
])  # fmt: skip
def test_a_month_counts_as_known_from_its_last_day(world, record, day, known):
    """Someone who died "in October 2020" is certainly dead by 31 October only: a floor as
    known on 15 October does not count them."""
    record("day", D(2020, 10, 5))
    record("october", D(2020, 10, 1), "month")
    assert {r.external_id for r in CasualtyRecord.objects.known_on(day)} == known
    killed = compute(world.conflict.pk, as_of=day).categories.get(world.killed.pk)
    figure = killed.figure(world.alpha.pk) if killed else None
    assert (figure.record_count if figure else 0) == len(known)
