"""Report pages as PDF files, with WeasyPrint.

The print view's HTML is laid out by WeasyPrint (which needs the system's
Pango). It reads nothing from the network: the only files it may open are
the project's static files (the stylesheets), looked up on disk; anything
else a page names (a remote avatar, say) is left out. Charts are inline
SVG, drawn as they are on screen.
"""

import mimetypes
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

# A base for relative addresses; no request is ever made to it.
BASE_URL = "https://pdf.invalid/"


class PdfUnavailable(Exception):
    """WeasyPrint (or the Pango it needs) is not installed here."""


def _static_file(url: str) -> tuple[bytes, str]:
    parts = urlsplit(url)
    prefix = urlsplit(settings.STATIC_URL).path
    if parts.netloc != urlsplit(BASE_URL).netloc or not parts.path.startswith(prefix):
        raise ValueError(f"not a static file: {url}")
    name = unquote(parts.path[len(prefix) :])
    if ".." in name.split("/"):
        raise ValueError(f"no static file {name}")
    # Collected (hashed names, in production) or in an app's static/.
    found = None
    if staticfiles_storage.exists(name):
        found = staticfiles_storage.path(name)
    found = found or finders.find(name)
    if not found:
        raise ValueError(f"no static file {name}")
    with open(found, "rb") as handle:
        body = handle.read()
    return body, mimetypes.guess_type(found)[0] or "application/octet-stream"


def html_to_pdf(html: str) -> bytes:
    """The PDF of `html`; PdfUnavailable when WeasyPrint cannot run here."""
    try:
        import weasyprint
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except (ImportError, OSError) as error:  # OSError: Pango missing
        raise PdfUnavailable(str(error)) from error

    class StaticOnly(URLFetcher):
        def fetch(self, url, headers=None):
            body, media_type = _static_file(url)
            return URLFetcherResponse(
                url, body=body, headers={"Content-Type": media_type}
            )

    return weasyprint.HTML(
        string=html, base_url=BASE_URL, url_fetcher=StaticOnly()
    ).write_pdf()
