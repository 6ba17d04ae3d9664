"""Forms for the web UI: they parse and check input, services decide.

Business rules (free handles, unique usernames, image checks, who may do
what) stay in accounts.services; a view maps the ValidationError a service
raises back onto the form with add_service_errors().
"""

import functools
import zoneinfo
from collections import defaultdict

from django import forms
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from .handles import HANDLE_MAX_LENGTH
from .models import (
    MAX_PROFILE_LINKS,
    Agency,
    AgencyRole,
    AgencyScope,
    ApiToken,
    ApiTokenScope,
    CreatorProfile,
    QuotePolicy,
    ReplyPolicy,
    User,
)

BIO_MAX_LENGTH = CreatorProfile._meta.get_field("bio").max_length


def add_service_errors(form, exc: ValidationError, *, field: str | None = None):
    """Show a service's ValidationError on `form`.

    Errors for fields the form has go next to them; the rest go to `field`
    (None: the top of the form).
    """
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else field, errors)
    else:
        form.add_error(field, exc.messages)


# Sign-up -------------------------------------------------------------------


class _SignUpForm(forms.Form):
    username = forms.CharField(
        max_length=150,
        validators=[User.username_validator],
        help_text="For logging in. Letters, digits and @ . + - _ only.",
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    email = forms.EmailField(
        help_text="Only used to reset your password.",
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    password1 = forms.CharField(
        label="Password",
        strip=False,
        help_text=password_validation.password_validators_help_text_html(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        cleaned = super().clean()
        password1 = cleaned.get("password1")
        password2 = cleaned.get("password2")
        if password1 and password2 and password1 != password2:
            self.add_error("password2", "The two passwords differ.")
        elif password1:
            probe = User(
                username=cleaned.get("username", ""), email=cleaned.get("email")
            )
            try:
                password_validation.validate_password(password1, probe)
            except ValidationError as exc:
                self.add_error("password1", exc)
        return cleaned

    def account_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "username": data["username"],
            "email": data["email"],
            "password": data["password1"],
        }


class CreatorSignUpForm(_SignUpForm):
    handle = forms.CharField(
        max_length=HANDLE_MAX_LENGTH + 1,  # room for a leading "@"
        help_text="Your fediverse username: letters, digits and underscores. "
        "It cannot be changed later.",
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "none",
                "spellcheck": "false",
            }
        ),
    )
    display_name = forms.CharField(
        max_length=100,
        required=False,
        help_text="The name people see next to your posts. You can change it.",
    )

    field_order = ["handle", "display_name", "username", "email"]

    def service_kwargs(self) -> dict:
        return {
            **self.account_kwargs(),
            "handle": self.cleaned_data["handle"],
            "display_name": self.cleaned_data["display_name"],
        }


class AgencySignUpForm(_SignUpForm):
    agency_name = forms.CharField(max_length=120, label="Agency name")

    field_order = ["agency_name", "username", "email"]

    def service_kwargs(self) -> dict:
        return {
            **self.account_kwargs(),
            "agency_name": self.cleaned_data["agency_name"],
        }


# Profile -------------------------------------------------------------------


@functools.cache
def time_zone_choices() -> list:
    """UTC first, then the zones grouped by region, cities A–Z."""
    groups = defaultdict(list)
    for name in zoneinfo.available_timezones():
        region, _, place = name.partition("/")
        # Skip aliases such as "EST5EDT", "Etc/GMT+3" and "US/Pacific":
        # people look for a city in a region.
        if not place or region in {"Etc", "SystemV", "US", "Brazil", "Canada",
                                   "Chile", "Mexico"}:  # fmt: skip
            continue
        groups[region].append((name, place.replace("_", " ").replace("/", " / ")))
    choices = [("UTC", "UTC (Coordinated Universal Time)")]
    for region in sorted(groups):
        choices.append((region, sorted(groups[region], key=lambda c: c[1])))
    return choices


def _model_help(name: str) -> str:
    return CreatorProfile._meta.get_field(name).help_text


class ProfileForm(forms.Form):
    display_name = forms.CharField(max_length=100, required=False)
    bio = forms.CharField(
        required=False,
        max_length=BIO_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4, "data-count-max": BIO_MAX_LENGTH}),
        help_text="Shown on your profile everywhere people follow you from.",
    )
    time_zone = forms.ChoiceField(
        help_text="Scheduled posts and your reports use this time zone."
    )
    share_to_fediverse = forms.BooleanField(
        required=False,
        label="Share to the fediverse",
        help_text=_model_help("share_to_fediverse"),
    )
    approve_followers_manually = forms.BooleanField(
        required=False,
        label="Approve followers manually",
        help_text=_model_help("approve_followers_manually"),
    )
    show_follower_lists = forms.BooleanField(
        required=False,
        label="Show who follows you",
        help_text=_model_help("show_follower_lists"),
    )
    default_quote_policy = forms.ChoiceField(
        label="Who can quote your posts",
        choices=QuotePolicy.choices,
        required=False,
        help_text=_model_help("default_quote_policy"),
    )
    default_reply_policy = forms.ChoiceField(
        label="Whose replies show",
        choices=ReplyPolicy.choices,
        required=False,
        help_text=_model_help("default_reply_policy"),
    )
    avatar = forms.FileField(
        required=False,
        label="Profile picture",
        help_text="JPEG, PNG, GIF or WebP. Cropped to a square.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    remove_avatar = forms.BooleanField(required=False, label="Remove picture")
    header = forms.FileField(
        required=False,
        label="Header image",
        help_text="JPEG, PNG, GIF or WebP. Shown wide, 3:1.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
    )
    remove_header = forms.BooleanField(required=False, label="Remove header")

    def __init__(self, *args, creator: CreatorProfile, **kwargs):
        kwargs.setdefault(
            "initial",
            {
                "display_name": creator.display_name,
                "bio": creator.bio,
                "time_zone": creator.time_zone,
                "share_to_fediverse": creator.share_to_fediverse,
                "approve_followers_manually": creator.approve_followers_manually,
                "show_follower_lists": creator.show_follower_lists,
                "default_quote_policy": creator.default_quote_policy,
                "default_reply_policy": creator.default_reply_policy,
            },
        )
        super().__init__(*args, **kwargs)
        choices = list(time_zone_choices())
        known = {"UTC"} | {z for _, g in choices[1:] for z, _ in g}
        if creator.time_zone not in known:  # an alias chosen elsewhere
            choices.insert(1, (creator.time_zone, creator.time_zone))
        self.fields["time_zone"].choices = choices

    def policy_fields(self) -> list:
        return [self["default_quote_policy"], self["default_reply_policy"]]

    def clean_default_quote_policy(self) -> str:
        # Left out of the form (an older page, a script): unchanged.
        value = self.cleaned_data["default_quote_policy"]
        return value or self.initial["default_quote_policy"]

    def clean_default_reply_policy(self) -> str:
        value = self.cleaned_data["default_reply_policy"]
        return value or self.initial["default_reply_policy"]

    def profile_fields(self) -> dict:
        data = self.cleaned_data
        return {
            name: data[name]
            for name in (
                "display_name",
                "bio",
                "time_zone",
                "share_to_fediverse",
                "approve_followers_manually",
                "show_follower_lists",
                "default_quote_policy",
                "default_reply_policy",
            )
        }


class ProfileLinkForm(forms.Form):
    label = forms.CharField(
        max_length=60,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Website"}),
    )
    url = forms.URLField(
        max_length=500,
        required=False,
        label="URL",
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://example.com"}),
    )

    def clean(self):
        cleaned = super().clean()
        label, url = cleaned.get("label"), cleaned.get("url")
        if label and not url and "url" not in self.errors:
            self.add_error("url", "Add the address this link points to.")
        if url and not label:
            self.add_error("label", "Give the link a label.")
        return cleaned


class BaseProfileLinkFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": f"You can add at most {MAX_PROFILE_LINKS} links.",
    }

    def links(self) -> list[tuple[str, str]]:
        pairs = []
        for form in self.forms:
            label = form.cleaned_data.get("label", "")
            url = form.cleaned_data.get("url", "")
            if label or url:
                pairs.append((label, url))
        return pairs


ProfileLinkFormSet = forms.formset_factory(
    ProfileLinkForm,
    formset=BaseProfileLinkFormSet,
    extra=0,
    max_num=MAX_PROFILE_LINKS,
    absolute_max=MAX_PROFILE_LINKS,
    validate_max=True,
)


def profile_link_formset(creator: CreatorProfile, data=None):
    """Four rows: the creator's links, then blanks to fill in."""
    initial = [{"label": link.label, "url": link.url} for link in creator.links.all()]
    initial += [{}] * (MAX_PROFILE_LINKS - len(initial))
    return ProfileLinkFormSet(data, initial=initial, prefix="links")


# Agencies ------------------------------------------------------------------


# What each scope lets the agency do, in the creator's words.
SCOPE_WORDS = {
    AgencyScope.READ_ANALYTICS: (
        "Read my analytics: followers, engagement, reports and exports."
    ),
    AgencyScope.DRAFT_POSTS: (
        "Draft posts for my approval: write and schedule posts that wait "
        "until I approve them."
    ),
    AgencyScope.PUBLISH_POSTS: (
        "Publish and schedule: post, schedule, edit and delete posts in my "
        "name without asking me."
    ),
    AgencyScope.ANSWER_REPLIES: "Answer replies to my posts in my name.",
    AgencyScope.MODERATE_REPLIES: (
        "Moderate replies: approve, hide or remove replies, and answer follow requests."
    ),
}


class ScopesField(forms.MultipleChoiceField):
    """The consent scopes as checkboxes, each saying what it lets them do."""

    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "What its owners and managers may do")
        kwargs.setdefault(
            "help_text",
            "Analysts only ever read. You can change this or take it back "
            "at any time; it applies at once.",
        )
        super().__init__(
            choices=list(SCOPE_WORDS.items()),
            required=False,
            initial=[AgencyScope.READ_ANALYTICS],
            **kwargs,
        )


class AgencyScopesForm(forms.Form):
    """Change what an agency already let in may do."""

    scopes = ScopesField(label="What it may do")


class GrantAccessForm(forms.Form):
    agency = forms.CharField(
        label="Agency's short name",
        max_length=60,
        help_text="The agency shows it on its page, e.g. “bright-talent”.",
        widget=forms.TextInput(attrs={"autocapitalize": "none", "spellcheck": "false"}),
    )
    scopes = ScopesField()

    def clean_agency(self) -> Agency:
        slug = self.cleaned_data["agency"].strip().lower()
        agency = Agency.objects.filter(slug=slug).first()
        if agency is None:
            raise ValidationError(
                "No agency uses that short name. Check the spelling with the agency."
            )
        return agency


class AgencyCreateForm(forms.Form):
    agency_name = forms.CharField(max_length=120, label="Agency name")


class MemberAddForm(forms.Form):
    username_or_email = forms.CharField(
        label="Username or email",
        max_length=254,
        help_text="They need a Creator Hub account already.",
        widget=forms.TextInput(attrs={"autocapitalize": "none"}),
    )
    role = forms.ChoiceField(choices=AgencyRole.choices, initial=AgencyRole.ANALYST)


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(choices=AgencyRole.choices)


# API tokens ------------------------------------------------------------------

API_TOKEN_SCOPE_HELP = {
    ApiTokenScope.READ: "Reads your profile, posts and reports. Anything that "
    "writes is refused.",
    ApiTokenScope.WRITE: "Also writes, publishes, schedules and deletes posts "
    "and edits your profile.",
}


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What will use it, so you know which to revoke later: "
        "“Newsletter script”.",
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=ApiTokenScope.choices,
        initial=ApiTokenScope.READ,
        widget=forms.RadioSelect,
    )

    @property
    def scope_options(self) -> list:
        """(radio, help) pairs for the template's labelled choice rows."""
        return [
            (radio, API_TOKEN_SCOPE_HELP[radio.data["value"]])
            for radio in self["scope"]
        ]
