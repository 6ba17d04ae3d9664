"""Campaign pages: the list on a creator's analytics and an agency's list
across its creators, the report (page, CSV, print view to save as PDF),
its sponsor links, and the sponsor's read-only copy opened without an
account.

The PDF is the print view laid out by WeasyPrint (analytics.pdf); where it
cannot run, the PDF link opens the print view, whose "Save as PDF" button
(print.js) leaves it to the browser.
"""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import permissions
from analytics import campaigns, pdf, report_charts
from analytics.forms import CampaignForm, SponsorLinkForm
from analytics.models import SponsorLink


def _form_for(user, creator, data=None, initial=None):
    agencies = campaigns.agencies_running_for(user, creator)
    return CampaignForm(
        data,
        initial=initial,
        creator=creator,
        agencies=agencies,
        own=creator.user_id == user.pk,
    )


def _agency_from(form, user, creator):
    slug = form.cleaned_data.get("agency") or ""
    if not slug:
        return None
    for agency in campaigns.agencies_running_for(user, creator):
        if agency.slug == slug:
            return agency
    return None


@require_http_methods(["GET", "POST"])
def campaign_list(request, handle: str):
    """The creator's campaigns this user may see, and a form to start one."""
    creator = permissions.get_creator_analytics_or_404(request.user, handle)
    may_start = creator.user_id == request.user.pk or bool(
        campaigns.agencies_running_for(request.user, creator)
    )
    form = None
    if may_start:
        form = _form_for(request.user, creator, request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                campaign = campaigns.campaign_create(
                    by=request.user,
                    creator=creator,
                    agency=_agency_from(form, request.user, creator),
                    name=form.cleaned_data["name"],
                    starts_on=form.cleaned_data["starts_on"],
                    ends_on=form.cleaned_data["ends_on"],
                    post_ids=[post.pk for post in form.cleaned_data["posts"]],
                )
            except (PermissionError, ValidationError) as error:
                form.add_error(None, _message(error))
            else:
                messages.success(request, f"Campaign “{campaign.name}” started.")
                return redirect("analytics:campaign", pk=campaign.pk)
    elif request.method == "POST":
        return HttpResponse("You may not start campaigns for this creator.", 403)
    rows = (
        campaigns.campaigns_visible_to(request.user)
        .filter(creator=creator)
        .select_related("agency")
    )
    return render(
        request,
        "analytics/campaigns.html",
        {"creator": creator, "campaigns": rows, "form": form},
    )


AGENCY_PAGE_SIZE = 25


@require_GET
def agency_campaign_list(request, slug: str):
    """Every campaign across the creators the agency reads, for its members
    (owners, managers and analysts alike), with each one's posts and
    interactions and a link to its report."""
    agency = permissions.get_agency_for_member_or_404(request.user, slug)
    rows = campaigns.agency_campaigns(user=request.user, agency=agency)
    page = Paginator(rows, AGENCY_PAGE_SIZE).get_page(request.GET.get("page"))
    listed = list(page.object_list)
    interactions = campaigns.campaigns_interactions(listed)
    return render(
        request,
        "analytics/agency_campaigns.html",
        {
            "agency": agency,
            "page": page,
            "rows": [
                {"campaign": c, "interactions": interactions.get(c.pk, 0)}
                for c in listed
            ],
            "creator_count": permissions.creators_of_agency_with_analytics(
                request.user, agency
            ).count(),
        },
    )


def _message(error) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return "You may not do that for this creator."


def _report_context(campaign) -> dict:
    report = campaigns.campaign_report(campaign=campaign)
    return {
        "campaign": campaign,
        "creator": campaign.creator,
        "report": report,
        "charts": {
            "posts": report_charts.campaign_posts(report),
            "platforms": report_charts.campaign_platforms(report),
            "earned": report_charts.campaign_earned(report),
        },
        "generated_at": timezone.now(),
    }


@require_GET
def campaign_report(request, pk: int):
    """The campaign's report; `?print=1` is the print view (save as PDF)."""
    campaign = campaigns.get_visible_campaign_or_404(request.user, pk)
    context = _report_context(campaign)
    if request.GET.get("print"):
        return render(request, "analytics/campaign_print.html", context)
    may_change = campaigns.can_change_campaign(request.user, campaign)
    context.update(
        may_change=may_change,
        links=campaign.sponsor_links.all() if may_change else [],
        link_form=SponsorLinkForm() if may_change else None,
        new_link=request.session.pop(f"sponsor-link-{campaign.pk}", None),
        now=timezone.now(),
    )
    return render(request, "analytics/campaign.html", context)


@require_http_methods(["GET", "POST"])
def campaign_edit(request, pk: int):
    campaign = campaigns.get_visible_campaign_or_404(request.user, pk)
    if not campaigns.can_change_campaign(request.user, campaign):
        return HttpResponse("You may read this campaign, not change it.", status=403)
    form = CampaignForm(
        request.POST or None,
        initial={
            "name": campaign.name,
            "starts_on": campaign.starts_on,
            "ends_on": campaign.ends_on,
            "posts": list(campaign.posts.values_list("pk", flat=True)),
        },
        creator=campaign.creator,
        agencies=[],
        own=False,
    )
    del form.fields["agency"]
    if request.method == "POST" and form.is_valid():
        try:
            campaigns.campaign_update(
                by=request.user,
                campaign=campaign,
                name=form.cleaned_data["name"],
                starts_on=form.cleaned_data["starts_on"],
                ends_on=form.cleaned_data["ends_on"],
                post_ids=[post.pk for post in form.cleaned_data["posts"]],
            )
        except (PermissionError, ValidationError) as error:
            form.add_error(None, _message(error))
        else:
            messages.success(request, "Campaign saved.")
            return redirect("analytics:campaign", pk=campaign.pk)
    return render(
        request,
        "analytics/campaign_edit.html",
        {"campaign": campaign, "creator": campaign.creator, "form": form},
    )


def _write_csv(report, filename: str) -> HttpResponse:
    """One row per post, then the platforms and the followers earned: the
    numbers the report shows, unformatted."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    campaign = report.campaign
    writer.writerow(
        [
            "campaign",
            "first_day",
            "last_day",
            "post_id",
            "published_at",
            "text",
            "interactions",
            "likes",
            "boosts",
            "replies",
            "reactions",
            "quotes",
            "followers_earned",
            "servers_reached",
            "followers_on_servers",
            "boosters",
            "boosters_known",
            "booster_followers",
            "reach_estimate",
        ]
    )
    for row in report.posts:
        counts = row.counts
        writer.writerow(
            [
                _csv_safe(campaign.name),
                campaign.starts_on.isoformat(),
                campaign.ends_on.isoformat(),
                row.post.pk,
                row.post.published_at.isoformat() if row.post.published_at else "",
                _csv_safe(row.post.body[:200]),
                counts.interactions,
                counts.likes,
                counts.boosts,
                counts.replies,
                counts.reactions,
                counts.quotes,
                row.followers_earned,
                *_reach_cells(row.reach),
            ]
        )
    counts, reach = report.counts, report.reach
    writer.writerow(
        [
            _csv_safe(campaign.name),
            campaign.starts_on.isoformat(),
            campaign.ends_on.isoformat(),
            "all",
            "",
            "",
            counts.interactions,
            counts.likes,
            counts.boosts,
            counts.replies,
            counts.reactions,
            counts.quotes,
            report.followers_earned,
            *_reach_cells(reach),
        ]
    )
    return response


def _reach_cells(reach) -> list:
    """servers_reached .. reach_estimate: empty where reach is not known;
    the estimate is the followers on the servers plus booster_followers."""
    if not reach.known:
        return ["", "", reach.boosters, "", "", ""]
    return [
        reach.servers,
        reach.followers,
        reach.boosters,
        reach.boosters_known,
        reach.booster_followers,
        reach.total,
    ]


def _csv_safe(text: str) -> str:
    text = " ".join(text.split())
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text


def _filename(campaign, extension: str = "csv") -> str:
    slug = "".join(c if c.isalnum() else "-" for c in campaign.name.lower())
    return f"campaign-{slug.strip('-')[:40] or campaign.pk}.{extension}"


def _pdf_response(request, context, filename: str):
    html = render_to_string("analytics/campaign_print.html", context, request=request)
    try:
        document = pdf.html_to_pdf(html)
    except pdf.PdfUnavailable:
        return redirect(f"{request.path.rsplit('/', 1)[0]}/?print=1")
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def campaign_pdf(request, pk: int):
    """The report as a PDF file (the print view, laid out by WeasyPrint)."""
    campaign = campaigns.get_visible_campaign_or_404(request.user, pk)
    return _pdf_response(request, _report_context(campaign), _filename(campaign, "pdf"))


@require_GET
def campaign_csv(request, pk: int):
    campaign = campaigns.get_visible_campaign_or_404(request.user, pk)
    report = campaigns.campaign_report(campaign=campaign)
    return _write_csv(report, _filename(campaign))


@require_POST
def sponsor_link_create(request, pk: int):
    campaign = campaigns.get_visible_campaign_or_404(request.user, pk)
    form = SponsorLinkForm(request.POST)
    if not campaigns.can_change_campaign(request.user, campaign):
        return HttpResponse("You may read this campaign, not share it.", status=403)
    if form.is_valid():
        _, token = campaigns.sponsor_link_create(
            by=request.user,
            campaign=campaign,
            days=form.cleaned_data["days"],
            label=form.cleaned_data["label"],
        )
        # Shown once on the report, like an API token.
        request.session[f"sponsor-link-{campaign.pk}"] = request.build_absolute_uri(
            reverse("analytics:sponsor-report", kwargs={"token": token})
        )
        messages.success(request, "Sponsor link made: copy it below.")
    else:
        messages.error(request, "A link lasts from 1 to 365 days.")
    return redirect("analytics:campaign", pk=campaign.pk)


@require_POST
def sponsor_link_revoke(request, pk: int, link_pk: int):
    campaign = campaigns.get_visible_campaign_or_404(request.user, pk)
    link = get_object_or_404(SponsorLink, pk=link_pk, campaign=campaign)
    try:
        campaigns.sponsor_link_revoke(by=request.user, link=link)
    except PermissionError:
        return HttpResponse("You may read this campaign, not change it.", status=403)
    messages.success(request, "Link revoked: it no longer opens.")
    return redirect("analytics:campaign", pk=campaign.pk)


# The sponsor's copy, without an account -----------------------------------------


def _open_link(request, token: str):
    try:
        return campaigns.sponsor_link_open(token), None
    except campaigns.SponsorLinkClosed as closed:
        response = render(
            request,
            "analytics/sponsor_closed.html",
            {"reason": closed.reason, "link": closed.link},
            status=410,
        )
        return None, response


@login_not_required
@require_GET
def sponsor_report(request, token: str):
    """The campaign's report for a sponsor: read-only, no account, until the
    link expires or is revoked (410, in words); a link not made here 404."""
    link, closed = _open_link(request, token)
    if closed is not None:
        return closed
    context = _report_context(link.campaign)
    context.update(sponsor=True, token=token, link=link)
    template = (
        "analytics/campaign_print.html"
        if request.GET.get("print")
        else "analytics/sponsor.html"
    )
    response = render(request, template, context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


@login_not_required
@require_GET
def sponsor_report_pdf(request, token: str):
    link, closed = _open_link(request, token)
    if closed is not None:
        return closed
    context = _report_context(link.campaign)
    context.update(sponsor=True, token=token, link=link)
    response = _pdf_response(request, context, _filename(link.campaign, "pdf"))
    response["Cache-Control"] = "private, no-store"
    return response


@login_not_required
@require_GET
def sponsor_report_csv(request, token: str):
    link, closed = _open_link(request, token)
    if closed is not None:
        return closed
    report = campaigns.campaign_report(campaign=link.campaign)
    response = _write_csv(report, _filename(link.campaign))
    response["Cache-Control"] = "private, no-store"
    return response
