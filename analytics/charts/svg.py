"""A tiny SVG writer: every text and attribute value is escaped here.

Labels come from remote servers (instance domains, software names) and are
hostile until proven otherwise, so nothing in the charts builds markup by
hand: elements are made with `element()`, which escapes plain strings and
passes through only markup it made itself (Django's SafeString).
"""

import unicodedata

from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

# Average glyph width of the system sans-serif fonts, in ems; enough to
# size margins and shorten labels without measuring text in a browser.
CHAR_WIDTH_EM = 0.6


def element(tag: str, /, *children: object, **attrs: object) -> SafeString:
    """`<tag attrs>children</tag>`, escaped; attrs set to None are left out.

    Python names map to SVG ones: `class_` is `class`, `text_anchor` is
    `text-anchor`; names with capitals (`viewBox`) are kept as written.
    """
    attr_text = "".join(
        f' {_attr_name(name)}="{escape(_attr_value(value))}"'
        for name, value in attrs.items()
        if value is not None
    )
    if not children:
        return mark_safe(f"<{tag}{attr_text}/>")
    inner = "".join(conditional_escape(child) for child in children)
    return mark_safe(f"<{tag}{attr_text}>{inner}</{tag}>")


def join(parts) -> SafeString:
    """Elements side by side; plain strings among them are escaped."""
    return mark_safe("".join(conditional_escape(part) for part in parts))


def num(value: float) -> str:
    """A coordinate with at most one decimal: "12", "12.5"."""
    text = f"{value:.1f}"
    text = text.rstrip("0").rstrip(".") if "." in text else text
    return "0" if text == "-0" else text


def path_through(points) -> str:
    """Path data through (x, y) points, broken at None.

    A point with no neighbour gets a hair-thin stroke, which the round line
    cap draws as a dot: a lone known day is still seen.
    """
    commands, run = [], 0
    for point in [*points, None]:
        if point is None:
            if run == 1:
                commands.append("h0.1")
            run = 0
            continue
        commands.append(f"{'L' if run else 'M'}{num(point[0])} {num(point[1])}")
        run += 1
    return " ".join(commands)


def clean_label(text: object) -> str:
    """The label without control and format characters.

    They are invisible yet can reorder what is shown (a right-to-left
    override makes "moc.elpmaxe" read as "example.com"), and most control
    characters are not even allowed in XML.
    """
    return "".join(
        char
        for char in str(text)
        if unicodedata.category(char) not in {"Cc", "Cf", "Cs", "Co"}
    ).strip()


def text_width(text: str, font_size: float) -> float:
    """Roughly how wide the text is drawn, in user units."""
    return len(text) * font_size * CHAR_WIDTH_EM


def shorten(text: str, *, width: float, font_size: float) -> str:
    """The text cut with "…" to fit the width; the full one goes in a tooltip."""
    fits = max(int(width / (font_size * CHAR_WIDTH_EM)), 1)
    if len(text) <= fits:
        return text
    return text[: max(fits - 1, 1)].rstrip() + "…"


def _attr_name(name: str) -> str:
    if name == "class_":
        return "class"
    if name.lower() != name:
        return name
    return name.replace("_", "-")


def _attr_value(value: object) -> str:
    if isinstance(value, float):
        return num(value)
    return str(value)
