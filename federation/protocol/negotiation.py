"""Content negotiation and response helpers for ActivityPub endpoints."""

import json

from django.http import HttpResponse

ACTIVITY_JSON = "application/activity+json"
AS2_PROFILE = "https://www.w3.org/ns/activitystreams"


# Media types answered with the AS2 document. Mastodon sends the first two
# (ld+json with the AS2 profile); other servers and tools send ld+json
# without a profile, or plain application/json.
JSON_TYPES = (ACTIVITY_JSON, "application/ld+json", "application/json")
HTML_TYPES = ("text/html", "application/xhtml+xml")


def wants_activity_json(request) -> bool:
    """Whether the client asked for AS2 rather than a page.

    Any JSON type it accepts counts, unless it prefers HTML (browsers name
    text/html first and JSON, if at all, lower or through */*).
    """
    json_q, html_q = 0.0, 0.0
    for media_type, quality in _accepted(request.headers.get("Accept", "")):
        if media_type in JSON_TYPES:
            json_q = max(json_q, quality)
        elif media_type in HTML_TYPES:
            html_q = max(html_q, quality)
    return json_q > 0 and json_q >= html_q


def _accepted(header: str) -> list[tuple[str, float]]:
    """(media type, q) for each entry of an Accept header, lower-cased."""
    entries = []
    for entry in header.lower().split(","):
        media_type, *params = (part.strip() for part in entry.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_type:
            entries.append((media_type, quality))
    return entries


def activity_response(document: dict, *, status: int = 200) -> HttpResponse:
    response = HttpResponse(
        json.dumps(document, ensure_ascii=False),
        status=status,
        content_type=f"{ACTIVITY_JSON}; charset=utf-8",
    )
    response["Vary"] = "Accept"
    return response


def jrd_response(document: dict, *, status: int = 200, max_age: int = 0):
    response = HttpResponse(
        json.dumps(document), status=status, content_type="application/jrd+json"
    )
    _public(response, max_age)
    return response


def json_response(document: dict, *, content_type: str, max_age: int = 0):
    response = HttpResponse(json.dumps(document), content_type=content_type)
    _public(response, max_age)
    return response


def _public(response: HttpResponse, max_age: int) -> None:
    response["Access-Control-Allow-Origin"] = "*"
    if max_age:
        response["Cache-Control"] = f"public, max-age={max_age}"
