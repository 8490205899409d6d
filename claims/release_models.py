"""Releases: the published data pinned as it stood at a moment, read from the history tables.

A release is a name, a note, when and by whom it was cut, and the history rows it pins: for
each public table, the history row of every object that was public at ``cut_at``
(``ReleaseEntry``). The rows themselves are never copied: pages, downloads and the API read the
pinned history rows. The files are built once, at the cut, into Django's storage
(``Release.files``), so their bytes never change. See ``claims.releases``.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords


class Release(models.Model):
    name = models.SlugField(
        max_length=64,
        unique=True,
        help_text="Part of every address of the release (/releases/<name>/): e.g. 2026-12 or "
        "v1. Never changes once cut.",
    )
    note = models.TextField(blank=True, help_text="What this release is, for its readers.")
    cut_at = models.DateTimeField(help_text="The moment whose published data the release pins.")
    cut_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # {file name as in its address: storage name}; written once, by the cut.
    files = models.JSONField(default=dict, blank=True, editable=False)
    # {"claims": n, "people": n, ...}: shown on the list page without counting again.
    counts = models.JSONField(default=dict, blank=True, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-cut_at", "-id"]
        get_latest_by = "cut_at"

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("casualties:release", args=[self.name])


class ReleaseEntry(models.Model):
    """One history row a release pins: the state of one object at the cut.

    Written once, in bulk, by the cut (``claims.releases.release_cut``) in the transaction that
    writes the release's own history row (who, when, why); never changed or deleted, so these
    rows have no history of their own.
    """

    class Table(models.TextChoices):
        CONFLICT = "conflict"
        SIDE = "side"
        PARTY = "party"
        CATEGORY = "category"
        CLAIMANT = "claimant"
        EVENT = "event"
        PLACE = "place"
        PLACENAME = "placename"
        SOURCE = "source"
        CLAIM = "claim"
        CLAIMSOURCE = "claimsource"
        RECORD = "record"

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="entries")
    table = models.CharField(max_length=20, choices=Table.choices)
    object_id = models.BigIntegerField(help_text="The id of the live object.")
    history_id = models.BigIntegerField(help_text="Its history row at the cut.")
    position = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A claim's place in the release's listing order, from 0 (the API's pages "
        "read a range of them); empty for the other tables.",
    )

    class Meta:
        verbose_name_plural = "release entries"
        constraints = [
            models.UniqueConstraint(
                fields=["release", "table", "object_id"], name="claims_releaseentry_unique"
            ),
        ]
        indexes = [
            # A page of a release's claims: a range of positions, whatever its depth.
            models.Index(
                fields=["release", "position"],
                condition=models.Q(table="claim"),
                name="claims_releaseentry_page_idx",
            ),
        ]

    def __str__(self):
        return f"{self.table} {self.object_id} @ {self.history_id}"
