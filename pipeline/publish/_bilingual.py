"""Texts in Greek and English side by side (:class:`Bi`), and how the annex
prints them: ``Greek / English`` in Markdown, and in HTML each side in an
element that names its language (``<span lang="el">`` and ``<span lang="en">``),
so a reader, a screen reader or a test can tell the Greek side from the English.
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
    """``value`` as escaped HTML; a :class:`Bi` with each side marked with its language."""
    if isinstance(value, Bi):
        el = f'<span lang="el">{html.escape(value.el)}</span>' if value.el else ""
        en = f'<span lang="en">{html.escape(value.en)}</span>' if value.en and value.en != value.el else ""
        return " / ".join(x for x in (el, en) if x)
    return html.escape(str(value))


def md_text(value) -> str:
    """``value`` as Markdown text (escaped: no viewer renders it as HTML or links)."""
    return markdown_text(str(value))
