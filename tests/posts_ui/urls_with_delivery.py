"""The project's URLs plus a stand-in for federation's delivery fragment."""

from django.http import HttpResponse
from django.urls import include, path

from creatorhub.urls import urlpatterns as project_urls


def delivery(request, pk):
    return HttpResponse(f"delivered to 1 of 1 servers ({pk})")


federation_stand_in = (
    [path("delivery/<int:pk>/", delivery, name="post-delivery")],
    "federation",
)

urlpatterns = [
    path("", include(federation_stand_in)),
    *[
        entry
        for entry in project_urls
        if getattr(entry, "namespace", None) != "federation"
        and getattr(entry, "name", None) != "post-delivery"
    ],
]
