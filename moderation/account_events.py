"""Account security events written to the audit log.

Connected in ModerationConfig.ready(): accounts announces unlocks and
two-factor resets (accounts.events), django-axes announces lock-outs, posts
announces what agency members do for creators (posts.events).
"""

from axes.signals import user_locked_out
from django.dispatch import receiver

from accounts import events
from posts import events as post_events

from . import services


@receiver(user_locked_out, dispatch_uid="moderation-login-lockout")
def log_login_lockout(sender, request, username, ip_address, **kwargs) -> None:
    # Axes announces a lock-out again for every attempt made while it lasts
    # (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off). Only the attempt
    # that reached the limit was counted, and only it carries the count.
    if getattr(request, "axes_failures_since_start", None) is None:
        return
    services.audit_login_lockout(username=username or "", ip_address=ip_address)


@receiver(events.login_unlocked, dispatch_uid="moderation-login-unlocked")
def log_login_unlock(sender, username, by, via, **kwargs) -> None:
    services.audit_login_unlock(username=username, by=by, via=via)


@receiver(post_events.acted_on_behalf, dispatch_uid="moderation-acted-on-behalf")
def log_agency_action(sender, action, **kwargs) -> None:
    services.audit_agency_action(action=action)


@receiver(events.two_factor_reset, dispatch_uid="moderation-two-factor-reset")
def log_two_factor_reset(sender, user, by, **kwargs) -> None:
    services.audit_two_factor_reset(user=user, by=by)
