from django.conf import settings
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.http import require_safe


@require_safe
def favicon(request):
    """Browsers ask for /favicon.ico whatever the pages say; answer with the static one."""
    return HttpResponsePermanentRedirect(static("casualties/favicon.ico"))


urlpatterns = [
    path(settings.ADMIN_URL, admin.site.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", include("claims.api.urls")),
    path("", include("claims.public.urls")),
]
