"""Properties of the figure parser on generated text (hypothesis)."""

from hypothesis import given, settings
from hypothesis import strategies as st

from claims.figures import MAX_VALUE, UNREADABLE, parse_figure

numbers = st.integers(0, 10**12) | st.integers(MAX_VALUE - 2, MAX_VALUE + 2)


def grouped(n: int, sep: str) -> str:
    return f"{n:,}".replace(",", sep)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_any_text_gets_an_answer_with_bounds_in_order(text):
    figure = parse_figure(text)
    assert figure == parse_figure(text)  # deterministic
    if figure.ok:
        assert figure.lower is not None or figure.upper is not None
        if figure.lower is not None and figure.upper is not None:
            assert 0 <= figure.lower <= figure.upper <= MAX_VALUE
    else:
        assert (figure.lower, figure.upper, figure.qualifier) == (None, None, UNREADABLE)
        assert figure.error


@settings(max_examples=300, deadline=None)
@given(numbers, st.sampled_from([",", " ", "\u00a0"]))
def test_grouped_digits_read_back_exactly(n, sep):
    if n > MAX_VALUE:
        assert not parse_figure(grouped(n, sep)).ok
        return
    figure = parse_figure(grouped(n, sep))
    assert (figure.lower, figure.upper, figure.qualifier) == (n, n, "exact")


@settings(max_examples=300, deadline=None)
@given(numbers)
def test_qualifiers_bound_the_right_side(n):
    if n >= MAX_VALUE:  # no bound the database could hold
        assert not parse_figure(f"more than {n:,}").ok
        return
    more = parse_figure(f"more than {n:,}")
    assert (more.lower, more.upper) == (n + 1, None)
    at_least = parse_figure(f"at least {n}")
    assert (at_least.lower, at_least.upper) == (n, None)
    up_to = parse_figure(f"up to {n}")
    assert (up_to.lower, up_to.upper) == (None, n)
    about = parse_figure(f"about {n}")
    margin = max(1, -(-n // 10))  # ABOUT_MARGIN: a tenth, rounded up, at least 1
    if n + margin > MAX_VALUE:  # its upper bound would not fit
        assert not about.ok
        return
    assert (about.lower, about.best, about.upper) == (max(0, n - margin), n, n + margin)
    assert about.qualifier == "about"


@settings(max_examples=300, deadline=None)
@given(numbers, numbers)
def test_a_range_is_read_in_order_or_refused(a, b):
    figure = parse_figure(f"{a} to {b}")
    if max(a, b) > MAX_VALUE:
        assert not figure.ok
    elif a <= b:
        assert (figure.lower, figure.upper) == (a, b)
    else:
        assert not figure.ok and "backwards" in figure.error


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40), numbers)
def test_surrounding_whitespace_and_case_do_not_matter(padding, n):
    spaces = "".join(c for c in padding if c.isspace())
    text = f"More Than {n}"
    assert parse_figure(spaces + text + spaces) == parse_figure(text.lower())
