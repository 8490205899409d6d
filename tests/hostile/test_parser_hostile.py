"""Every hostile input through the figure parser: it answers, never raises, never inverts."""

import pytest

from claims.figures import MAX_VALUE, UNREADABLE, parse_figure
from tests.hostile.corpus import CORPUS, as_text, ids


@pytest.mark.parametrize(("kind", "value"), CORPUS, ids=ids(CORPUS))
def test_parser_answers_every_hostile_input(kind, value):
    figure = parse_figure(as_text(value))
    if figure.ok:
        assert figure.qualifier != UNREADABLE
        assert figure.lower is not None or figure.upper is not None
        for bound in (figure.lower, figure.upper):
            assert bound is None or 0 <= bound <= MAX_VALUE
        if figure.lower is not None and figure.upper is not None:
            assert figure.lower <= figure.upper
    else:
        # It says plainly why, briefly, and keeps no bounds.
        assert (figure.lower, figure.upper, figure.qualifier) == (None, None, UNREADABLE)
        assert figure.error and len(figure.error) < 200
        assert "\x00" not in figure.error


def test_corpus_is_large_and_varied():
    kinds = {kind for kind, _ in CORPUS}
    assert len(CORPUS) >= 300
    assert kinds >= {"script", "handler", "url", "nul", "bidi", "huge", "bad-utf8", "formula"}
    assert kinds >= {"sql", "number", "date"}


def test_nul_characters_are_refused_on_every_database(world):
    from django.core.exceptions import ValidationError

    from casualties.history import change_context
    from claims.models import Claimant

    before = (Claimant.objects.count(), Claimant.history.count())
    with pytest.raises(ValidationError) as refused, change_context(user=None, reason="test"):
        Claimant.objects.create(name="Alpha\x00MoD", slug="nul", kind="ngo")
    assert "NUL character" in str(refused.value.message_dict["name"])
    assert (Claimant.objects.count(), Claimant.history.count()) == before
