"""Security headers on every answer: a Content-Security-Policy with no inline
script, HSTS over https, Permissions-Policy; and templates that need no
inline script to work under that policy."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

pytestmark = pytest.mark.django_db

BASE_DIR = Path(django_settings.BASE_DIR)


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


def assert_strict_csp(response) -> None:
    policy = directives(response)
    script_src = policy.get("script-src", policy["default-src"])
    assert script_src == ["'self'"], script_src
    assert "'unsafe-inline'" not in script_src
    assert "'unsafe-eval'" not in script_src
    assert policy["style-src-elem"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def dashboard_urls(creator) -> list[str]:
    handle = creator.handle
    return [
        reverse("dashboard"),
        reverse("posts:compose", kwargs={"handle": handle}),
        reverse("posts:queue", kwargs={"handle": handle}),
        reverse("analytics:creator", kwargs={"handle": handle}),
        reverse("moderation:queue", kwargs={"handle": handle}),
        reverse("api_token"),
        reverse("profile_settings"),
    ]


def test_dashboard_pages_have_a_strict_csp(client, creator):
    client.force_login(creator.user)
    for url in dashboard_urls(creator):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict_csp(response)


@pytest.mark.parametrize("url", ["/login/", "/signup/", "/@alice", "/"])
def test_public_pages_have_a_strict_csp(client, creator, url):
    response = client.get(url)
    assert response.status_code == 200, url
    assert_strict_csp(response)


def test_json_endpoints_carry_the_headers_and_still_answer(client, creator):
    response = client.get("/users/alice", HTTP_ACCEPT="application/activity+json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/activity+json")
    assert "Content-Security-Policy" in response
    assert "Permissions-Policy" in response


def test_the_api_docs_page_needs_no_inline_script(client):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert_strict_csp(response)
    assert "<style" not in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts
    assert all('src="' in attrs and not body.strip() for attrs, body in scripts)
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.content.decode()


def test_permissions_policy_switches_off_unused_features(client):
    policy = client.get("/login/")["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment", "usb"):
        assert f"{feature}=()" in policy


def test_hsts_is_sent_over_https_by_default(client):
    assert django_settings.SECURE_HSTS_SECONDS == 31_536_000
    response = client.get("/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000"
    # Browsers ignore it over http, and Django does not send it there.
    assert "Strict-Transport-Security" not in client.get("/login/")


def test_hsts_is_off_when_set_to_zero(client, settings):
    settings.SECURE_HSTS_SECONDS = 0
    assert "Strict-Transport-Security" not in client.get("/login/", secure=True)


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, 31_536_000),
        ({"SECURE_HSTS_SECONDS": "0"}, 0),
        ({"SECURE_HSTS_SECONDS": "600"}, 600),
        ({"CREATORHUB_SCHEME": "http"}, 0),
    ],
)
def test_hsts_default_follows_the_scheme_and_the_environment(env, expected):
    """The settings module read afresh, as a new process reads it."""
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECURE_HSTS_SECONDS", "CREATORHUB_SCHEME"}
    }
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from creatorhub import settings; print(settings.SECURE_HSTS_SECONDS)",
        ],
        env={**clean, "DEBUG": "true", **env},
        cwd=BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(result.stdout.strip().splitlines()[-1]) == expected


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
HANDLER = re.compile(r"\son[a-z]+\s*=|\bhx-on|javascript:", re.I)


def test_no_template_holds_inline_script():
    """Inline <script>, on*= handlers, hx-on and javascript: URLs would all
    be blocked by the policy; JavaScript lives in static/js/."""
    offenders = []
    for path in sorted((BASE_DIR / "templates").rglob("*.html")):
        if "email" in path.parts:
            continue  # mail clients, not browsers under this policy
        text = path.read_text()
        for pattern in (INLINE_SCRIPT, HANDLER):
            offenders += [
                f"{path.relative_to(BASE_DIR)}: {m.group(0)}"
                for m in pattern.finditer(text)
            ]
    assert not offenders, "\n".join(offenders)
