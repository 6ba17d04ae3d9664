"""Forms of the analytics pages: the answer a creator writes to a remote
reply, and the period a report covers.

What an answer may say (length, mentions) is posts.services' business; the
answer form only parses the input and picks who to address by default.
"""

from django import forms
from django.conf import settings

from analytics.models import Reply
from analytics.reports import PERIOD_CHOICES, Period
from posts.models import Post

# The posts app counts characters the way Mastodon does; the widget only
# shows a live count, the service decides.
ANSWER_MAX_CHARACTERS = 500

# An answer is no more public than the reply it answers.
_VISIBILITY_FOR_REPLY = {
    "public": Post.Visibility.PUBLIC,
    "unlisted": Post.Visibility.UNLISTED,
}


def bare_handle(handle: str) -> str:
    """ "@bob@mastodon.social" → "bob@mastodon.social" ("" if not user@domain)."""
    bare = (handle or "").strip().lstrip("@")
    return bare if bare.count("@") == 1 and all(bare.split("@")) else ""


def addressees(reply: Reply, *, creator) -> list[str]:
    """Who an answer to `reply` addresses: its author first, then the others
    it mentions (as Mastodon does), never the creator themself."""
    own = f"{creator.handle}@{settings.CREATORHUB_DOMAIN}".lower()
    handles = [bare_handle(reply.actor_handle)]
    for mention in reply.mentions or []:
        name = mention.get("name", "") if isinstance(mention, dict) else ""
        handles.append(bare_handle(name))
    seen, result = {own, ""}, []
    for handle in handles:
        if handle.lower() not in seen:
            seen.add(handle.lower())
            result.append(handle)
    return result


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Your answer",
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 3, "data-count-max": ANSWER_MAX_CHARACTERS}
        ),
    )
    visibility = forms.ChoiceField(
        label="Who can see it",
        choices=Post.Visibility.choices,
        initial=Post.Visibility.PUBLIC,
    )

    def __init__(self, *args, reply: Reply, creator, **kwargs):
        handles = addressees(reply, creator=creator)
        kwargs.setdefault(
            "initial",
            {
                "body": "".join(f"@{h} " for h in handles),
                "visibility": _VISIBILITY_FOR_REPLY.get(
                    reply.visibility, Post.Visibility.FOLLOWERS
                ),
            },
        )
        super().__init__(*args, **kwargs)
        prefix = f"answer-{reply.pk}"
        self.fields["body"].widget.attrs["id"] = f"{prefix}-body"
        self.fields["visibility"].widget.attrs["id"] = f"{prefix}-visibility"

    def clean_body(self) -> str:
        body = self.cleaned_data["body"].strip()
        if not body:
            raise forms.ValidationError("Write something to answer with.")
        return body


# Report periods -------------------------------------------------------------

MAX_PERIOD_DAYS = 366
DEFAULT_PERIOD_DAYS = 30


class PeriodForm(forms.Form):
    """The period a report covers: the last 7, 30 or 90 days, or two dates.

    Read from the query string, so a report's URL can be bookmarked and
    shared; anything unreadable falls back to the last 30 days with the
    reason shown.
    """

    days = forms.TypedChoiceField(
        choices=[(str(n), f"{n} days") for n in PERIOD_CHOICES],
        coerce=int,
        required=False,
    )
    start = forms.DateField(required=False, label="From")
    end = forms.DateField(required=False, label="To")

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if bool(start) != bool(end):
            raise forms.ValidationError("Choose both a first and a last day.")
        if start and end:
            if start > end:
                raise forms.ValidationError("The last day comes before the first.")
            if (end - start).days + 1 > MAX_PERIOD_DAYS:
                raise forms.ValidationError(
                    f"A period covers at most {MAX_PERIOD_DAYS} days."
                )
        return data

    def period(self, *, tz, today=None) -> Period:
        """The chosen period in `tz` (the last 30 days if none or invalid)."""
        if self.is_valid():
            data = self.cleaned_data
            if data.get("start"):
                return Period(first=data["start"], last=data["end"], tz=tz)
            if data.get("days"):
                return Period.ending(days=data["days"], tz=tz, today=today)
        return Period.ending(days=DEFAULT_PERIOD_DAYS, tz=tz, today=today)

    @property
    def is_custom(self) -> bool:
        return self.is_valid() and bool(self.cleaned_data.get("start"))


class CampaignForm(forms.Form):
    """A campaign's name, days and posts; which agency runs it when the
    user may run campaigns through one."""

    name = forms.CharField(max_length=200)
    starts_on = forms.DateField(
        label="First day", widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label="Last day", widget=forms.DateInput(attrs={"type": "date"})
    )
    posts = forms.ModelMultipleChoiceField(
        queryset=Post.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The posts the campaign's report counts.",
    )
    agency = forms.ChoiceField(required=False, label="Run by")

    def __init__(self, *args, creator, agencies=(), own=True, **kwargs):
        super().__init__(*args, **kwargs)
        # The latest 200 posts are offered (a subquery: the field filters
        # its queryset, which a slice would forbid).
        latest = (
            Post.objects.filter(creator=creator, in_reply_to_uri="")
            .exclude(state__in=[Post.State.DRAFT, Post.State.DELETED])
            .order_by("-published_at", "-pk")
            .values("pk")[:200]
        )
        self.fields["posts"].queryset = Post.objects.filter(pk__in=latest).order_by(
            "-published_at", "-pk"
        )
        self.fields["posts"].label_from_instance = _post_choice_label
        choices = [("", "The creator")] if own else []
        choices += [(agency.slug, agency.name) for agency in agencies]
        self.fields["agency"].choices = choices
        if len(choices) <= 1:
            self.fields["agency"].widget = forms.HiddenInput()
            if choices:
                self.fields["agency"].initial = choices[0][0]

    def clean(self):
        data = super().clean()
        first, last = data.get("starts_on"), data.get("ends_on")
        if first and last and last < first:
            self.add_error("ends_on", "The last day is on or after the first.")
        return data


def _post_choice_label(post: Post) -> str:
    when = post.published_at.strftime("%-d %b %Y") if post.published_at else ""
    text = " ".join(post.body.split())
    return f"{when} · {text[:80]}{'…' if len(text) > 80 else ''}"


class SponsorLinkForm(forms.Form):
    label = forms.CharField(
        max_length=200, required=False, help_text="Who it is for (only you see this)."
    )
    days = forms.IntegerField(min_value=1, max_value=365, initial=30)
