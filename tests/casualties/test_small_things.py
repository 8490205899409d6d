"""Small stumbles of a newcomer (issue 16, item 9): wording, the favicon, the log, the README."""

import logging
from pathlib import Path

from django.contrib.staticfiles import finders
from django.urls import reverse

from casualties.history import change_context
from casualties.models import Party, Side

README = Path(__file__).resolve().parents[2] / "README.md"


def test_a_side_named_side_reads_once(world):
    with change_context(user=None, reason="test"):
        world.side_a.name = "Azerbaijani side"
        world.side_a.save()
    assert world.side_a.on_side_text == "on the Azerbaijani side"
    assert Side(name="the Entente").on_side_text == "on the side of the Entente"


def test_the_party_page_does_not_say_side_twice(client, world):
    with change_context(user=None, reason="test"):
        Side.objects.filter(pk=world.side_a.pk).update(name="Azerbaijani side")
    page = client.get(Party.objects.get(slug="alpha").get_absolute_url()).content.decode()
    assert "on the Azerbaijani side" in page
    assert "side of Azerbaijani side" not in page


def test_favicon_ico_is_not_404(client, db):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("casualties/favicon.ico")
    path = finders.find("casualties/favicon.ico")
    assert Path(path).read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_pages_name_the_favicon(client, db):
    assert "casualties/favicon.ico" in client.get(reverse("casualties:methodology")).text


def test_djangos_log_lines_come_out_once():
    """runserver printed "Watching for file changes" twice: Django's own console handler and
    the root's both wrote it."""
    django_logger = logging.getLogger("django.utils.autoreload")
    handlers = []
    logger = django_logger
    while logger:
        handlers += logger.handlers
        logger = logger.parent if logger.propagate else None
    # (pytest adds capturing handlers of its own to the root logger.)
    stream_handlers = [h for h in handlers if type(h).__module__.startswith("logging")]
    assert len(stream_handlers) == 1


def test_readme_names_public_pages_to_start_from():
    text = README.read_text()
    section = text.split("## Where to start reading", 1)[1].split("\n## ", 1)[0]
    for url in ["/wars/", "/parties/", "/methodology/", "/browse/", "/downloads/"]:
        assert url in section
