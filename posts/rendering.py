"""What a creator types turned into the HTML remote servers show.

Markdown-light: paragraphs, line breaks, *emphasis*, **strong**, `code` and
links (plain URLs become links too). Nothing else: no raw HTML, images,
headings or lists, so a post looks the same on Mastodon, which keeps only
a few tags. `@user@domain` becomes a Mastodon-style h-card mention and
`#tag` a link to the tag page here. The result goes through nh3 with a
short allow-list all the same, so a rendering bug cannot let markup out.

Characters are counted the way Mastodon counts them (StatusLengthValidator):
any http(s) URL counts 23, a mention counts only its `@user` part.
"""

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from html import unescape

import nh3
from django.conf import settings
from django.utils.encoding import iri_to_uri
from django.utils.html import escape
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token

POST_MAX_CHARACTERS = 500
# Mastodon counts every URL as this many characters, whatever its length.
URL_CHARACTERS = 23
HASHTAG_MAX_LENGTH = 100  # Hashtag.name

# Mastodon's Account::MENTION_RE, limited to full user@domain handles (the
# domain may carry a port: loopback peers in development and tests do).
MENTION_RE = re.compile(
    r"(?<![=/\w])@(?P<user>[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)"
    r"@(?P<domain>[\w.-]+\w(?::\d{1,5})?)",
    re.IGNORECASE,
)
# Mastodon's Tag::HASHTAG_RE in short: word characters with at least one
# letter. Not after `&` (an entity such as &#x27;) or inside a URL path.
HASHTAG_RE = re.compile(r"(?<![=/)\w&])#(?P<name>\w*[^\W\d_]\w*)")
# A whole handle as given outside a body: user@domain, with or without @.
HANDLE_RE = re.compile(
    r"@?(?P<user>[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)"
    r"@(?P<domain>[\w.-]+\w(?::\d{1,5})?)",
    re.IGNORECASE,
)

LINK_REL = "nofollow noopener noreferrer"
ALLOWED_TAGS = {"p", "br", "em", "strong", "code", "a", "span"}
ALLOWED_ATTRIBUTES = {"a": {"href", "rel", "target"}}
ALLOWED_CLASSES = {"a": {"u-url", "mention", "hashtag"}, "span": {"h-card"}}


@dataclass(frozen=True)
class RenderedBody:
    html: str
    # Handles "user@domain" in lower case, in order of first appearance.
    mentions: list[str] = field(default_factory=list)
    # Tag names in lower case, without '#', in order of first appearance.
    hashtags: list[str] = field(default_factory=list)


def render_post_body(
    body: str, *, profile_urls: Mapping[str, str] | None = None
) -> RenderedBody:
    """Safe HTML for `body`, with the mentions and hashtags it contains.

    `profile_urls` maps handles to profile pages once federation has
    resolved them; until then a mention links to https://domain/@user,
    where Mastodon, Misskey and most others serve the profile.
    """
    env = {"mentions": [], "hashtags": [], "profile_urls": profile_urls or {}}
    html = _markdown().render(body, env).strip()
    html = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        link_rel=None,  # rel is set per link: "tag" on hashtags
        url_schemes={"http", "https"},
        url_relative="deny",
    )
    return RenderedBody(
        html=html,
        mentions=list(dict.fromkeys(env["mentions"])),
        hashtags=list(dict.fromkeys(env["hashtags"])),
    )


_HASHTAG_LINK = re.compile(r'class="mention hashtag" rel="tag">#<span>([^<]+)</span>')


def hashtag_spellings(html: str) -> dict[str, str]:
    """Each hashtag of rendered `html` as its author first wrote it, by its
    lower-case name: {"tag1": "Tag1"}. Tags are stored and looked up in
    lower case; Mastodon keeps the author's spelling in a Note's tag name."""
    spellings: dict[str, str] = {}
    for match in _HASHTAG_LINK.finditer(html):
        written = unescape(match[1])
        spellings.setdefault(written.lower(), written)
    return spellings


def count_characters(text: str) -> int:
    """Length of `text` as Mastodon counts it against its limit."""
    urls = [(m.index, m.last_index) for m in _markdown().linkify.match(text) or []]
    counted = []
    position = 0
    for start, end in urls:
        counted.append(_shorten_mentions(text[position:start]))
        counted.append("x" * URL_CHARACTERS)
        position = end
    counted.append(_shorten_mentions(text[position:]))
    return _grapheme_count("".join(counted))


def normalise_handle(handle: str) -> str | None:
    """`user@domain` in lower case for '@User@Domain' or 'user@domain'."""
    match = HANDLE_RE.fullmatch(handle.strip())
    if match is None:
        return None
    return f"{match['user']}@{match['domain']}".lower()


def mention_profile_url(handle: str) -> str:
    """Where a not yet resolved mention links to: the usual profile path."""
    user, domain = handle.split("@", 1)
    return f"{settings.FEDERATION_WEBFINGER_SCHEME}://{domain}/@{user}"


def tag_url(name: str) -> str:
    """The tag page on this server; absolute, as remote servers show it."""
    domain = settings.CREATORHUB_DOMAIN
    return iri_to_uri(f"{settings.CREATORHUB_SCHEME}://{domain}/tags/{name.lower()}")


# Markdown ------------------------------------------------------------------


@cache
def _markdown() -> MarkdownIt:
    md = MarkdownIt("zero", {"linkify": True, "breaks": True}).enable(
        ["linkify", "emphasis", "backticks", "link", "autolink", "newline", "escape"]
    )
    # Only URLs with a scheme become links, as on Mastodon (and only those
    # count 23): "example.com" or an e-mail address stays text.
    md.linkify.set({"fuzzy_link": False, "fuzzy_email": False})
    md.validateLink = _is_web_link
    md.core.ruler.push("fediverse", _fediverse_rule)
    return md


def _is_web_link(url: str) -> bool:
    return url.lower().startswith(("http://", "https://"))


def _fediverse_rule(state: StateCore) -> None:
    """Mark up mentions and hashtags in text outside links; tag links."""
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        link_depth = 0
        for token in block.children:
            if token.type == "link_open":
                link_depth += 1
                token.attrs["rel"] = LINK_REL
                token.attrs["target"] = "_blank"
            elif token.type == "link_close":
                link_depth -= 1
            if token.type == "text" and link_depth == 0:
                children.extend(_split_text(token, state.env))
            else:
                children.append(token)
        block.children = children


def _split_text(token: Token, env: dict) -> list[Token]:
    """The text token with each mention and hashtag as an HTML token."""
    text = token.content
    found = []
    for match in MENTION_RE.finditer(text):
        found.append((match.start(), match.end(), _mention_html(match, env)))
    for match in HASHTAG_RE.finditer(text):
        if any(start <= match.start() < end for start, end, _ in found):
            continue  # the '#' is inside a mention (not possible today)
        if len(match["name"]) <= HASHTAG_MAX_LENGTH:
            found.append((match.start(), match.end(), _hashtag_html(match, env)))
    if not found:
        return [token]
    pieces = []
    position = 0
    for start, end, html in sorted(found):
        if start > position:
            pieces.append(_token("text", text[position:start], token.level))
        pieces.append(_token("html_inline", html, token.level))
        position = end
    if position < len(text):
        pieces.append(_token("text", text[position:], token.level))
    return pieces


def _mention_html(match: re.Match, env: dict) -> str:
    handle = f"{match['user']}@{match['domain']}".lower()
    env["mentions"].append(handle)
    url = env["profile_urls"].get(handle) or mention_profile_url(handle)
    return (
        f'<span class="h-card"><a href="{escape(url)}" class="u-url mention">'
        f"@<span>{escape(match['user'])}</span></a></span>"
    )


def _hashtag_html(match: re.Match, env: dict) -> str:
    name = match["name"]
    env["hashtags"].append(name.lower())
    return (
        f'<a href="{escape(tag_url(name))}" class="mention hashtag" rel="tag">'
        f"#<span>{escape(name)}</span></a>"
    )


def _token(kind: str, content: str, level: int) -> Token:
    return Token(kind, "", 0, content=content, level=level)


# Counting ------------------------------------------------------------------


def _shorten_mentions(text: str) -> str:
    return MENTION_RE.sub(lambda m: "@" + m["user"], text)


# Code points that join the previous character into one visible symbol.
_ZERO_WIDTH_JOINER = "\u200d"
_SKIN_TONES = range(0x1F3FB, 0x1F400)
_REGIONAL_INDICATORS = range(0x1F1E6, 0x1F200)


def _grapheme_count(text: str) -> int:
    """Approximately user-perceived characters, as Ruby's grapheme clusters.

    Combining marks, variation selectors, skin tones and ZWJ sequences do
    not count on their own; a flag (two regional indicators) counts once.
    """
    count = 0
    joined = False
    flag_half = False
    for char in text:
        code = ord(char)
        if joined:
            joined = False
            continue
        if char == _ZERO_WIDTH_JOINER:
            joined = True
            continue
        if (
            unicodedata.combining(char)
            or 0xFE00 <= code <= 0xFE0F
            or code in _SKIN_TONES
            or unicodedata.category(char) == "Me"
        ):
            continue
        if code in _REGIONAL_INDICATORS:
            flag_half = not flag_half
            if not flag_half:
                continue
        else:
            flag_half = False
        count += 1
    return count
