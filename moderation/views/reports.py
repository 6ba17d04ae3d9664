"""Reports, for admins: open and resolved cases, a case with what was
reported, resolving it with an action, forwarding it to the other server."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions
from moderation import policies, selectors, services
from moderation.forms import ReportResolveForm
from moderation.models import DomainPolicy, Report
from moderation.views.common import (
    get_report_or_404,
    page_links,
    require_admin,
    with_query,
)

REPORTS_PAGE_SIZE = 30
A = Report.Action


@require_GET
def report_list(request):
    require_admin(request.user)
    status = request.GET.get("status", Report.Status.OPEN)
    if status not in Report.Status.values:
        status = Report.Status.OPEN
    page = Paginator(selectors.reports_with_status(status), REPORTS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    counts = selectors.report_counts()
    context = {
        "tab": "reports",
        "status": status,
        "page": page,
        "tabs": [
            {
                "label": label,
                "count": counts[value],
                "url": with_query(request.path, {"status": value}),
                "current": value == status,
            }
            for value, label in Report.Status.choices
        ],
        **page_links(request.path, {"status": status}, page),
    }
    return render(request, "moderation/reports.html", context)


def _actions_for(report: Report) -> list[tuple[str, str]]:
    """The actions that mean something for this report."""
    choices = [(A.NONE, "No action: nothing breaks the rules")]
    if report.replies.exists():
        choices += [
            (A.HIDE_REPLIES, "Hide the reported replies"),
            (A.REMOVE_REPLIES, "Remove the reported replies"),
        ]
    if report.target_actor_uri:
        choices.append(
            (
                A.BLOCK_ACCOUNT,
                f"Block {report.target_handle or 'the account'} for "
                f"@{report.creator.handle}",
            )  # fmt: skip
        )
    if report.server:
        choices += [
            (A.SILENCE_SERVER, f"Silence {report.server}: hold every reply from it"),
            (A.BLOCK_SERVER, f"Block {report.server}: refuse everything from it"),
        ]
    choices.append((A.OTHER, "Something else (say what in the note)"))
    return choices


def _can_forward(report: Report) -> bool:
    return (
        report.status == Report.Status.OPEN
        and report.source == Report.Source.CREATOR
        and bool(report.target_actor_uri)
        and report.forwarded_at is None
        and not policies.domain_is_blocked(report.target_domain)
    )


@require_http_methods(["GET", "POST"])
def report_detail(request, pk: int):
    """A case: who reported what and why, the content, and the resolution."""
    require_admin(request.user)
    report = get_report_or_404(pk)
    form = ReportResolveForm(request.POST or None, actions=_actions_for(report))
    if request.method == "POST" and report.status != Report.Status.OPEN:
        messages.error(request, f"Report #{report.pk} is resolved already.")
        return redirect("moderation:report", pk=report.pk)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_resolve(
                report=report,
                by=request.user,
                action=form.cleaned_data["action"],
                note=form.cleaned_data["note"].strip(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Report #{report.pk} resolved.")
            return redirect("moderation:report", pk=report.pk)
    server_policy = policies.domain_policy_for(report.server) if report.server else None
    context = {
        "tab": "reports",
        "title": f"Report #{report.pk}",
        "report": report,
        "form": form,
        "replies": list(report.replies.select_related("post").order_by("published_at")),
        # An admin reads no creator's thread: the post is named, not linked.
        "thread_creators": frozenset(
            permissions.creators_visible_to(request.user).values_list("pk", flat=True)
        ),
        "posts": list(report.posts.order_by("-published_at")),
        "can_forward": _can_forward(report),
        "server_policy": server_policy,
        "severities": DomainPolicy.Severity,
        "time_zone": getattr(
            getattr(request.user, "creator", None), "time_zone", "UTC"
        ),
    }
    return render(request, "moderation/report.html", context)


@require_POST
def report_forward(request, pk: int):
    """Send a copy to the admins of the reported account's server."""
    require_admin(request.user)
    report = get_report_or_404(pk)
    try:
        services.report_forward(report=report, by=request.user)
    except ValidationError as exc:
        messages.error(request, f"Not forwarded: {' '.join(exc.messages)}")
    else:
        messages.success(
            request,
            f"Forwarded to the admins of {report.target_domain}, from this "
            "server (they do not learn who reported).",
        )
    return redirect("moderation:report", pk=report.pk)
