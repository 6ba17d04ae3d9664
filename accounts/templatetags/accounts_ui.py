"""The header's creator switcher."""

from django import template

from accounts import switching
from accounts.models import CreatorProfile

register = template.Library()


@register.simple_tag(takes_context=True)
def creator_switcher(context) -> dict:
    """{"current": the creator being worked for, "choices": all of them}."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"current": None, "choices": []}
    choices = list(switching.creators_managed_by(request.user))
    about = context.get("creator")
    return {
        "current": switching.current_creator(
            request, choices, about if isinstance(about, CreatorProfile) else None
        ),
        "choices": choices,
    }
