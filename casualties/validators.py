"""URL rules shared by model validation and database constraints."""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Q, Value
from django.db.models.functions import Left
from django.db.models.lookups import Exact

_url_validator = URLValidator(schemes=["http", "https"])


def validate_http_url(value: str) -> None:
    """Accept only absolute http(s) URLs; refuse javascript:, data:, and anything with
    control characters or whitespace (which browsers strip and so can smuggle a scheme)."""
    if not value:
        return
    if any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in value):
        raise ValidationError(
            "The URL contains spaces or control characters.", code="url_control_chars"
        )
    if not (value.startswith("http://") or value.startswith("https://")):
        raise ValidationError(
            "Only http:// and https:// links are allowed (in lower case).", code="url_scheme"
        )
    _url_validator(value)


def HTTP_URL_Q(field: str) -> Q:  # noqa: N802  (reads like the constraint it builds)
    """The database half of ``validate_http_url``: empty, or an http(s) scheme.

    Compares a prefix with ``=`` rather than LIKE, which SQLite runs case-insensitively.
    """
    return (
        Q(**{field: ""})
        | Q(Exact(Left(field, 7), Value("http://")))
        | Q(Exact(Left(field, 8), Value("https://")))
    )
