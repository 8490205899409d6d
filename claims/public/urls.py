"""Public reading pages. Slugs make stable, citable URLs; every data page has a .csv twin."""

from django.urls import path, re_path

from claims.public import datapackage, downloads, release_views, views

# The namespace predates the move into claims; templates and links use ``casualties:…``.
app_name = "casualties"

CSV = {"fmt": "csv"}

urlpatterns = [
    path("", views.home, name="home"),
    path("methodology/", views.methodology, name="methodology"),
    path("browse/", views.browse, name="browse"),
    path("wars/<slug:slug>/", views.conflict_overview, name="conflict"),
    path("wars/<slug:slug>.csv", views.conflict_overview, CSV, name="conflict_csv"),
    path("wars/<slug:slug>/<slug:category>/", views.war_figure, name="war_figure"),
    path("wars/<slug:slug>/<slug:category>.csv", views.war_figure, CSV, name="war_figure_csv"),
    path("parties/<slug:slug>/", views.party, name="party"),
    path("parties/<slug:slug>.csv", views.party, CSV, name="party_csv"),
    path("parties/<slug:party>/<slug:category>/", views.figure, name="figure"),
    path("parties/<slug:party>/<slug:category>.csv", views.figure, CSV, name="figure_csv"),
    path("categories/<slug:slug>/", views.category, name="category"),
    path("categories/<slug:slug>.csv", views.category, CSV, name="category_csv"),
    path("events/<slug:slug>/", views.event, name="event"),
    path("events/<slug:slug>.csv", views.event, CSV, name="event_csv"),
    path("claimants/<slug:slug>/", views.claimant, name="claimant"),
    path("claimants/<slug:slug>.csv", views.claimant, CSV, name="claimant_csv"),
    path("places/<slug:slug>/", views.place, name="place"),
    path("places/<slug:slug>.csv", views.place, CSV, name="place_csv"),
    path("claims/<slug:external_id>/", views.claim, name="claim"),
    path("people/", views.people, name="people"),
    path("people.csv", views.people, CSV, name="people_csv"),
    path("people/<slug:external_id>/", views.person, name="person"),
    path("downloads/", downloads.downloads, name="downloads"),
    path("downloads/datapackage.json", datapackage.datapackage, name="datapackage"),
    re_path(
        r"^downloads/(?P<name>[a-z]+)\.(?P<fmt>csv|xlsx|json)$",
        downloads.download,
        name="download",
    ),
    path("releases/", release_views.release_list, name="releases"),
    path("releases/<slug:name>/", release_views.release_detail, name="release"),
    re_path(
        r"^releases/(?P<name>[-a-zA-Z0-9_]+)/(?P<table>[a-z]+)\.(?P<fmt>csv|xlsx|json)$",
        release_views.release_file,
        name="release_file",
    ),
]
