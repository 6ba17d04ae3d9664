"""One error body for the whole API.

Every error answers {"error": {"code", "message", "fields"?}} so clients can
handle them in one place; DRF's default shapes vary by exception type.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    # DRF answers Django's Http404 and PermissionDenied too; convert them
    # first so they get a real code ("not_found") rather than "error".
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(*exc.args)
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied(*exc.args)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    body = {"code": _code_of(exc), "message": _message_of(exc)}
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        body["fields"] = exc.detail
    response.data = {"error": body}
    return response


def _code_of(exc) -> str:
    if isinstance(exc, exceptions.APIException):
        codes = exc.get_codes()
        if isinstance(codes, str):
            return codes
        return exc.default_code
    return "error"


def _message_of(exc) -> str:
    if isinstance(exc, exceptions.ValidationError):
        return "Some fields are not valid."
    detail = getattr(exc, "detail", None)
    return str(detail) if detail is not None else str(exc)
