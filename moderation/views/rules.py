"""Screening rules: a creator's own, and the instance's defaults (admins).

A creator may hold more than the instance does, never less: the page says
what the instance already holds.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import permissions
from moderation import selectors, services
from moderation.forms import RULE_FIELDS, ScreeningRulesForm
from moderation.views.common import get_moderated_creator_or_404, require_admin

# What each switch holds, in the words of the instance summary.
SWITCH_WORDS = {
    "hold_all": "every reply",
    "hold_first_time": "first-time repliers",
    "hold_new_servers": "replies from new servers",
    "hold_link_only": "link-only replies",
    "hold_mention_spam": "mention spam",
}


def _instance_summary(rules) -> list[str]:
    """What the instance's rules hold, in words, for the creator's page."""
    held = [words for name, words in SWITCH_WORDS.items() if getattr(rules, name)]
    if rules.flood_limit:
        held.append(
            f"more than {rules.flood_limit} replies from one account in "
            f"{rules.flood_minutes} minutes"
        )
    entries = [
        line
        for line in rules.keywords.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    if entries:
        held.append(
            f"{len(entries)} filter-list entr{'y' if len(entries) == 1 else 'ies'}"
        )
    return held


def _edit(request, *, creator, template: str, context: dict):
    rules = selectors.screening_rules_of(creator)
    form = ScreeningRulesForm(request.POST or None, rules=rules)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in RULE_FIELDS}
        try:
            services.screening_rules_update(creator=creator, by=request.user, **changes)
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            messages.success(
                request,
                "Screening rules saved: they apply to replies arriving from now on.",
            )
            return redirect(request.path)
    if request.method == "POST" and form.errors:
        messages.error(request, "Nothing was saved: see the fields marked below.")
    return render(
        request, template, {**context, "form": form, "rules": rules, "f": form}
    )


@require_http_methods(["GET", "POST"])
def creator_rules(request, handle: str):
    creator = get_moderated_creator_or_404(request.user, handle)
    instance_rules = selectors.screening_rules_of(None)
    return _edit(
        request,
        creator=creator,
        template="moderation/rules.html",
        context={
            "creator": creator,
            "is_own": creator.user_id == request.user.pk,
            "is_admin": permissions.can_moderate(request.user),
            "tab": "rules",
            "instance_holds": _instance_summary(instance_rules),
        },
    )


@require_http_methods(["GET", "POST"])
def instance_rules(request):
    require_admin(request.user)
    return _edit(
        request,
        creator=None,
        template="moderation/instance_rules.html",
        context={"tab": "rules"},
    )
