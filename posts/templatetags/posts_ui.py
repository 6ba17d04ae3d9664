"""Template filters of the posts dashboard: times and durations in words."""

from django import template

from posts.views import common

register = template.Library()


@register.filter
def when(moment, time_zone):
    """{{ post.scheduled_at|when:creator.time_zone }} → "Tue 3 Dec, 14:05"."""
    return common.when_in_words(moment, time_zone or "UTC")


@register.filter
def duration(value):
    """{{ post.published_late_by|duration }} → "14 min"."""
    return common.duration_in_words(value)


@register.filter
def relative(moment):
    """{{ post.scheduled_at|relative }} → "in 3 h"."""
    return common.relative_in_words(moment)


@register.filter
def focal_position(media):
    """CSS object-position keeping a PostMedia's focal point in view.

    Mastodon's focal point runs -1..1 left to right and bottom to top.
    """
    if media.focal_x is None or media.focal_y is None:
        return "50% 50%"
    left = (media.focal_x + 1) / 2 * 100
    top = (1 - media.focal_y) / 2 * 100
    return f"{left:.1f}% {top:.1f}%"


@register.filter
def focal_dot(media):
    """CSS placing a marker on a PostMedia's focal point in its thumbnail."""
    left, top = focal_position(media).split()
    return f"left: {left}; top: {top}"


@register.filter
def language_name(code):
    """ "fr" → "Français (French)"; a code the form does not offer stays as is."""
    from posts.forms import LANGUAGE_CHOICES

    return dict(LANGUAGE_CHOICES).get(code, code)
