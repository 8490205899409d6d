"""The rules of a named casualty record, in one place.

``record_errors`` is the record's validation: ``CasualtyRecord.clean()`` (and so the admin form
and the services, which call ``full_clean()``) and the fast import (``claims.importing``) both
call it, the import with plain values and the war's dates looked up once per file.
``derive`` fills the fields computed from others (the automatic Latin form and the search text);
the services and the import call it, never a signal or ``save()``.
"""

import datetime

from casualties.models import CasualtyRecord
from casualties.names import latin, search_text

Outcome, AgeBand = CasualtyRecord.Outcome, CasualtyRecord.AgeBand
AFTER_WAR_OUTCOMES = {Outcome.KILLED, Outcome.DIED_OF_WOUNDS}


def _day(value: datetime.date | None) -> str:
    return value.strftime("%-d %B %Y") if value else ""


def war_dates_text(start, end, name: str = "") -> str:
    span = f"{_day(start)} – {_day(end) if end else 'ongoing'}"
    return f"the war{f' “{name}”' if name else ''} ({span})"


def month_end(day: datetime.date) -> datetime.date:
    """The last day of ``day``'s month."""
    first_of_next = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return first_of_next - datetime.timedelta(days=1)


def record_errors(
    *,
    date,
    outcome: str,
    died_after_war: bool,
    conflict_start,
    conflict_end,
    conflict_name: str = "",
    date_of_birth=None,
    age=None,
    age_band: str = "",
    date_precision: str = "day",
) -> dict[str, str]:
    """Field → message for every rule a record breaks (empty when it is valid).

    Dates against the war: a record dated before the war's start, or after its end, is refused,
    unless it is marked “died after the war of its effects” (wounds from it, a mine it left;
    outcome “killed” or “died of wounds”): those are counted by their own rule (methodology).
    A date known only to the month is written as its 1st and is in the war if any day of the
    month is (“September 2020” for a war from 27 September).
    """
    errors: dict[str, str] = {}
    if died_after_war and outcome not in AFTER_WAR_OUTCOMES:
        errors["died_after_war"] = (
            "Only a death (outcome “killed” or “died_of_wounds”) can be after the war."
        )
    by_month = date_precision == CasualtyRecord.DatePrecision.MONTH
    if date is not None and by_month and date.day != 1:
        errors["date"] = (
            f"{date.isoformat()}: a date known only to the month is written as its 1st "
            f"({date.replace(day=1).isoformat()}), or give the day (date_precision “day”)."
        )
    elif date is not None and conflict_start is not None:
        war = war_dates_text(conflict_start, conflict_end, conflict_name)
        if (month_end(date) if by_month else date) < conflict_start:
            errors["date"] = f"{date.isoformat()} is before {war} began."
        elif conflict_end is not None and date > conflict_end and not died_after_war:
            errors["date"] = (
                f"{date.isoformat()} is after {war} ended. If they died later of its effects "
                "(wounds, a mine), mark “died after the war of its effects” (died_after_war)."
            )
    if date_of_birth is not None and date is not None and date_of_birth > date:
        errors["date_of_birth"] = "The date of birth is after the date of death."
    too_old, too_young = age_band == AgeBand.CHILD, age_band == AgeBand.ADULT
    if age is not None and (too_old and age >= 18 or too_young and age < 18):
        errors["age_band"] = f"Age {age} is not in the band “{age_band}” (child: under 18)."
    return errors


def derive(values) -> None:
    """Fill ``name_latin``, ``search_text`` and, for an undated record, ``date_precision`` on a
    record or a dict of its values (the import's)."""
    get = values.get if isinstance(values, dict) else lambda k, d=None: getattr(values, k, d)

    def put(key, value):
        if isinstance(values, dict):
            values[key] = value
        else:
            setattr(values, key, value)

    name = get("name", "") or ""
    put("name_latin", latin(name)[:200])
    put(
        "search_text",
        search_text(name, get("name_transliterated", "") or "", get("aliases", "") or ""),
    )
    if get("date") is None:
        put("date_precision", CasualtyRecord.DatePrecision.UNKNOWN)
