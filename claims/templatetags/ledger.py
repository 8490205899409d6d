"""Tags for the public pages' longest tables.

An overview line has five figure columns, each naming claims by their words, with links; the
busiest overview has hundreds of lines, and Django's template engine spent most of the page's
time resolving their dozens of variables each (bench/README.md "Stored figures"). These
columns are written here, as Django's admin writes the rows of its change lists, with every
value from the data escaped (``_e``; plain strings and numbers, so the standard library's
escape gives what the template's autoescape would, at a fraction of ``format_html``'s cost).
What they show is decided in the view (``views.figure_cell``).
"""

from html import escape

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import dateformat
from django.utils.safestring import mark_safe

register = template.Library()

NONE = "—"


def _e(value) -> str:
    return escape(str(value))


def _claim(claim_prefix: str, ref, part=False) -> str:
    """A claim's words linked to its page, and who says it (and, for a claim about a part of
    the war, which part)."""
    only = f"; for {_e(ref.part)} only" if part and ref.part else ""
    return (
        f'<a href="{_e(claim_prefix)}{_e(ref.external_id)}/">{_e(ref.figure_text)}</a>'
        f"<small>{_e(ref.claimant_name)}{only}</small>"
    )


@register.simple_tag
def overview_figures(cell, category, links, as_of=None):
    """``{% overview_figures cell row.category links as_of %}``: the own figure, the other
    side's claim, the independent claims, the named people and the reconciled figure of one
    overview line, as five ``<td>`` cells."""
    f, claim, url = cell["figure"], links["claim"], _e(cell["url"])
    own = _claim(claim, f.official, part=True) if f and f.official else NONE
    if f and f.adversary:
        other = _claim(claim, f.adversary)
    elif cell["disputed"]:
        other = f'<a href="{url}#claims">{_e(cell["disputed"])} disputed</a>'
    else:
        other = NONE
    independent = "".join(_claim(claim, r) for r in cell["independent"]) or NONE
    if cell["independent_more"]:
        independent += f'<a href="{url}#claims">{_e(cell["independent_more"])} more</a>'
    if f and f.record_count:
        to = f"&amp;to={_e(as_of.isoformat())}" if as_of else ""
        named = (
            f'<a href="{_e(links["people"])}?party={_e(cell["party"].slug)}'
            f'&amp;category={_e(category.slug)}{to}">{_e(intcomma(f.record_count))}</a>'
            "<small>named</small>"
        )
    else:
        named = NONE
    reconciled = f'<a href="{url}">{_e(cell["text"])}</a>'
    if f and f.best is not None and f.best_text() != f.as_text():
        reconciled += f"<small>best {_e(intcomma(f.best))}</small>"
    if f and f.derived:
        reconciled += "<small>derived</small>"
    cells = (own, other, independent, named, reconciled)
    return mark_safe("\n        ".join(f'<td class="num">{c}</td>' for c in cells))  # noqa: S308


@register.simple_tag
def claim_row(row, show_subject=False, show_role=False):
    """``{% claim_row row show_subject show_role %}``: one claim of a claims table
    (``views.claim_rows``) as its ``<tr>``: who, the relation, what about, the words, the
    bounds, when, the event or place, the assessment, its role in the figure, the sources."""
    c = row["claim"]
    role_class = f" role-{_e(row['role_code'])}" if row["role_code"] else ""
    cells = [
        f'<th scope="row"><a href="{_e(row["claimant_url"])}">{_e(c.claimant.name)}</a></th>',
        f'<td><span class="tag tag-{_e(row["relation"])}">{_e(row["relation_label"])}</span></td>',
    ]
    if show_subject:
        cells.append(
            f'<td><a href="{_e(row["figure_url"])}">{_e(c.subject_name)}: {_e(c.category.name)}</a></td>'
        )
    stated = (
        f"<br><small>stated {_e(dateformat.format(c.stated_on, 'j M Y'))}</small>"
        if c.stated_on
        else ""
    )
    event = f'<a href="{_e(row["event_url"])}">{_e(c.event.name)}</a>' if c.event else ""
    place = f'<a href="{_e(row["place_url"])}">{_e(c.place.name)}</a>' if c.place else ""
    accepted = f"<br><small>accepted: {_e(c.acceptance_reason)}</small>" if c.accepted else ""
    cells += [
        f'<td><a href="{_e(row["url"])}" title="Claim {_e(c.external_id)}">'
        f"“{_e(c.figure_text)}”</a></td>",
        f'<td class="num">{_e(row["bounds"])}</td>',
        f"<td>{_e(row['scope'])}{stated}</td>",
        f"<td>{event}{'<br>' if event and place else ''}{place}</td>",
        f"<td>{_e(c.get_assessment_display())}{accepted}</td>",
    ]
    if show_role:
        note = f"<br><small>{_e(row['role_note'])}</small>" if row["role_note"] else ""
        cells.append(f"<td>{_e(row['role'])}{note}</td>")
    sources = "<br>".join(_source(s) for s in row["sources"]) or NONE
    cells.append(f"<td>\n        {sources}\n      </td>")
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<tr id="claim-{_e(c.external_id)}" class="relation-{_e(row["relation"])}{role_class}">'
        + "".join(cells)
        + "</tr>"
    )


def _source(s: dict) -> str:
    """A source of a claim: its title (linked if it has an http(s) address), its publisher, the
    archived copy, where in it."""
    title = _e(s["title"])
    if s["url"]:
        title = f'<a href="{_e(s["url"])}" rel="nofollow noopener">{title}</a>'
    publisher = f" ({_e(s['publisher'])})" if s["publisher"] else ""
    archived = (
        f' · <a href="{_e(s["archive_url"])}" rel="nofollow noopener">archived</a>'
        if s["archive_url"]
        else ""
    )
    locator = f", {_e(s['locator'])}" if s["locator"] else ""
    return f'<span class="source">{title}{publisher}{archived}{locator}</span>'
