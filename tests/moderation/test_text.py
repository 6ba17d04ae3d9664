"""Folding text for filters: what a spammer does to a word, undone."""

import pytest

from moderation.text import fold, read_reply, simple_fold, words_pattern


def contains_word(folded_text: str, folded_word: str) -> bool:
    return words_pattern([folded_word]).search(folded_text) is not None


@pytest.mark.parametrize(
    "written",
    [
        "CRYPTO",  # case
        "Crypto",
        "ｃｒｙｐｔｏ",  # fullwidth
        "𝐜𝐫𝐲𝐩𝐭𝐨",  # mathematical bold
        "сrурtо",  # Cyrillic с, у, р, о among Latin letters
        "ϲrурtο",  # Greek lunate sigma and omicron
        "c\u200brypto",  # a zero-width space inside
        "c\u00adry\u200dpto",  # soft hyphen, zero-width joiner
        "c̸r̸y̸p̸t̸o̸",  # combining overlays
        "crýptó",  # accents
        "ⅽrypto",  # Roman numeral one hundred
    ],
)
def test_look_alikes_fold_to_the_word(written):
    assert fold(written) == "crypto"
    assert contains_word(fold(f"Buy {written} now!"), fold("crypto"))


def test_digits_that_look_like_letters_fold_on_both_sides():
    """`1` and `l` look alike: a list entry and a reply meet either way."""
    assert fold("fr1ends") == fold("frlends")
    assert fold("g00d") == fold("good")


def test_a_word_is_not_found_inside_a_longer_one():
    assert not contains_word(fold("a first class trip"), fold("ass"))
    assert contains_word(fold("you ass."), fold("ass"))
    assert contains_word(fold("free money here"), fold("free money"))


def test_one_pattern_finds_each_word_of_a_long_list():
    pattern = words_pattern(fold(f"word{n}") for n in range(500))
    assert pattern.findall(fold("say WORD7 and word499, not word5000")) == [
        fold("word7"),
        fold("word499"),
    ]


def test_ordinary_words_in_other_scripts_still_match_themselves():
    """Look-alikes are per case; without them, any case matches."""
    assert contains_word(simple_fold("это спам, правда"), simple_fold("СПАМ"))
    assert contains_word(fold("это спам, правда"), fold("спам"))
    assert contains_word(simple_fold("Straße gesperrt"), simple_fold("STRASSE"))


def test_a_reply_of_only_a_link_and_a_mention_is_link_only():
    html = (
        '<p><span class="h-card"><a href="https://hub.test/@alice" '
        'class="u-url mention">@<span>alice</span></a></span> '
        '<a href="https://spam.example/deal" rel="nofollow"><span class="invisible">'
        'https://</span><span class="">spam.example/deal</span></a></p>'
    )
    read = read_reply(html)
    assert read.is_link_only
    assert read.links == ["https://spam.example/deal"]
    assert "spam.example/deal" in read.searchable


def test_a_bare_address_counts_as_a_link():
    assert read_reply("<p>https://spam.example/x !!</p>").is_link_only


@pytest.mark.parametrize(
    "html",
    [
        "<p>Look at this: https://example.com/picture</p>",
        '<p>Great post <a href="https://example.com">here</a></p>',
        "<p>No link at all</p>",
        '<p><a class="mention hashtag" href="https://hub.test/tags/art">#art</a></p>',
    ],
)
def test_words_of_ones_own_or_no_link_is_not_link_only(html):
    assert not read_reply(html).is_link_only


def test_malformed_html_is_still_read():
    read = read_reply("<p><a href='https://x.example'>unclosed <b>crypto")
    assert "crypto" in read.searchable
