"""Error pages and the favicon: what a person sees when a page is missing,
forbidden or broken, in words, with the way back.

Django renders templates/403.html, 404.html and 500.html itself when DEBUG
is off (500.html with no request and no database). With DEBUG on, as
`make run` has it, Django answers an address no URL pattern matches with its
technical "Page not found" page instead; `unmatched` is the last URL pattern,
so a mistyped address shows the styled 404 there too, while errors keep
their tracebacks. It redirects to the address with a slash where that one
exists, which CommonMiddleware's APPEND_SLASH no longer does once every
address matches a pattern. A view that finds nothing (Http404: a post, an
inbox or a creator that is not there, or not this person's) gets the styled
404 with DEBUG on too, from NotFoundPageMiddleware.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.http import Http404, HttpResponsePermanentRedirect
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.views.decorators.cache import cache_control
from django.views.defaults import page_not_found


@login_not_required
def unmatched(request, path: str = ""):
    """The styled 404 for an address no other pattern matches."""
    if (
        settings.APPEND_SLASH
        and request.method in ("GET", "HEAD")
        and not request.path_info.endswith("/")
    ):
        try:
            match = resolve(request.path_info + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not unmatched:
            return HttpResponsePermanentRedirect(
                request.get_full_path(force_append_slash=True)
            )
    return page_not_found(request, exception=None)


@login_not_required
@cache_control(max_age=86400, public=True)
def favicon(request):
    """/favicon.ico, which browsers ask for whatever the page links."""
    return redirect(staticfiles_storage.url("favicon.ico"), permanent=True)


class NotFoundPageMiddleware:
    """With DEBUG on, as `make run` has it, a view raising Http404 answers
    the styled 404 instead of Django's technical "Page not found" page (its
    URL patterns and settings are no page for a person). With DEBUG off,
    Django renders the same page itself; errors other than 404 keep their
    tracebacks."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
