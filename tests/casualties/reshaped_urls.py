"""The site's URLs with a figure's address in another shape (not under its party's), for the
test that figure links follow the URL patterns instead of being built from a party's address."""

from django.urls import include, path

from casualties import urls as site
from claims.public import urls as public
from claims.public import views

reshaped = [
    path("losses/<slug:party>/of/<slug:category>/", views.figure, name="figure"),
    path("losses/whole-war/<slug:slug>/of/<slug:category>/", views.war_figure, name="war_figure"),
    *(p for p in public.urlpatterns if p.name not in {"figure", "war_figure"}),
]
urlpatterns = [
    *(p for p in site.urlpatterns if getattr(p, "namespace", None) != public.app_name),
    path("", include((reshaped, public.app_name))),
]
