"""The answer a creator writes to a remote reply.

What an answer may say (length, mentions) is posts.services' business; this
form only parses the input and picks who to address by default.
"""

from django import forms
from django.conf import settings

from analytics.models import Reply
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
