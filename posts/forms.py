"""Forms of the posts dashboard: they parse and check input, services decide.

What a post may say (length, mentions, media limits) and who may change it
is posts.services' business; a view maps the ValidationError a service raises
onto these forms with accounts.forms.add_service_errors().
"""

import datetime
import zoneinfo

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation.trans_real import parse_accept_lang_header

from accounts.models import QuotePolicy, ReplyPolicy
from posts.models import Post, PostMedia

# Languages people most often write in on the fediverse, each named in
# itself so that its speakers find it. ISO 639-1, as Mastodon stores them.
LANGUAGE_CHOICES = [
    ("ar", "العربية (Arabic)"),
    ("ca", "Català (Catalan)"),
    ("cs", "Čeština (Czech)"),
    ("da", "Dansk (Danish)"),
    ("de", "Deutsch (German)"),
    ("el", "Ελληνικά (Greek)"),
    ("en", "English"),
    ("eo", "Esperanto"),
    ("es", "Español (Spanish)"),
    ("eu", "Euskara (Basque)"),
    ("fa", "فارسی (Persian)"),
    ("fi", "Suomi (Finnish)"),
    ("fr", "Français (French)"),
    ("ga", "Gaeilge (Irish)"),
    ("gl", "Galego (Galician)"),
    ("he", "עברית (Hebrew)"),
    ("hi", "हिन्दी (Hindi)"),
    ("hu", "Magyar (Hungarian)"),
    ("id", "Bahasa Indonesia (Indonesian)"),
    ("it", "Italiano (Italian)"),
    ("ja", "日本語 (Japanese)"),
    ("ko", "한국어 (Korean)"),
    ("nl", "Nederlands (Dutch)"),
    ("no", "Norsk (Norwegian)"),
    ("pl", "Polski (Polish)"),
    ("pt", "Português (Portuguese)"),
    ("ro", "Română (Romanian)"),
    ("ru", "Русский (Russian)"),
    ("sv", "Svenska (Swedish)"),
    ("th", "ไทย (Thai)"),
    ("tr", "Türkçe (Turkish)"),
    ("uk", "Українська (Ukrainian)"),
    ("vi", "Tiếng Việt (Vietnamese)"),
    ("zh", "中文 (Chinese)"),
]
LANGUAGE_CODES = {code for code, _ in LANGUAGE_CHOICES}

VISIBILITY_HELP = {
    Post.Visibility.PUBLIC: "Anyone can see it, and it shows in public timelines "
    "and hashtag pages.",
    Post.Visibility.UNLISTED: "Anyone with the link can see it, but it stays out "
    "of public timelines and hashtag pages.",
    Post.Visibility.FOLLOWERS: "Only your followers (and people you mention) "
    "can see it.",
}

IMAGE_TYPES = "image/jpeg,image/png,image/gif,image/webp"


def default_language(*, creator, accept_language: str = "") -> str:
    """The language a new post starts in.

    The one of the creator's latest post that had one, else the browser's
    first language this form offers, else English.
    """
    latest = (
        Post.objects.filter(creator=creator)
        .exclude(language="")
        .order_by("-created_at")
        .values_list("language", flat=True)
        .first()
    )
    if latest in LANGUAGE_CODES:
        return latest
    for tag, _quality in parse_accept_lang_header(accept_language or ""):
        code = tag.split("-")[0].lower()
        if code in LANGUAGE_CODES:
            return code
    return "en"


class PostForm(forms.Form):
    """The text and settings of a post, and when it should go out.

    `action` says which button was pressed: "draft", "publish", "schedule",
    "approval" (send it to the creator for approval, with the time it should
    go out if one is given) or (for a published post) "save".
    """

    ACTIONS = ("draft", "publish", "schedule", "approval", "save")

    body = forms.CharField(
        label="Post",
        required=False,
        strip=False,
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "placeholder": "What would you like to share?",
                "spellcheck": "true",
            }
        ),
        help_text="**bold**, *italic*, links, @user@server.example and #hashtags "
        "work. A link counts as 23 characters, like on Mastodon.",
    )
    has_warning = forms.BooleanField(
        required=False,
        label="Content warning",
        help_text="Readers see only the warning until they choose to open the post.",
    )
    summary = forms.CharField(
        label="Warning text",
        required=False,
        max_length=Post._meta.get_field("summary").max_length,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. Spoilers for the finale", "autocomplete": "off"}
        ),
        help_text="Counts towards the character limit.",
    )
    sensitive = forms.BooleanField(
        required=False,
        label="Sensitive images",
        help_text="Blur the images until the reader taps them.",
    )
    language = forms.ChoiceField(
        choices=LANGUAGE_CHOICES,
        help_text="Helps readers filter and translate.",
    )
    visibility = forms.ChoiceField(
        label="Who can see it",
        choices=Post.Visibility.choices,
        initial=Post.Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    quote_policy = forms.ChoiceField(
        label="Who can quote it",
        choices=QuotePolicy.choices,
        initial=QuotePolicy.ANYONE,
        required=False,
        help_text="People on Mastodon and other servers ask before they quote; "
        "the answer follows this. A followers-only post is never quoted.",
    )
    reply_policy = forms.ChoiceField(
        label="Whose replies show",
        choices=ReplyPolicy.choices,
        initial=ReplyPolicy.ANYONE,
        required=False,
        help_text="Replies from anyone else are held for you in Moderation, and "
        "not counted until you approve them.",
    )
    quote_of = forms.URLField(
        label="Quote a post",
        required=False,
        max_length=Post._meta.get_field("quote_of").max_length,
        assume_scheme="https",
        widget=forms.URLInput(
            attrs={
                "placeholder": "https://mastodon.example/@someone/123",
                "autocomplete": "off",
            }
        ),
        help_text="Paste the address of a post on another server. Its author is "
        "asked when your post goes out; until they answer it shows as pending, "
        "and if they refuse it goes out as a plain link.",
    )
    schedule_date = forms.DateField(
        label="Date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    schedule_time = forms.TimeField(
        label="Time",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    )
    action = forms.ChoiceField(
        choices=[(a, a) for a in ACTIONS],
        required=False,
        widget=forms.HiddenInput,
    )

    def __init__(
        self,
        *args,
        time_zone: str,
        post: Post | None = None,
        language: str = "en",
        creator=None,
        **kwargs,
    ):
        """`language`: the one to start in when the post has none yet."""
        self.time_zone = time_zone
        self.post = post
        if post is None:
            initial = {"language": language, "visibility": Post.Visibility.PUBLIC}
            if creator is not None:
                initial["quote_policy"] = creator.default_quote_policy
                initial["reply_policy"] = creator.default_reply_policy
        else:
            initial = self.initial_for(post, time_zone)
            initial["language"] = initial["language"] or language
        kwargs["initial"] = {**initial, **(kwargs.get("initial") or {})}
        super().__init__(*args, **kwargs)
        if post is not None and post.state == Post.State.PUBLISHED:
            # Servers that already have the post do not accept a new audience
            # (Mastodon cannot change it either).
            visibility = self.fields["visibility"]
            visibility.disabled = True
            visibility.help_text = "Who can see a post is fixed once it is out."
            # Its author was asked about this very post.
            quote_of = self.fields["quote_of"]
            quote_of.disabled = True
            quote_of.help_text = "What a post quotes is fixed once it is out."
        if post is not None and post.language and post.language not in LANGUAGE_CODES:
            self.fields["language"].choices = [
                *LANGUAGE_CHOICES,
                (post.language, post.language),
            ]

    @staticmethod
    def initial_for(post: Post, time_zone: str) -> dict:
        initial = {
            "body": post.body,
            "has_warning": bool(post.summary),
            "summary": post.summary,
            "sensitive": post.sensitive,
            "language": post.language,
            "visibility": post.visibility,
            "quote_policy": post.quote_policy,
            "reply_policy": post.reply_policy,
            "quote_of": post.quote_url or post.quote_of,
        }
        if post.scheduled_at and post.state == Post.State.SCHEDULED:
            local = post.scheduled_at.astimezone(zoneinfo.ZoneInfo(time_zone))
            initial["schedule_date"] = local.date()
            initial["schedule_time"] = local.time().replace(second=0, microsecond=0)
        return initial

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action") or "draft"
        cleaned["action"] = action
        if cleaned.get("has_warning"):
            if not cleaned.get("summary", "").strip():
                self.add_error("summary", "Say what the warning is about.")
        else:
            cleaned["summary"] = ""
        if action == "schedule":
            date, time = cleaned.get("schedule_date"), cleaned.get("schedule_time")
            if date is None and "schedule_date" not in self.errors:
                self.add_error("schedule_date", "Pick the day it should go out.")
            if time is None and "schedule_time" not in self.errors:
                self.add_error("schedule_time", "Pick the time it should go out.")
            if date and time:
                cleaned["publish_at"] = local_datetime(
                    date, time, self.time_zone, form=self
                )
        elif action == "approval":
            # A time is optional: none means "as soon as it is approved".
            date, time = cleaned.get("schedule_date"), cleaned.get("schedule_time")
            if bool(date) != bool(time):
                field = "schedule_time" if date else "schedule_date"
                self.add_error(field, "Give both the day and the time, or neither.")
            elif date and time:
                cleaned["publish_at"] = local_datetime(
                    date, time, self.time_zone, form=self
                )
        return cleaned

    def visibility_options(self) -> list[tuple]:
        """Each radio button of `visibility` with its one-line explanation."""
        return [
            (radio, VISIBILITY_HELP.get(radio.data["value"], ""))
            for radio in self["visibility"]
        ]

    def policy_fields(self) -> list:
        """Who may quote the post and whose replies show, for the template."""
        return [self["quote_policy"], self["reply_policy"]]

    def post_fields(self) -> dict:
        """Keyword arguments for posts.services.PostInput."""
        data = self.cleaned_data
        return {
            "body": data["body"],
            "summary": data["summary"].strip(),
            "sensitive": data["sensitive"],
            "language": data["language"],
            "visibility": data["visibility"],
            "quote_policy": data["quote_policy"],
            "reply_policy": data["reply_policy"],
            "quote_of": data["quote_of"],
        }


def local_datetime(date, time, time_zone: str, *, form=None):
    """`date` at `time` on the wall clocks of `time_zone`, as an aware datetime.

    A time the clocks skip when they go forward does not exist; saying so
    beats silently publishing an hour off.
    """
    zone = zoneinfo.ZoneInfo(time_zone)
    naive = datetime.datetime.combine(date, time.replace(second=0, microsecond=0))
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(datetime.UTC).astimezone(zone)
    if round_trip.replace(tzinfo=None) != naive:
        message = (
            f"{time:%H:%M} does not exist on that day in {time_zone}: the "
            "clocks go forward. Pick a later time."
        )
        if form is None:
            raise ValidationError({"schedule_time": message})
        form.add_error("schedule_time", message)
        return None
    return aware


class ScheduleForm(forms.Form):
    """Reschedule from the queue: a day and a time in the creator's zone."""

    schedule_date = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"})
    )
    schedule_time = forms.TimeField(
        label="Time", widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args, time_zone: str, **kwargs):
        self.time_zone = time_zone
        super().__init__(*args, **kwargs)

    def clean(self):
        cleaned = super().clean()
        date, time = cleaned.get("schedule_date"), cleaned.get("schedule_time")
        if date and time:
            cleaned["publish_at"] = local_datetime(
                date, time, self.time_zone, form=self
            )
        return cleaned


class MediaForm(forms.Form):
    """One image slot: an attached image (`media_id`) or a new upload."""

    media_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    file = forms.FileField(
        label="Image",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": IMAGE_TYPES}),
    )
    alt_text = forms.CharField(
        label="Description (alt text)",
        required=False,
        max_length=PostMedia._meta.get_field("alt_text").max_length,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": "Describe the image for people who cannot see it",
            }
        ),
    )
    focal_x = forms.FloatField(
        label="Focal point, across",
        required=False,
        min_value=-1,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    focal_y = forms.FloatField(
        label="Focal point, up and down",
        required=False,
        min_value=-1,
        max_value=1,
        widget=forms.NumberInput(attrs={"step": "0.01"}),
    )
    remove = forms.BooleanField(label="Remove this image", required=False)

    def clean(self):
        cleaned = super().clean()
        x, y = cleaned.get("focal_x"), cleaned.get("focal_y")
        if (x is None) != (y is None) and not self.errors:
            self.add_error("focal_x", "Give both coordinates, or neither.")
        cleaned["focal_point"] = (x, y) if x is not None and y is not None else None
        return cleaned

    @property
    def is_new_upload(self) -> bool:
        return not self.cleaned_data.get("media_id") and bool(
            self.cleaned_data.get("file")
        )


class BaseMediaFormSet(forms.BaseFormSet):
    default_error_messages = {
        "too_many_forms": f"A post has at most {PostMedia.MAX_PER_POST} images.",
    }

    def __init__(self, *args, media=(), **kwargs):
        self.media_by_id = {m.pk: m for m in media}
        super().__init__(*args, **kwargs)

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        media_id = form.initial.get("media_id")
        if form.is_bound:
            raw = form.data.get(form.add_prefix("media_id"))
            media_id = int(raw) if raw and str(raw).isdigit() else None
        # Only ever the post's own media: an id from elsewhere is ignored.
        form.media_obj = self.media_by_id.get(media_id)
        return form

    def clean(self):
        for form in self.forms:
            media_id = form.cleaned_data.get("media_id") if form.cleaned_data else None
            if media_id and media_id not in self.media_by_id:
                form.add_error(None, "That image is no longer part of the post.")

    def images_kept(self) -> int:
        """How many images the post has once saved: the attached ones not
        removed and the new uploads (call after is_valid)."""
        return sum(
            1
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data["remove"]
            and (form.media_obj is not None or form.is_new_upload)
        )


MediaFormSet = forms.formset_factory(
    MediaForm,
    formset=BaseMediaFormSet,
    extra=0,
    max_num=PostMedia.MAX_PER_POST,
    absolute_max=PostMedia.MAX_PER_POST,
    validate_max=True,
)


def media_formset(post: Post | None, data=None, files=None):
    """Four slots: the post's images, then empty ones to upload into."""
    media = list(post.media.all()) if post is not None else []
    initial = [
        {
            "media_id": m.pk,
            "alt_text": m.alt_text,
            "focal_x": m.focal_x,
            "focal_y": m.focal_y,
        }
        for m in media
    ]
    initial += [{}] * (PostMedia.MAX_PER_POST - len(initial))
    return MediaFormSet(data, files, initial=initial, prefix="media", media=media)
