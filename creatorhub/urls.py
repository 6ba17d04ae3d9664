from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import errors, health

admin.site.site_header = "Creator Hub administration"
admin.site.site_title = "Creator Hub admin"

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("favicon.ico", errors.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("accounts.api_urls")),
    path("api/v1/", include("posts.api_urls")),
    path("api/v1/", include("analytics.api_urls")),
    path("api/v1/", include("conversations.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # The split view serves its start-up script from ?script instead of
        # inline, as the Content-Security-Policy requires.
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("", include("federation.urls")),
    path("", include("posts.urls")),
    path("dashboard/", include("federation.dashboard_urls")),
    path("", include("moderation.urls")),
    path("", include("analytics.urls")),
    path("", include("conversations.urls")),
    path("", include("accounts.urls")),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.auth.decorators import login_not_required
    from django.views.static import serve

    # Images are public, as posts and profiles are: a visitor's browser and
    # other servers fetch them without logging in (LoginRequiredMiddleware).
    urlpatterns += static(
        settings.MEDIA_URL,
        view=login_not_required(serve),
        document_root=settings.MEDIA_ROOT,
    )

# Last: any other address is the styled 404, even with DEBUG on (errors.py).
urlpatterns.append(path("<path:path>", errors.unmatched, name="unmatched"))
