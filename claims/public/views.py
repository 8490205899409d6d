"""Public reading pages: anonymous, published claims only, server-rendered.

Every page reads the stored reconciled figures (``claims.reconciliation``: rows kept in step
with every write by ``claims.refresh``; a past day's figures computed on demand) and runs a
fixed number of queries whatever the number of claims: lists of claims are paginated, and each
page has a CSV twin with what it shows. Rendered pages are kept under the data state
(``claims.public.page_cache``): measured, the template of a long table is what limits a busy
site, not the figures (bench/README.md "Stored figures").
"""

import csv
import datetime
import re

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe

from casualties.models import CasualtyRecord, Category, Conflict, Event, Party, Place
from claims import figure_store, rules
from claims import reconciliation as recon
from claims.figures import ABOUT_PERCENT
from claims.loaders import load_categories
from claims.models import WHOLE_WAR, Claim, Claimant, ClaimSource, Relation
from claims.public import charts
from claims.public.page_cache import cached_page
from claims.tabular import escape_formula

CLAIMS_PER_PAGE = 50


# --- helpers ---------------------------------------------------------------------------------


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)


def parse_as_of(request, conflict=None):
    """``?as_of=YYYY-MM-DD`` → (date or None, message for the reader or "").

    Only days from the conflict's first day to today are taken: every one of them is a
    reconciliation cached on its own, so what can be typed (0001-01-01, ISO week forms of the
    same day) must not grow the cache beyond the days that can mean something. Claims are
    still stated after a war ends, so the span runs to today, not to its last day.
    """
    raw = request.GET.get("as_of", "").strip()
    if not raw:
        return None, ""
    try:
        if not _ISO_DAY.fullmatch(raw):  # YYYY-MM-DD only, not 20201017 or 2020-W43-6
            raise ValueError
        day = datetime.date.fromisoformat(raw)
    except ValueError:
        return None, f"“{raw[:40]}” is not a date like 2020-10-17; showing what is known today."
    if day > datetime.date.today():
        return None, f"{day:%d %B %Y} is in the future; showing what is known today."
    if conflict is not None and day < conflict.start_date:
        return None, (
            f"{day:%d %B %Y} is before the {conflict.name} began "
            f"({conflict.start_date:%d %B %Y}); showing what is known today."
        )
    return day, ""


def canonical_url(path: str) -> str:
    """The address to cite: ``SITE_URL`` + path, or the path alone. Never built from the
    request (its host, port and query string are the sender's, and the page is cached for
    every reader)."""
    site = getattr(settings, "SITE_URL", "")
    return f"{site.rstrip('/')}{path}" if site else path


def url_pieces(name: str, count: int) -> tuple[str, ...]:
    """The literal pieces of the address of URL ``name`` around its ``count`` slugs, reversed
    once with placeholders: ``join_url`` puts the slugs between them. The address's shape stays
    in the URL patterns alone (a figure's address is not rebuilt here from a party's)."""
    path, pieces = reverse(name, args=[f"slot{i}x" for i in range(count)]), []
    for i in range(count):
        head, _, path = path.partition(f"slot{i}x")
        pieces.append(head)
    return (*pieces, path)


def join_url(pieces: tuple[str, ...], *slugs: str) -> str:
    """The address from ``url_pieces`` with ``slugs`` in their places."""
    return "".join(piece + slug for piece, slug in zip(pieces, (*slugs, ""), strict=True))


def link_prefixes() -> dict:
    """The start of the addresses a long page links to many times (a claim, a party, a kind
    of loss, the people), reversed once: a slug is appended in the template, instead of one
    ``{% url %}`` per link (thousands on a busy overview). A figure's address has two slugs:
    its pieces (``url_pieces``)."""
    return {
        "figure": url_pieces("casualties:figure", 2),
        "war_figure": url_pieces("casualties:war_figure", 2),
        "claim": reverse("casualties:claim", args=["-"])[:-2],
        "party": reverse("casualties:party", args=["-"])[:-2],
        "category": reverse("casualties:category", args=["-"])[:-2],
        "people": reverse("casualties:people"),
        "claimant": reverse("casualties:claimant", args=["-"])[:-2],
        "event": reverse("casualties:event", args=["-"])[:-2],
        "place": reverse("casualties:place", args=["-"])[:-2],
    }


def published_claims():
    """Published claims with what a claims table shows: two queries per page of rows. Each
    claim's relation is derived in Python from the rows read with it (``Claim.relation``), not
    annotated in SQL: the annotation's joins made compiling and planning the page's query cost
    more than running it."""
    citations = ClaimSource.objects.select_related("source").order_by("source__title")
    return (
        Claim.objects.published()
        .for_listing()
        .prefetch_related(Prefetch("citations", queryset=citations))
        .order_by("as_of", "period_start", "stated_on", "id")
    )


def http_url(url: str) -> str:
    """The URL if it is http(s), else "": only those become links (the model refuses others;
    this keeps a bad row from ever reaching an href)."""
    return url if url.startswith(("http://", "https://")) else ""


def claim_rows(claims, roles=None):
    """What a claims table shows for each claim, computed once here, not in the template."""
    roles = roles or {}
    links = link_prefixes()
    rows = []
    for c in claims:
        role, note = roles.get(c.pk, ("", ""))
        relation = c.relation
        if c.subject_id is None:
            figure_url = join_url(links["war_figure"], c.conflict.slug, c.category.slug)
        else:
            figure_url = join_url(links["figure"], c.subject.slug, c.category.slug)
        rows.append(
            {
                "claim": c,
                # Its addresses, from prefixes (``link_prefixes``): a page has fifty claims.
                "url": f"{links['claim']}{c.external_id}/",
                "claimant_url": f"{links['claimant']}{c.claimant.slug}/",
                "figure_url": figure_url,
                "event_url": f"{links['event']}{c.event.slug}/" if c.event else "",
                "place_url": f"{links['place']}{c.place.slug}/" if c.place else "",
                "relation": relation,
                "relation_label": Relation(relation).label,
                "bounds": rules.format_range(c.lower, c.upper),
                "scope": c.scope_text,
                "role": rules.FigureRole.LABELS.get(role, ""),
                "role_code": role,
                "role_note": note,
                "sources": [
                    {
                        "title": cs.source.title,
                        "publisher": cs.source.publisher,
                        "url": http_url(cs.source.url),
                        "archive_url": http_url(cs.source.archive_url),
                        "locator": cs.locator,
                    }
                    for cs in c.citations.all()
                ],
            }
        )
    return rows


def paginate(request, queryset, *, count=None):
    """A page of claims. ``count``, when the caller knows it, saves the COUNT query."""
    paginator = Paginator(queryset, CLAIMS_PER_PAGE)
    if count is not None:
        paginator.count = count  # overrides the cached property
    return paginator.get_page(request.GET.get("page"))


class _Echo:
    def write(self, value):
        return value


def csv_safe(value) -> str:
    """Spreadsheets run cells starting with = + - @ (or tab, CR) as formulas: quote them,
    as every export does (``claims.tabular.escape_formula``)."""
    return escape_formula("" if value is None else str(value))


def csv_response(filename: str, header: list[str], rows):
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(header)
        for row in rows:
            yield writer.writerow([csv_safe(v) for v in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


CLAIM_CSV_HEADER = [
    "external_id", "claimant", "relation", "subject", "category", "figure_as_written", "lower",
    "best", "upper", "qualifier", "scope", "as_of", "period_start", "period_end", "stated_on", "event",
    "place", "assessment", "accepted", "sources",
]  # fmt: skip


def claim_csv_rows(queryset):
    """Rows for the claims CSV, streamed in chunks (sources joined with " | ")."""
    for claim in queryset.iterator(chunk_size=2000):
        yield [
            claim.external_id, claim.claimant.name, Relation(claim.relation).label,
            claim.subject_name, claim.category.name, claim.figure_text, claim.lower,
            claim.best, claim.upper, claim.qualifier, claim.scope, claim.as_of, claim.period_start,
            claim.period_end, claim.stated_on, claim.event.name if claim.event else "",
            claim.place.name if claim.place else "", claim.assessment, claim.accepted,
            " | ".join(c.source.url or c.source.title for c in claim.citations.all()),
        ]  # fmt: skip


def independent_shown(fig) -> tuple[tuple, int]:
    """The independent claims an overview names beside a figure, and how many more there are
    (``rules.Figure.independent_first``)."""
    if fig is None:
        return (), 0
    first = fig.independent_first()
    return first, max(0, fig.independent_count - len(first))


def figure_cell(result, party, category_result, *, as_of=None, figure_pieces=None):
    """What an infobox cell needs: the figure, the disputed count and the link (joined from
    ``figure_pieces``, ``link_prefixes()["figure"]``, when a long table passes them)."""
    fig = category_result.figure(party.id)
    pieces = figure_pieces or url_pieces("casualties:figure", 2)
    url = join_url(pieces, party.slug, category_result.category.slug)
    if as_of:
        url += f"?as_of={as_of.isoformat()}"
    independent, more = independent_shown(fig)
    return {
        "independent": independent,
        "independent_more": more,
        "party": party,
        "category": category_result.category,
        "figure": fig,
        "text": fig.as_text() if fig else "no figure",
        "disputed": category_result.subtree_disputed.get(party.id, 0),
        "url": url,
    }


def _categories(result):
    return sorted(result.categories.values(), key=lambda r: r.category.sort_key)


def _tree(parties, root_id):
    """The party and its descendants in display order, with their depth."""
    children = {}
    for p in parties.values():
        children.setdefault(p.parent_id, []).append(p)
    out, stack = [], [(parties[root_id], 0)]
    while stack:
        party, depth = stack.pop()
        out.append((party, depth))
        for child in sorted(children.get(party.id, []), key=lambda p: p.name, reverse=True):
            stack.append((child, depth + 1))
    return out


def _page_context(request, claims):
    page = paginate(request, claims)
    return {"page": page, "rows": claim_rows(page)}


# --- pages -----------------------------------------------------------------------------------


@require_safe
@cached_page
def home(request):
    """The overview of the latest conflict (the site starts with one war)."""
    conflict = Conflict.objects.order_by("-start_date").first()
    if conflict is None:
        return render(request, "casualties/overview.html", {"conflict": None})
    return _overview(request, conflict, fmt=None)


@require_safe
@cached_page
def conflict_overview(request, slug, fmt=None):
    return _overview(request, get_object_or_404(Conflict, slug=slug), fmt=fmt)


def _lines(result, side_id):
    """The party lines of one side (None: parties on no side): each top-level party, then
    the parties directly inside it (fighters recruited for a side are their own line)."""
    roots = sorted(
        (p for p in result.parties.values() if p.parent_id is None and p.side_id == side_id),
        key=lambda p: p.name,
    )
    lines = []
    for root in roots:
        lines.append((root, 0))
        kids = [p for p in result.parties.values() if p.parent_id == root.id]
        lines += [(kid, 1) for kid in sorted(kids, key=lambda p: p.name)]
    return lines


def _says_something(fig) -> bool:
    return fig is not None and (
        fig.has_figure or fig.official or fig.independent or fig.record_count
    )


def _side_tables(result, side_id, as_of):
    """Per kind of loss, a row for each party line with something to show; kinds of loss with
    only the other side's claims are listed apart (for every side alike)."""
    lines = _lines(result, side_id)
    if not lines:
        return [], []
    rows, disputed_only = [], []
    pieces = link_prefixes()["figure"]
    for cr in _categories(result):
        cells = [
            {**figure_cell(result, party, cr, as_of=as_of, figure_pieces=pieces), "depth": depth}
            for party, depth in lines
            if _says_something(cr.figure(party.id))
        ]
        if cells:
            rows.append({"category": cr.category, "cells": cells})
            continue
        disputed = sum(cr.subtree_disputed.get(p.id, 0) for p, depth in lines if depth == 0)
        if disputed:
            claims = [f.adversary for p, _ in lines if (f := cr.figure(p.id)) and f.adversary]
            highest = max(claims, key=lambda r: (r.lower or r.upper or 0, r.id), default=None)
            disputed_only.append(
                {"category": cr.category, "disputed": disputed, "highest": highest}
            )
    return rows, disputed_only


def _whole_war_rows(result, conflict, as_of):
    """Per kind of loss: the parties' floors added (each named person once) and the claims
    about the whole war (independent estimates; the sides' own whole-war figures, disputed)."""
    roots = sorted(
        (p for p in result.parties.values() if p.parent_id is None), key=lambda p: p.name
    )
    rows = []
    for cr in _categories(result):
        fig = cr.figure(None)
        if fig is None or not (fig.has_figure or fig.independent or fig.adversary):
            continue
        parts = []
        for root in roots:
            part = cr.figure(root.id)
            if part is None or part.lower is None:
                continue
            counted_elsewhere = part.lower - part.total_share
            parts.append({"party": root, "share": part.total_share, "elsewhere": counted_elsewhere})
        url = reverse("casualties:war_figure", args=[conflict.slug, cr.category.slug])
        independent, more = independent_shown(fig)
        rows.append(
            {
                "category": cr.category,
                "figure": fig,
                "independent": independent,
                "independent_more": more,
                "parts": parts,
                "total": sum(p["share"] for p in parts) if parts else None,
                "url": url + (f"?as_of={as_of.isoformat()}" if as_of else ""),
            }
        )
    return rows


def _overview(request, conflict, *, fmt):
    """Queries: the conflict, the sides."""
    as_of, as_of_message = parse_as_of(request, conflict)
    # The page names the first independent claims of each figure; its CSV twin every one.
    result = recon.reconcile(conflict.pk, as_of=as_of, refs=True if fmt == "csv" else "first")
    sides = []
    for side in [*conflict.sides.all(), None]:
        rows, disputed_only = _side_tables(result, side.id if side else None, as_of)
        if rows or disputed_only:
            sides.append({"side": side, "rows": rows, "disputed_only": disputed_only})
    whole_war = _whole_war_rows(result, conflict, as_of)
    if fmt == "csv":
        return csv_response(
            f"{conflict.slug}-overview.csv",
            OVERVIEW_CSV_HEADER,
            _overview_csv_rows(sides, whole_war),
        )
    return render(
        request,
        "casualties/overview.html",
        {
            "conflict": conflict,
            "sides": sides,
            "whole_war": whole_war,
            "links": link_prefixes(),
            "as_of": as_of,
            "as_of_message": as_of_message,
            "base_url": reverse("casualties:conflict", args=[conflict.slug]),
            "csv_url": reverse("casualties:conflict_csv", args=[conflict.slug])
            + (f"?as_of={as_of.isoformat()}" if as_of else ""),
        },
    )


OVERVIEW_CSV_HEADER = [
    "side", "party", "category", "lower", "best", "upper", "own_figure", "own_claimant",
    "other_side_claim", "other_side_claimant", "independent", "named_records", "disputed_claims",
    "why",
]  # fmt: skip


def _overview_csv_rows(sides, whole_war):
    def words(ref):
        return ("", "") if ref is None else (ref.figure_text, ref.claimant_name)

    for group in sides:
        side = group["side"].name if group["side"] else "no side"
        for row in group["rows"]:
            for cell in row["cells"]:
                fig = cell["figure"]
                yield [
                    side, cell["party"].name, row["category"].name, fig.lower, fig.best,
                    fig.upper, *words(fig.official), *words(fig.adversary),
                    " | ".join(f"{r.figure_text} ({r.claimant_name})" for r in fig.independent),
                    fig.record_count, cell["disputed"], fig.rule,
                ]  # fmt: skip
    for row in whole_war:
        fig = row["figure"]
        yield [
            "all parties", "the whole war", row["category"].name, fig.lower, fig.best, fig.upper,
            "", "", *words(fig.adversary),
            " | ".join(f"{r.figure_text} ({r.claimant_name})" for r in fig.independent),
            "", "", fig.rule,
        ]  # fmt: skip


@require_safe
@cached_page
def figure(request, party, category, fmt=None):
    """Subject × category: the figure, why, every claim, the charts.

    Queries: party (with conflict), category, parties, categories, figures, the count of
    claims, one page of claims (with claimant, subject, category, event, place), their sources.
    """
    subject = get_object_or_404(Party.objects.select_related("conflict"), slug=party)
    category = get_object_or_404(Category, slug=category)
    return _figure(request, subject.conflict, subject, category, fmt)


@require_safe
@cached_page
def war_figure(request, slug, category, fmt=None):
    """The whole war × category: the parties' floors added, and the estimates for all parties
    together. Queries as ``figure``, the conflict instead of the party."""
    conflict = get_object_or_404(Conflict, slug=slug)
    category = get_object_or_404(Category, slug=category)
    return _figure(request, conflict, None, category, fmt)


def _figure(request, conflict, subject, category, fmt):
    as_of, as_of_message = parse_as_of(request, conflict)
    subject_id = subject.pk if subject else None
    result = recon.reconcile(
        conflict.pk, as_of=as_of, category_id=category.pk, series=True, series_of=subject_id
    )
    category_result = result.categories.get(category.pk) or rules.CategoryResult(
        rules.CategoryRow(
            category.pk,
            category.slug,
            category.name,
            category.unit,
            category.position,
            category.kind,
        )  # fmt: skip
    )
    fig = category_result.figure(subject_id)
    claims = published_claims().filter(category=category)
    if subject is None:
        claims = claims.filter(conflict=conflict, subject__isnull=True)
        base_url = reverse("casualties:war_figure", args=[conflict.slug, category.slug])
        csv_url = reverse("casualties:war_figure_csv", args=[conflict.slug, category.slug])
        name, slug = WHOLE_WAR.capitalize(), f"{conflict.slug}-all-parties"
    else:
        claims = claims.filter(subject=subject)
        base_url = reverse("casualties:figure", args=[subject.slug, category.slug])
        csv_url = reverse("casualties:figure_csv", args=[subject.slug, category.slug])
        name, slug = subject.name, subject.slug
    if as_of:
        claims = claims.known_on(as_of)
    if fmt == "csv":
        return csv_response(f"{slug}-{category.slug}.csv", CLAIM_CSV_HEADER, claim_csv_rows(claims))
    # The reconciliation counted the same claims (published, this subject and category, known
    # by as_of), so the figure's claim count is the table's length: no COUNT query.
    page = paginate(request, claims, count=fig.claim_count if fig else 0)
    detail = recon.subject_detail(result, category.pk, subject_id, claim_ids=[c.pk for c in page])
    rows = claim_rows(page, detail.roles)
    series = detail.series
    # The claims that decided the figure, wherever they fall in the pages of the table; a
    # roll-up is explained by its breakdown instead.
    deciding = []
    if fig is not None and fig.basis != "rollup" and fig.deciding:
        deciding = list(Claim.objects.filter(pk__in=fig.deciding[:20]).select_related("claimant"))
    if subject is None:
        tree = [
            (p, depth)
            for root in sorted(
                (p for p in result.parties.values() if p.parent_id is None), key=lambda p: p.name
            )
            for p, depth in _tree(result.parties, root.id)
        ]
        parent = None
    else:
        tree = _tree(result.parties, subject.pk)[1:]
        parent = result.parties.get(subject.parent_id) if subject.parent_id else None
    breakdown = [(p, depth, category_result.figure(p.id)) for p, depth in tree]
    return render(
        request,
        "casualties/figure.html",
        {
            "conflict": conflict,
            "subject": subject,
            "subject_name": name,
            "category": category,
            "figure": fig,
            "derived_totals": category_result.derived_totals.get((subject_id, None), []),
            "history": []
            if as_of
            else figure_store.figure_history(conflict.pk, subject_id, category.pk),
            "rows": rows,
            "page": page,
            "deciding": deciding,
            "range_chart": charts.range_chart(series, fig),
            "timeline": charts.timeline_chart(series),
            "series": series,
            "breakdown": [b for b in breakdown if b[2] is not None],
            "parent": parent,
            "as_of": as_of,
            "as_of_message": as_of_message,
            "base_url": base_url,
            "csv_url": csv_url + (f"?as_of={as_of.isoformat()}" if as_of else ""),
        },
    )


@require_safe
@cached_page
def party(request, slug, fmt=None):
    """Queries: the party, its claimants, the count of
    named people of it and the parties within it."""
    subject = get_object_or_404(Party.objects.select_related("conflict", "side"), slug=slug)
    result = recon.reconcile(subject.conflict_id, refs=False)
    tree = _tree(result.parties, subject.pk)
    tables = []
    for cr in _categories(result):
        rows = [
            {**figure_cell(result, p, cr), "depth": depth}
            for p, depth in tree
            if (f := cr.figure(p.id)) is not None and (f.has_figure or f.disputed)
        ]
        if rows:
            tables.append({"category": cr.category, "rows": rows})
    if fmt == "csv":
        return csv_response(
            f"{subject.slug}.csv",
            ["party", "category", "lower", "upper", "disputed_claims", "why"],
            (
                [
                    r["party"].name,
                    t["category"].name,
                    r["figure"].lower,
                    r["figure"].upper,
                    r["disputed"],
                    r["figure"].rule,
                ]
                for t in tables
                for r in t["rows"]
            ),  # fmt: skip
        )
    parent = result.parties.get(subject.parent_id) if subject.parent_id else None
    return render(
        request,
        "casualties/party.html",
        {
            "party": subject,
            "parent": parent,
            "children": [p for p, depth in tree if depth == 1],
            "tables": tables,
            "claimants": list(subject.claimants.all()),
            "named_count": CasualtyRecord.objects.counted()
            .filter(party_id__in=[p.id for p, _depth in tree])
            .count(),
            "csv_url": reverse("casualties:party_csv", args=[subject.slug]),
        },
    )


@require_safe
@cached_page
def category(request, slug, fmt=None):
    """Queries: the category, the conflicts, its figures."""
    cat = get_object_or_404(Category, slug=slug)
    sections = []
    for conflict in Conflict.objects.all():
        result = recon.reconcile(conflict.pk, category_id=cat.pk, refs=False)
        cr = result.categories.get(cat.pk)
        if cr is None:
            continue
        rows = []
        for root in sorted(
            (p for p in result.parties.values() if p.parent_id is None), key=lambda p: p.name
        ):
            for p, depth in _tree(result.parties, root.id):
                f = cr.figure(p.id)
                if f is not None and (f.has_figure or f.disputed):
                    rows.append({**figure_cell(result, p, cr), "depth": depth})
        whole = cr.figure(None)
        total = whole.lower if whole is not None else None
        sections.append({"conflict": conflict, "rows": rows, "total": total})
    if fmt == "csv":
        return csv_response(
            f"{cat.slug}.csv",
            ["conflict", "party", "lower", "upper", "disputed_claims", "why"],
            (
                [
                    s["conflict"].name,
                    r["party"].name,
                    r["figure"].lower,
                    r["figure"].upper,
                    r["disputed"],
                    r["figure"].rule,
                ]
                for s in sections
                for r in s["rows"]
            ),  # fmt: skip
        )
    return render(
        request,
        "casualties/category.html",
        {
            "category": cat,
            "sections": sections,
            "csv_url": reverse("casualties:category_csv", args=[cat.slug]),
        },
    )


@require_safe
@cached_page
def event(request, slug, fmt=None):
    """Queries: the event (with place), the count of its
    claims, one page of claims, their sources, its first named victims (with their party)."""
    ev = get_object_or_404(Event.objects.select_related("place", "conflict"), slug=slug)
    claims = published_claims().filter(event=ev)
    if fmt == "csv":
        return csv_response(f"{ev.slug}.csv", CLAIM_CSV_HEADER, claim_csv_rows(claims))
    result = recon.reconcile(ev.conflict_id, refs=False)
    figures = [
        {
            "party": result.parties[f.subject_id],
            "category": result.categories[f.category_id].category,
            "figure": f,
        }
        for f in recon.event_figures(ev.pk)
        if f.subject_id in result.parties and f.category_id in result.categories
    ]
    figures.sort(key=lambda r: (r["category"].position, r["category"].name, r["party"].name))
    return render(
        request,
        "casualties/event.html",
        {
            "event": ev,
            "figures": figures,
            "victims": list(
                CasualtyRecord.objects.in_register()
                .filter(event=ev)
                .order_by("name")[: VICTIMS_SHOWN + 1]
            ),
            "victims_shown": VICTIMS_SHOWN,
            **_page_context(request, claims),
            "csv_url": reverse("casualties:event_csv", args=[ev.slug]),
        },
    )


@require_safe
@cached_page
def claimant(request, slug, fmt=None):
    """Queries: the claimant (with party), the count of its claims, one page of
    them, their sources, its highest figures per subject and category."""
    who = get_object_or_404(Claimant.objects.select_related("party"), slug=slug)
    claims = published_claims().filter(claimant=who)
    if fmt == "csv":
        return csv_response(f"{who.slug}.csv", CLAIM_CSV_HEADER, claim_csv_rows(claims))
    page = paginate(request, claims)
    adversary = (
        Claim.objects.published()
        .filter(claimant=who, scope=Claim.Scope.CUMULATIVE, event__isnull=True)
        .with_relation()
        .filter(relation_sql=Relation.ADVERSARY)
    )
    # Per subject and category: the highest figure, its words ("more than 700", not 701) and
    # how many claims; grouped here from one query of the values (a claimant has thousands at
    # most; a correlated subquery per group cost more than reading them).
    groups: dict[tuple, dict] = {}
    values = adversary.order_by().values_list(
        "conflict_id", "subject_id", "category_id", "lower", "upper", "figure_text", "id"
    )
    for conflict_id, subject_id, category_id, lower, upper, text, pk in values:
        value = lower if lower is not None else upper
        group = groups.setdefault(
            (conflict_id, subject_id, category_id),
            {"conflict_id": conflict_id, "subject_id": subject_id, "category_id": category_id,
             "high": None, "n": 0, "words": "", "_rank": None},
        )  # fmt: skip
        group["n"] += 1
        rank = (value is not None, value or 0, pk)
        if group["_rank"] is None or rank > group["_rank"]:
            group["_rank"], group["words"] = rank, text
        if value is not None and (group["high"] is None or value > group["high"]):
            group["high"] = value
    highest = [groups[key] for key in sorted(groups, key=lambda k: (k[0], k[1] or 0, k[2]))]
    comparisons = []
    results = {}
    for row in highest:
        result = results.get(row["conflict_id"])
        if result is None:
            result = results[row["conflict_id"]] = figure_store.stored_result(
                row["conflict_id"],
                category_ids={r["category_id"] for r in highest},
                refs=False,
            )
        cr = result.categories.get(row["category_id"])
        subject = result.parties.get(row["subject_id"])
        if cr is None or subject is None:
            continue
        fig = cr.figure(subject.id)
        ratio = round(row["high"] / fig.lower, 1) if fig and fig.lower and row["high"] else None
        comparisons.append(
            {
                "party": subject,
                "category": cr.category,
                "high": row["high"],
                "words": row["words"],
                "count": row["n"],
                "figure": fig,
                "ratio": ratio,
                "url": reverse("casualties:figure", args=[subject.slug, cr.category.slug]),
            }
        )
    return render(
        request,
        "casualties/claimant.html",
        {
            "claimant": who,
            "page": page,
            "rows": claim_rows(page),
            "comparisons": comparisons,
            "csv_url": reverse("casualties:claimant_csv", args=[who.slug]),
        },
    )


@require_safe
@cached_page
def place(request, slug, fmt=None):
    """Queries: the place, its names, its events, the count of its claims, one page of them,
    their sources, the count of named people there."""
    where = get_object_or_404(Place.objects.prefetch_related("names"), slug=slug)
    claims = published_claims().filter(place=where)
    if fmt == "csv":
        return csv_response(f"{where.slug}.csv", CLAIM_CSV_HEADER, claim_csv_rows(claims))
    return render(
        request,
        "casualties/place.html",
        {
            "place": where,
            "names": list(where.names.all()),
            "events": list(where.events.all()),
            "named_count": CasualtyRecord.objects.counted().filter(place=where).count(),
            **_page_context(request, claims),
            "csv_url": reverse("casualties:place_csv", args=[where.slug]),
        },
    )


@require_safe
@cached_page
def claim(request, external_id):
    """Queries: the claim, its sources, its figures."""
    try:
        item = published_claims().get(external_id=external_id)
    except Claim.DoesNotExist:
        raise Http404("No published claim with this identifier.") from None
    role, note = figure_store.roles_of([item.pk]).get(item.pk, ("", ""))
    return render(
        request,
        "casualties/claim.html",
        {
            "claim": item,
            "row": claim_rows([item])[0],
            "role": rules.FigureRole.LABELS.get(role, ""),
            "role_note": note,
            "figure_url": item.figure_url,
            "cite_as": canonical_url(item.get_absolute_url()),
        },
    )


@require_safe
@cached_page
def browse(request):
    """Queries: parties, categories, claimants, events, places."""
    return render(
        request,
        "casualties/browse.html",
        {
            "parties": list(Party.objects.all()),
            "categories": list(Category.objects.all()),
            "claimants": list(Claimant.objects.all()),
            "events": list(Event.objects.select_related("place")),
            "places": list(Place.objects.all()),
        },
    )


@require_safe
def methodology(request):
    """No queries: the rules are the constants of ``claims.reconciliation``."""
    return render(
        request,
        "casualties/methodology.html",
        {
            "contradiction_ratio": rules.CONTRADICTION_RATIO,
            "about_percent": ABOUT_PERCENT,
            "adversary_ratio": rules.ADVERSARY_RATIO,
            "record_counts": [
                (slug, sorted(roles), sorted(outcomes))
                for slug, (roles, outcomes) in rules.RECORD_COUNTS.items()
            ],
            "roles": rules.FigureRole.LABELS.values(),
        },
    )


# --- named people ----------------------------------------------------------------------------

PEOPLE_PER_PAGE = 50
VICTIMS_SHOWN = 50  # named victims listed on an event's page; the rest behind a link

PEOPLE_CSV_HEADER = [
    "external_id", "name", "name_latin", "name_transliterated", "aliases", "role", "rank",
    "party", "counted_in", "sex", "age", "age_band", "status", "outcome", "cause", "date",
    "date_precision", "died_after_war", "place", "place_precision", "event",
    "corroboration", "url",
]  # fmt: skip


def _date_param(request, name):
    try:
        return datetime.date.fromisoformat(request.GET.get(name, "").strip())
    except ValueError:
        return None


def people_filters(request):
    """The filters of ``/people/`` as read from the query string (bad values are ignored)."""
    get = request.GET
    return {
        "q": get.get("q", "").strip()[:200],
        "party": get.get("party", "").strip()[:100],
        "role": get.get("role", "") if get.get("role") in CasualtyRecord.PersonRole.values else "",
        "outcome": get.get("outcome", "")
        if get.get("outcome") in CasualtyRecord.Outcome.values
        else "",
        "category": get.get("category", "").strip()[:100],
        "place": get.get("place", "").strip()[:100],
        "event": get.get("event", "").strip()[:120],
        "from": _date_param(request, "from"),
        "to": _date_param(request, "to"),
    }


def party_subtree(parties, slug) -> list[int]:
    """The ids of the party ``slug`` and every party inside it, from a list of parties."""
    children = {}
    for p in parties:
        children.setdefault(p.parent_id, []).append(p)
    todo = [p for p in parties if p.slug == slug]
    ids = []
    while todo:
        node = todo.pop()
        ids.append(node.pk)
        todo += children.get(node.pk, [])
    return ids


def counted_kinds(slug: str) -> list[tuple[frozenset, frozenset]]:
    """The (roles, outcomes) the named floor of the kind of loss ``slug`` counts: its own
    (``rules.RECORD_COUNTS``) and its parts' ("killed or missing" adds the named floors of
    "killed" and "missing"). Empty for a kind that counts no named people, or no such kind."""
    categories = load_categories()
    ids = [c.id for c in categories if c.slug == slug]
    parts = rules.parts_of(categories, ids) if ids else set()
    counted = {c.slug for c in categories if c.id in parts} & set(rules.RECORD_COUNTS)
    return [rules.RECORD_COUNTS[s] for s in sorted(counted)]


def people_queryset(filters, parties):
    """Published records, one per person, filtered as the named floors count them: a party
    with the parties inside it, a kind of loss by the roles and outcomes its named floor
    counts (``counted_kinds``; nobody for a kind that counts no one)."""
    qs = CasualtyRecord.objects.in_register()
    if filters["q"]:
        qs = qs.matching(filters["q"])
    if filters["party"]:
        qs = qs.filter(party_id__in=party_subtree(parties, filters["party"]))
    if filters["category"]:
        kinds = Q(pk__in=[])
        for roles, outcomes in counted_kinds(filters["category"]):
            kinds |= Q(role__in=sorted(roles), outcome__in=sorted(outcomes))
        qs = qs.filter(kinds)
    if filters["role"]:
        qs = qs.filter(role=filters["role"])
    if filters["outcome"]:
        qs = qs.filter(outcome=filters["outcome"])
    if filters["place"]:
        qs = qs.filter(place__slug=filters["place"])
    if filters["event"]:
        qs = qs.filter(event__slug=filters["event"])
    if filters["from"]:
        qs = qs.filter(date__gte=filters["from"])
    if filters["to"]:
        qs = qs.filter(date__lte=filters["to"])
    return qs.order_by("name_latin", "name", "id")


def people_csv_rows(queryset):
    for r in queryset.iterator(chunk_size=2000):
        yield [
            r.external_id, r.name, r.name_latin, r.name_transliterated,
            " | ".join(r.aliases.splitlines()), r.role, r.rank, r.party.name,
            r.counted_in.name if r.counted_in else "", r.sex, r.age, r.age_band, r.ihl_status,
            r.outcome, r.cause, r.date, r.date_precision, r.died_after_war,
            r.place.name if r.place else "", r.place_precision, r.event.name if r.event else "",
            r.corroboration, r.get_absolute_url(),
        ]  # fmt: skip


@require_safe
def people(request, fmt=None):
    """The public register of named people. Not page-cached (the key is the path, and the
    results depend on the query string). Queries: the parties, the places and the events
    (the filter's choices), the count, one page of records (with party, place and event)."""
    filters = people_filters(request)
    parties = list(Party.objects.only("slug", "name", "parent_id"))
    qs = people_queryset(filters, parties)
    if fmt == "csv":
        qs = qs.select_related("counted_in")
        return csv_response("people.csv", PEOPLE_CSV_HEADER, people_csv_rows(qs))
    page = Paginator(qs, PEOPLE_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "casualties/people.html",
        {
            "page": page,
            "filters": filters,
            "query": query.urlencode(),
            "parties": parties,
            "places": list(Place.objects.only("slug", "name")),
            "events": list(Event.objects.only("slug", "name")),
            "roles": CasualtyRecord.PersonRole.choices,
            "outcomes": CasualtyRecord.Outcome.choices,
            "csv_url": reverse("casualties:people_csv")
            + (f"?{query.urlencode()}" if query else ""),
        },
    )


@require_safe
@cached_page
def person(request, external_id):
    """One named person. Queries: the record (with party, place, event, conflict), its
    sources. A record merged into another sends the reader there."""
    try:
        record = (
            CasualtyRecord.objects.published()
            .select_related("party", "place", "event", "conflict", "counted_in", "merged_into")
            .get(external_id=external_id)
        )
    except CasualtyRecord.DoesNotExist:
        raise Http404("No published record with this identifier.") from None
    if record.merged_into_id is not None:
        return redirect(record.merged_into.get_absolute_url())
    return render(
        request,
        "casualties/person.html",
        {
            "record": record,
            "aliases": [a for a in record.aliases.splitlines() if a.strip()],
            "sources": [
                {"title": s.title, "publisher": s.publisher, "url": http_url(s.url)}
                for s in record.sources.all()
            ],
        },
    )
