"""posts.rendering: Markdown-light to safe HTML, mentions, hashtags, counts."""

from html.parser import HTMLParser

import pytest

from posts.rendering import (
    POST_MAX_CHARACTERS,
    count_characters,
    normalise_handle,
    render_post_body,
)


def html(body: str) -> str:
    return render_post_body(body).html


def parsed(markup: str) -> list[tuple[str, dict]]:
    """The elements of `markup` with their attributes, as a browser sees them."""
    elements = []

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            elements.append((tag, dict(attrs)))

    Collector().feed(markup)
    return elements


# Formatting ----------------------------------------------------------------


def test_paragraphs_line_breaks_emphasis_strong_and_code():
    assert html("Hello *you*\nand **all**\n\n`x < y`") == (
        "<p>Hello <em>you</em><br>\nand <strong>all</strong></p>\n"
        "<p><code>x &lt; y</code></p>"
    )


def test_other_markdown_stays_plain_text():
    """Headings, quotes, lists and images: Mastodon would drop them anyway."""
    rendered = html("# Title\n> quoted\n- item\n![alt](https://example.com/a.png)")
    assert "<h1>" not in rendered
    assert "<blockquote>" not in rendered
    assert "<li>" not in rendered
    assert "<img" not in rendered
    assert "# Title" in rendered
    assert "&gt; quoted" in rendered


def test_an_empty_body_renders_to_nothing():
    assert render_post_body("") == render_post_body("   ")
    assert html("") == ""


# Links ---------------------------------------------------------------------


def test_plain_urls_become_links_that_open_safely():
    assert html("see https://example.com/a?b=1&c=2 now") == (
        '<p>see <a href="https://example.com/a?b=1&amp;c=2" '
        'rel="nofollow noopener noreferrer" target="_blank">'
        "https://example.com/a?b=1&amp;c=2</a> now</p>"
    )


def test_markdown_links_and_autolinks():
    rendered = html("[my shop](https://shop.example) <https://auto.example>")
    assert (
        '<a href="https://shop.example" rel="nofollow noopener noreferrer" '
        'target="_blank">my shop</a>'
    ) in rendered
    assert '<a href="https://auto.example"' in rendered


def test_bare_domains_and_email_addresses_stay_text():
    rendered = html("example.com and www.example.com and me@example.com")
    assert "<a" not in rendered


@pytest.mark.parametrize(
    "body",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
        '<a href="javascript:alert(1)">x</a>',
        '[x](https://ok.example "title" onmouseover=alert(1))',
        '<iframe src="https://evil.example"></iframe>',
        "<mailto:someone@example.com>",
        "[x](vbscript:msgbox)",
        '<svg onload="alert(1)">',
    ],
)
def test_markup_and_script_links_never_come_out(body):
    elements = parsed(html(body))
    for tag, attrs in elements:
        assert tag in {"p", "br", "a", "em", "strong", "code", "span"}, tag
        assert set(attrs) <= {"href", "rel", "target", "class"}, attrs
        href = attrs.get("href")
        assert href is None or href.startswith(("http://", "https://")), href


def test_raw_html_is_shown_escaped_not_interpreted():
    assert html("<b>bold</b>") == "<p>&lt;b&gt;bold&lt;/b&gt;</p>"


# Mentions ------------------------------------------------------------------


def test_a_mention_is_a_mastodon_h_card_link():
    rendered = render_post_body("Hi @Bob@Mastodon.Social!")
    assert rendered.html == (
        '<p>Hi <span class="h-card"><a href="https://mastodon.social/@bob" '
        'class="u-url mention">@<span>Bob</span></a></span>!</p>'
    )
    assert rendered.mentions == ["bob@mastodon.social"]


def test_mentions_are_listed_once_in_order():
    rendered = render_post_body("@b@two.example @a@one.example @B@TWO.example")
    assert rendered.mentions == ["b@two.example", "a@one.example"]


def test_resolved_profile_urls_are_used_when_known():
    rendered = render_post_body(
        "@bob@pleroma.example",
        profile_urls={"bob@pleroma.example": "https://pleroma.example/users/bob"},
    )
    assert 'href="https://pleroma.example/users/bob"' in rendered.html


def test_a_mention_with_a_port_works_for_loopback_peers():
    assert render_post_body("@eve@127.0.0.1:8123").mentions == ["eve@127.0.0.1:8123"]


def test_no_mention_inside_links_code_or_email_like_text():
    rendered = render_post_body(
        "`@a@b.example` https://x.example/@c@d.example me@e@f.example "
        "[@g@h.example](https://x.example)"
    )
    assert rendered.mentions == []
    assert "h-card" not in rendered.html


def test_a_local_style_mention_without_domain_stays_text():
    assert render_post_body("thanks @bob").mentions == []


# Hashtags ------------------------------------------------------------------


def test_a_hashtag_links_to_the_tag_page_here():
    rendered = render_post_body("Loving #Painting today")
    assert rendered.html == (
        '<p>Loving <a href="https://hub.test/tags/painting" '
        'class="mention hashtag" rel="tag">#<span>Painting</span></a> today</p>'
    )
    assert rendered.hashtags == ["painting"]


def test_hashtags_need_a_letter_and_are_unique_lower_case():
    rendered = render_post_body("#2024 #Art #art #café_au_lait #_")
    assert rendered.hashtags == ["art", "café_au_lait"]
    assert 'href="https://hub.test/tags/caf%C3%A9_au_lait"' in rendered.html


def test_no_hashtag_in_urls_code_or_entities():
    rendered = render_post_body(
        "https://x.example/page#section `#code` &#x27; [#t](https://y.example)"
    )
    assert rendered.hashtags == []


def test_an_overlong_hashtag_stays_text():
    rendered = render_post_body("#" + "a" * 101)
    assert rendered.hashtags == []


def test_mentions_and_hashtags_inside_emphasis_still_count():
    rendered = render_post_body("*hi @bob@x.example* **#Tag**")
    assert rendered.mentions == ["bob@x.example"]
    assert rendered.hashtags == ["tag"]


# Counting ------------------------------------------------------------------


def test_a_url_counts_23_characters_whatever_its_length():
    long_url = "https://example.com/" + "a" * 300
    assert count_characters(long_url) == 23
    assert count_characters(f"look {long_url} !") == len("look ") + 23 + 2


def test_a_mention_counts_only_its_user_part():
    assert count_characters("@bob@a-very-long-server-name.example hi") == len("@bob hi")


def test_emoji_sequences_and_accents_count_as_one():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467"
    flag = "\U0001f1eb\U0001f1f7"
    thumbs = "\U0001f44d\U0001f3fd"
    e_acute = "e\u0301"
    assert count_characters(family + flag + thumbs + e_acute) == 4


def test_the_limit_is_500_like_mastodon():
    assert POST_MAX_CHARACTERS == 500


# Handles -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("@Bob@Example.COM", "bob@example.com"),
        ("bob@example.com", "bob@example.com"),
        (" bob@example.com ", "bob@example.com"),
        ("bob", None),
        ("bob@", None),
        ("@bob@exa mple.com", None),
        ("<b>@x.example", None),
    ],
)
def test_normalise_handle(given, expected):
    assert normalise_handle(given) == expected
