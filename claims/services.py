"""Writes with rules. The admin, imports, commands and tests all go through these."""

from django.db import transaction

from casualties.history import change_context, save_with_history
from claims.figures import parse_figure
from claims.models import Claim, ClaimSource, Source


def fill_bounds_from_words(claim: Claim) -> str:
    """Read ``claim.figure_text`` into its bounds; return the parser's complaint, if any."""
    figure = parse_figure(claim.figure_text)
    claim.lower, claim.upper, claim.qualifier = figure.lower, figure.upper, figure.qualifier
    return figure.error


@transaction.atomic
def claim_create(*, user, reason: str, sources: list[Source] = (), **fields) -> Claim:
    """Create a claim. Bounds not given are read from ``figure_text``."""
    claim = Claim(**fields)
    if claim.lower is None and claim.upper is None and not claim.qualifier:
        fill_bounds_from_words(claim)
    with change_context(user=user, reason=reason):
        save_with_history(claim, user=user, reason=reason)
        for source in sources:
            save_with_history(ClaimSource(claim=claim, source=source), user=user, reason=reason)
    return claim


@transaction.atomic
def claim_update(*, claim: Claim, user, reason: str, **fields) -> Claim:
    """Change fields of a claim. New words without new bounds are read again."""
    for name, value in fields.items():
        setattr(claim, name, value)
    if "figure_text" in fields and not {"lower", "upper", "qualifier"} & fields.keys():
        fill_bounds_from_words(claim)
    return save_with_history(claim, user=user, reason=reason)
