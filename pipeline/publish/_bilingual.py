"""Texts in Greek and English side by side (:class:`Bi`), and how the annex
prints them: ``Greek / English`` in Markdown, and in HTML the English side in
an element that names its language (``<span lang="en">``) on a page whose
language is Greek (``<html lang="el">``), so a reader, a screen reader or a
test can tell the Greek side (everything not marked English) from the English.
The Greek side is not wrapped too: it is the page's own language, and each
wrapper is an inline box that WeasyPrint lays out on its own (the atlas PDF of
104 sheets printed in 16.7 s without them, 22.4 s with them).
Anything else is a value of the inputs (a name, an id, a number): neither side."""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..common._text import markdown_text


@dataclass(frozen=True)
class Bi:
    """A text in Greek (``el``) and English (``en``); ``+`` joins texts side by side."""

    el: str
    en: str

    def __str__(self) -> str:
        return join(self.el, self.en)

    def __add__(self, other: "Bi | str") -> "Bi":
        if isinstance(other, Bi):
            return Bi(self.el + other.el, self.en + other.en)
        return Bi(self.el + other, self.en + other)

    def __radd__(self, other: str) -> "Bi":
        return Bi(other + self.el, other + self.en)

    def strip(self) -> "Bi":
        return Bi(self.el.strip(), self.en.strip())

    def __bool__(self) -> bool:
        return bool(self.el or self.en)


def join(el: str, en: str) -> str:
    """``el / en``; one of them when the other is empty or the same."""
    if not en or en == el:
        return el
    if not el:
        return en
    return f"{el} / {en}"


def html_text(value) -> str:
    """``value`` as escaped HTML for a Greek page; a :class:`Bi` with its English side marked as such."""
    if isinstance(value, Bi):
        el, en = html.escape(value.el), html.escape(value.en)
        if not value.en or value.en == value.el:
            return el
        # the space before the English side inside its span: WeasyPrint misses the break opportunity of a
        # space just before an inline box, and broke the Greek side after its first word instead
        return f'{el} /<span lang="en"> {en}</span>' if el else f'<span lang="en">{en}</span>'
    return html.escape(str(value))


def md_text(value) -> str:
    """``value`` as Markdown text (escaped: no viewer renders it as HTML or links)."""
    return markdown_text(str(value))
