"""/api/v1/: the resources, the OpenAPI document and its browsable page (docs/api.md).

The version is in the path: a change that breaks clients gets /api/v2/ beside this one.
"""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from claims.api import releases, views

router = DefaultRouter(trailing_slash=True)
router.register("conflicts", views.ConflictViewSet, basename="conflict")
router.register("parties", views.PartyViewSet, basename="party")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("claimants", views.ClaimantViewSet, basename="claimant")
router.register("sources", views.SourceViewSet, basename="source")
router.register("events", views.EventViewSet, basename="event")
router.register("places", views.PlaceViewSet, basename="place")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("people", views.PersonViewSet, basename="person")
router.register("figures", views.FigureViewSet, basename="figure")
router.register("releases", releases.ReleaseViewSet, basename="release")
router.register(r"releases/(?P<release>[^/.]+)/claims", releases.ReleaseClaimViewSet,
                basename="release-claim")  # fmt: skip
router.register(r"releases/(?P<release>[^/.]+)/people", releases.ReleasePersonViewSet,
                basename="release-person")  # fmt: skip
router.register(r"releases/(?P<release>[^/.]+)/figures", releases.ReleaseFigureViewSet,
                basename="release-figure")  # fmt: skip
router.register("changes", releases.ChangeViewSet, basename="change")

app_name = "api"

urlpatterns = [
    path("openapi.json", SpectacularAPIView.as_view(), {"format": "json"}, name="schema"),
    # Swagger UI from the sidecar's static files; its start-up script is a separate file
    # (?script), so the page needs no inline script under the CSP.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="claims/api_docs.html"
        ),
        name="docs",
    ),
    path("", include(router.urls)),
]
