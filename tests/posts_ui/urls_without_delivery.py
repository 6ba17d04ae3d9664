"""The project's URLs with no delivery fragment, as before federation has one."""

from django.urls import URLResolver

from creatorhub.urls import urlpatterns as project_urls


def _without_delivery(patterns):
    kept = []
    for entry in patterns:
        if isinstance(entry, URLResolver) and any(
            getattr(p, "name", None) == "post-delivery" for p in entry.url_patterns
        ):
            # Keep the resolver, minus the fragment.
            entry = URLResolver(
                entry.pattern,
                [
                    p
                    for p in entry.url_patterns
                    if getattr(p, "name", None) != "post-delivery"
                ],
                entry.default_kwargs,
                entry.app_name,
                entry.namespace,
            )
        kept.append(entry)
    return kept


urlpatterns = _without_delivery(project_urls)
