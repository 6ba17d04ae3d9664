from django.conf import settings


def site(request):
    return {
        "site_name": settings.CREATORHUB_NAME,
        "site_domain": settings.CREATORHUB_DOMAIN,
    }
