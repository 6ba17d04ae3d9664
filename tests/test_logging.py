"""Every response and every log line written for it carry one request id."""

import json
import logging
import logging.config

import pytest
from django.conf import settings

from creatorhub.logging import RequestIdFilter


@pytest.mark.django_db
def test_response_carries_a_fresh_request_id(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz")["X-Request-ID"]
    assert len(first) == 32
    assert first != second


@pytest.mark.django_db
def test_a_sane_request_id_from_the_proxy_is_kept_and_a_hostile_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == (
        "abc-123"
    )
    hostile = "evil\nInjected-Header: 1"
    assert client.get("/healthz", HTTP_X_REQUEST_ID=hostile)["X-Request-ID"] != hostile


def test_json_log_lines_are_one_object_with_the_request_id():
    formatter = logging.config.DictConfigurator(settings.LOGGING).configure_formatter(
        settings.LOGGING["formatters"]["json"]
    )
    record = logging.LogRecord(
        "federation", logging.WARNING, __file__, 1, "inbox refused %s", ("x",), None
    )
    RequestIdFilter().filter(record)
    line = json.loads(formatter.format(record))
    assert line["level"] == "WARNING"
    assert line["message"] == "inbox refused x"
    assert line["request_id"] == "-"
    assert "time" in line
