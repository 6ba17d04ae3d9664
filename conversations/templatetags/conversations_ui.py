from django import template

from conversations import selectors

register = template.Library()


@register.simple_tag
def replies_nav(user) -> bool:
    """Whether the nav shows "Replies": only to those the page opens for."""
    return selectors.inbox_is_open_to(user)
