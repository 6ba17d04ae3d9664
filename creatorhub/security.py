"""Response headers the security middleware of Django and django-csp leave
out."""

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Add `Permissions-Policy` (settings.PERMISSIONS_POLICY) to every answer.

    It switches off browser features no page here uses (camera, microphone,
    location, payment, USB, ad topics), for this site and anything it might
    embed. https://www.w3.org/TR/permissions-policy/
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.PERMISSIONS_POLICY
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response
