"""API tokens for DRF: who a request's `Authorization: Token <secret>` is,
and what the token's scope lets it do.

Tokens are accounts.models.ApiToken rows, made and revoked through
accounts.services. A secret is looked up by its SHA-256, the only form
stored.
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.permissions import SAFE_METHODS, BasePermission

from . import services
from .models import ApiToken, hash_token_secret

KEYWORD = "Token"


class ApiTokenAuthentication(BaseAuthentication):
    """`Authorization: Token <secret>`; request.auth is the ApiToken.

    Unknown and revoked tokens answer 401, as does a deactivated user's.
    """

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != KEYWORD.lower().encode():
            return None
        if len(parts) != 2:
            raise AuthenticationFailed(
                "Invalid token header: send `Authorization: Token <secret>`."
            )
        try:
            secret = parts[1].decode()
        except UnicodeError as exc:
            raise AuthenticationFailed("Invalid token.") from exc
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token_secret(secret))
            .first()
        )
        if token is None:
            raise AuthenticationFailed("Invalid token.")
        if token.revoked_at is not None:
            raise AuthenticationFailed("This token was revoked.")
        if not token.user.is_active:
            raise AuthenticationFailed("User inactive or deleted.")
        services.record_api_token_use(token=token)
        return token.user, token

    def authenticate_header(self, request) -> str:
        return KEYWORD


class TokenScopeAllows(BasePermission):
    """A read-only token may only read: GET, HEAD and OPTIONS.

    Requests signed in any other way (the dashboard's session) are not this
    permission's business.
    """

    message = (
        "This token is read-only: it cannot create, change or delete. "
        "Use a read-write token (the dashboard's API page)."
    )
    code = "read_only_token"

    def has_permission(self, request, view) -> bool:
        token = request.auth
        if not isinstance(token, ApiToken) or request.method in SAFE_METHODS:
            return True
        return token.can_write


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """The token in the OpenAPI schema (and the docs page's Authorize)."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": (
                "`Token <secret>`, from the dashboard's API page. A read-only token "
                "answers 403 to POST, PUT, PATCH and DELETE."
            ),
        }
