"""Content negotiation and response helpers for ActivityPub endpoints."""

import json

from django.http import HttpResponse

ACTIVITY_JSON = "application/activity+json"
AS2_PROFILE = "https://www.w3.org/ns/activitystreams"


def wants_activity_json(request) -> bool:
    """Whether the client asked for AS2 (either media type Mastodon sends)."""
    accept = request.headers.get("Accept", "").lower()
    return ACTIVITY_JSON in accept or (
        "application/ld+json" in accept and AS2_PROFILE in accept
    )


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
