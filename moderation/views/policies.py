"""Domain policies, for admins: the list, add, change, lift, and the CSV
import and export in Mastodon's format."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from moderation import domain_csv, selectors, services
from moderation.forms import DomainImportForm, DomainPolicyForm
from moderation.models import DomainPolicy
from moderation.policies import normalise_domain
from moderation.views.common import page_links, require_admin

POLICIES_PAGE_SIZE = 50
FORM_FIELDS = ("severity", "reject_media", "reject_reports", "obfuscate",
               "public_reason", "private_note")  # fmt: skip


def _get_policy_or_404(pk: int) -> DomainPolicy:
    policy = DomainPolicy.objects.filter(pk=pk).first()
    if policy is None:
        raise Http404("No such server policy.")
    return policy


@require_GET
def policy_list(request):
    require_admin(request.user)
    query = request.GET.get("q", "").strip().lower()[:255]
    severity = request.GET.get("severity", "")
    if severity not in DomainPolicy.Severity.values:
        severity = ""
    policies = DomainPolicy.objects.all()
    if query:
        policies = policies.filter(domain__icontains=query)
    if severity:
        policies = policies.filter(severity=severity)
    page = Paginator(policies.order_by("domain"), POLICIES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    filters = {"q": query, "severity": severity}
    context = {
        "tab": "servers",
        "page": page,
        "query": query,
        "severity": severity,
        "severities": DomainPolicy.Severity.choices,
        "total": DomainPolicy.objects.count(),
        **page_links(request.path, filters, page),
    }
    return render(request, "moderation/policies.html", context)


def _save(request, form: DomainPolicyForm, *, domain: str | None = None):
    values = {name: form.cleaned_data[name] for name in FORM_FIELDS}
    domain = domain or form.cleaned_data["domain"]
    try:
        return services.domain_policy_save(
            domain=domain, by=request.user, reason="on the servers page", **values
        )
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for name, errors in exc.message_dict.items():
                form.add_error(name if name in form.fields else None, errors)
        else:
            form.add_error("domain" if domain else None, exc)
        return None


@require_http_methods(["GET", "POST"])
def policy_create(request):
    require_admin(request.user)
    initial = {"domain": request.GET.get("domain", "")[:255]}
    form = DomainPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            domain = normalise_domain(form.cleaned_data["domain"])
        except ValidationError as exc:
            form.add_error("domain", exc)
            domain = ""
        if domain and DomainPolicy.objects.filter(domain=domain).exists():
            form.add_error(
                "domain", f"{domain} has a policy already: change that one instead."
            )
        elif domain:
            policy = _save(request, form, domain=domain)
            if policy is not None:
                messages.success(
                    request,
                    f"{policy.domain}: {policy.get_severity_display().lower()}.",
                )
                return redirect("moderation:policies")
    return render(
        request, "moderation/policy_form.html", {"tab": "servers", "form": form}
    )


@require_http_methods(["GET", "POST"])
def policy_edit(request, pk: int):
    require_admin(request.user)
    policy = _get_policy_or_404(pk)
    initial = {"domain": policy.domain, **{n: getattr(policy, n) for n in FORM_FIELDS}}
    form = DomainPolicyForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, domain=policy.domain)
        if saved is not None:
            messages.success(
                request, f"{saved.domain}: {saved.get_severity_display().lower()}."
            )
            return redirect("moderation:policies")
    return render(
        request,
        "moderation/policy_form.html",
        {"tab": "servers", "form": form, "policy": policy},
    )


@require_http_methods(["GET", "POST"])
def policy_delete(request, pk: int):
    require_admin(request.user)
    policy = _get_policy_or_404(pk)
    if request.method == "POST":
        services.domain_policy_delete(
            policy=policy,
            by=request.user,
            reason=request.POST.get("reason", "").strip()[:1000],
        )
        messages.success(
            request,
            f"Lifted the policy on {policy.domain}: what it sends is accepted "
            "again. Followers removed and replies hidden meanwhile stay so.",
        )
        return redirect("moderation:policies")
    return render(
        request,
        "moderation/policy_delete.html",
        {"tab": "servers", "policy": policy},
    )


@require_http_methods(["GET", "POST"])
def policy_import(request):
    require_admin(request.user)
    form = DomainImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > domain_csv.MAX_BYTES:
            form.add_error("file", "The file is larger than 5 MB.")
        else:
            try:
                data = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                form.add_error("file", "The file is not text (UTF-8).")
            else:
                try:
                    result = services.domain_policies_import(
                        data=data,
                        by=request.user,
                        source=upload.name[:200],
                        update_existing=form.cleaned_data["update_existing"],
                    )
                except ValidationError as exc:
                    form.add_error("file", exc)
    return render(
        request,
        "moderation/policy_import.html",
        {"tab": "servers", "form": form, "result": result},
    )


@require_GET
def policy_export(request):
    require_admin(request.user)
    response = HttpResponse(
        selectors.domain_policies_csv(), content_type="text/csv; charset=utf-8"
    )
    name = f"domain_blocks_{timezone.now():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
