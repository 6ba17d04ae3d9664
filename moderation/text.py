"""Reading a reply's text the way a keyword filter must: as it looks.

Spammers dodge word lists with case (`SPAM`), compatibility forms
(`ｓｐａｍ`, `𝐬𝐩𝐚𝐦`), look-alike letters from other scripts (Cyrillic `ѕрам`),
accents and combining marks (`s̸p̸a̸m̸`) and invisible characters
(`sp\u200bam`). `fold` maps all of these to one form, and the same function
is applied to the filter list, so both sides compare alike:

1. Unicode NFKD: compatibility forms become their plain letters, and
   accented letters come apart into letter and mark.
2. Format characters (zero-width spaces and joiners, bidi controls, soft
   hyphens) and combining marks are removed.
3. Case goes (casefold: `ß` → `ss`, as Unicode says), and each character
   is replaced by the ASCII letter it is confusable with, from Unicode's
   confusables list (UTS #39) as the `confusable-homoglyphs` package ships
   it: Cyrillic `р` → `p`, Greek `ο` → `o`, digits `1` → `l`, `0` → `o`.

Look-alikes depend on case (capital `М` looks like `M`, small `м` not like
`m`), so filters also compare `simple_fold`, which folds all but
look-alikes. Folding is for matching only: what is stored and shown is
the original.
It does not undo spacing tricks (`s p a m`) or digit spelling (`sp4m`);
a regular expression in the list catches those where wanted.
"""

import functools
import re
import string
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from html.parser import HTMLParser

# Characters removed before matching: Cf (format) and Mn/Me (marks).
_DROPPED_CATEGORIES = {"Cf", "Mn", "Me"}
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_WORD_CHARACTER = re.compile(r"\w")


@functools.cache
def _confusables() -> dict[int, str]:
    """A str.translate table: character -> the (lower-case) ASCII letter or
    digit it looks like; ASCII capitals -> small letters.

    Built once per process from the package's table (about 9,000 entries).
    Where a character looks like several, a capital prefers a capital and
    anything else a small letter. UTS #39 files `I` under `l`; here case is
    folded, so a capital that looks like `l` is an `i`.
    """
    from confusable_homoglyphs.confusables import confusables_data

    table = {ord(c): c.lower() for c in string.ascii_uppercase}
    for character, homoglyphs in confusables_data.items():
        if len(character) != 1 or character.isascii() and not character.isdigit():
            continue
        forms = [
            glyph["c"]
            for glyph in homoglyphs
            if len(glyph["c"]) == 1 and glyph["c"].isascii() and glyph["c"].isalnum()
        ]
        if not forms:
            continue
        capital = character.lower() != character
        forms.sort(
            key=lambda c: (
                not (c.isupper() if capital else c.islower()),
                c.isdigit(),
                c,
            )
        )
        form = forms[0].lower()
        table[ord(character)] = "i" if capital and form == "l" else form
    return table


def _without_marks(text: str) -> str:
    return "".join(
        c for c in text if unicodedata.category(c) not in _DROPPED_CATEGORIES
    )


def fold(text: str) -> str:
    """`text` in the form filters compare: see the module docstring."""
    table = _confusables()
    # Look-alikes first: decomposing may lose the look (NFKD turns `ϲ`,
    # which looks like `c`, into `ς`). Plain ASCII text is done then.
    text = text.translate(table)
    if text.isascii():
        return text
    # NFKD: compatibility forms replaced, letters and marks taken apart;
    # then case, and the look-alikes among what came apart.
    text = _without_marks(unicodedata.normalize("NFKD", text))
    return text.casefold().translate(table)


def simple_fold(text: str) -> str:
    """`text` with case, compatibility forms, marks and invisible characters
    folded, but no look-alikes: a word in another script stays itself in
    any case (look-alikes are per case: capital `М` looks like `M`, small
    `м` does not look like `m`), so filters compare this form too."""
    return _without_marks(unicodedata.normalize("NFKD", text.casefold()))


def words_pattern(words: Iterable[str]) -> re.Pattern | None:
    """One pattern finding any of `words` (folded as the text will be) as
    whole words: not inside a longer one, so "ass" does not match "class".

    Literal alternatives only, longest first: it runs in linear time,
    however many words a list holds.
    """
    words = sorted({word for word in words if word}, key=len, reverse=True)
    if not words:
        return None
    alternatives = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)")


class _Reader(HTMLParser):
    """Splits a reply's HTML into its own words, its links and its mentions.

    Mastodon marks mentions and hashtags with the classes `mention` and
    `hashtag` on their links; the text inside a link is the link's, not the
    author's own words.
    """

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.words: list[str] = []
        self.links: list[str] = []
        self.link_text: list[str] = []
        self._in_link: str | None = None  # "link", "mention", or None

    def handle_starttag(self, tag, attrs):
        if tag != "a":
            if tag in ("p", "br", "li", "div", "blockquote"):
                self.words.append(" ")
            return
        attributes = dict(attrs)
        classes = set((attributes.get("class") or "").split())
        if classes & {"mention", "hashtag", "u-url"}:
            self._in_link = "mention"
        else:
            self._in_link = "link"
            self.links.append(attributes.get("href") or "")

    def handle_endtag(self, tag):
        if tag == "a":
            self._in_link = None
            self.words.append(" ")

    def handle_data(self, data):
        if self._in_link == "link":
            self.link_text.append(data)
        elif self._in_link is None:
            self.words.append(data)


@dataclass(frozen=True)
class ReadReply:
    """What a reply says, read for screening."""

    # The author's own words: text outside links, bare URLs taken out.
    own_words: str
    # Links other than mentions and hashtags, anchored or bare.
    links: list[str]
    # Everything a filter looks at: words, link text and addresses, the
    # content warning.
    searchable: str

    @property
    def is_link_only(self) -> bool:
        """Links and nothing of the author's own but mentions, hashtags,
        spaces and punctuation."""
        return bool(self.links) and not _WORD_CHARACTER.search(self.own_words)


def read_reply(html: str, *, summary: str = "", limit: int = 20_000) -> ReadReply:
    """Read a reply's (raw, untrusted) HTML; only the first `limit`
    characters are looked at."""
    reader = _Reader()
    try:
        reader.feed(html[:limit])
        reader.close()
    except (AssertionError, ValueError):  # malformed beyond repair
        reader = _Reader()
        reader.words = [html[:limit]]
    own = "".join(reader.words)
    bare = _URL.findall(own)
    own = _URL.sub(" ", own)
    links = [link for link in reader.links if link] + bare
    searchable = " ".join(
        [summary, " ".join(reader.words), " ".join(reader.link_text), *links]
    )
    return ReadReply(own_words=own, links=links, searchable=searchable)
