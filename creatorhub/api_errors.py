"""One error body for the whole API.

Every error answers {"error": {"code", "message", "fields"?}} so clients can
handle them in one place; DRF's default shapes vary by exception type.
"""

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
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
