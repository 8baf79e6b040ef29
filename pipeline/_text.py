"""Text helpers shared across stages."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """Accent- and case-insensitive form of a text, for matching Greek words.

    ``'Βόλου' -> 'βολου'``, ``'ΑΔΡΑΝΈΣ' -> 'αδρανεσ'`` (final sigma folded too,
    so a word matches whatever its position or case).
    """
    decomposed = unicodedata.normalize("NFD", str(text).strip().casefold())
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn").replace("ς", "σ")
