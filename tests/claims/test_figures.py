import pytest

from claims.figures import parse_figure

# Every form of figure in the seed article, and what it must read as.
ARTICLE_FORMS = [
    ("3,825", 3825, 3825, "exact"),
    ("14.000", 14000, 14000, "exact"),
    ("7 630", 7630, 7630, "exact"),
    ("more than 700", 701, None, "more_than"),
    ("up to 100", None, 100, "at_most"),
    ("at least 185", 185, None, "at_least"),
    ("around 26", 23, 29, "about"),
    ("approximately 70,000", 63000, 77000, "about"),
    ("300 to 400", 300, 400, "range"),
    ("up to 300 to 400", 300, 400, "range"),
    ("a dozen", 10, 14, "about"),
    ("approximately a dozen", 10, 14, "about"),
    ("two", 2, 2, "exact"),
    ("about forty", 36, 44, "about"),
    ("US$1.2 billion", 1_200_000_000, 1_200_000_000, "exact"),
    ("7000", 7000, 7000, "exact"),
    ("eight", 8, 8, "exact"),
    ("11", 11, 11, "exact"),
]


@pytest.mark.parametrize(("text", "lower", "upper", "qualifier"), ARTICLE_FORMS)
def test_it_reads_every_article_form(text, lower, upper, qualifier):
    figure = parse_figure(text)
    assert (figure.lower, figure.upper, figure.qualifier, figure.error) == (
        lower,
        upper,
        qualifier,
        "",
    )


@pytest.mark.parametrize(
    ("text", "lower", "best", "upper", "qualifier"),
    [
        ("approximately 70,000", 63000, 70000, 77000, "about"),
        ("approximately a dozen", 10, 12, 14, "about"),
        ("3,825", 3825, 3825, 3825, "exact"),
        ("more than 700", 701, None, None, "more_than"),
        ("300 to 400", 300, None, 400, "range"),
        # A research programme's estimate: best, with its low and high.
        ("6,500 (5,900–7,100)", 5900, 6500, 7100, "range"),
        ("6,500 (5,900 to 7,100)", 5900, 6500, 7100, "range"),
        ("6,500, low 5,900, high 7,100", 5900, 6500, 7100, "range"),
        ("best 6500 (low 5900, high 7100)", 5900, 6500, 7100, "range"),
        ("6500 [5900, 7100]", 5900, 6500, 7100, "range"),
    ],
)
def test_it_reads_a_best_value(text, lower, best, upper, qualifier):
    figure = parse_figure(text)
    assert (figure.lower, figure.best, figure.upper, figure.qualifier, figure.error) == (
        lower, best, upper, qualifier, "",
    )  # fmt: skip


def test_a_best_outside_its_range_is_refused():
    figure = parse_figure("5 (6-7)")
    assert (figure.qualifier, figure.error) == (
        "unreadable", "The best value 5 is not within its range 6–7.",
    )  # fmt: skip


def test_it_marks_dollars():
    assert parse_figure("US$1.2 billion").currency == "USD"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("several", "Could not read a number in “several”."),
        ("", "The figure is empty."),
        ("400 to 300", "The range runs backwards: 400 is above 300."),
        ("9" * 30, "The figure is too large to store."),
        ("x" * 201, "The figure is longer than 200 characters."),
        ("12\x00", "The figure contains a NUL character."),
    ],
)
def test_it_says_plainly_when_it_cannot_read(text, message):
    figure = parse_figure(text)
    assert (figure.lower, figure.upper, figure.qualifier) == (None, None, "unreadable")
    assert figure.error == message


def test_fewer_than_is_strict():
    assert (parse_figure("fewer than 10").upper, parse_figure("no more than 10").upper) == (9, 10)
