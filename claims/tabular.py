"""Spreadsheet cells: the formula escaping shared by every export and import."""

import re

# A spreadsheet runs a cell starting with one of these as a formula (tab and CR too: some
# programs strip them and then see the "=").
FORMULA_TRIGGERS = "=+-@\t\r"

# Escaped: a trigger, or apostrophes followed by a trigger. Escaping the second kind too keeps
# the mapping one-to-one, so unescape_formula(escape_formula(x)) == x for every text.
_NEEDS_ESCAPE = re.compile(r"'*[=+\-@\t\r]")
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")


def escape_formula(value: str) -> str:
    """The cell text a spreadsheet shows as typed: an apostrophe before a formula trigger.

    "=SUM(A1)" → "'=SUM(A1)"; "'=x" → "''=x"; "'quoted" and "Ստեփանակերտ" are left alone.
    """
    if value and _NEEDS_ESCAPE.match(value):
        return "'" + value
    return value


def unescape_formula(value: str) -> str:
    """Undo ``escape_formula`` exactly: one leading apostrophe before a trigger is dropped."""
    if value and _ESCAPED.match(value):
        return value[1:]
    return value
