"""What a printed page shows (WeasyPrint's layout of an HTML page)."""

from __future__ import annotations


def pages_past_their_margin(document) -> list[str]:
    """The pages of a rendered ``document`` whose content reaches past the right
    edge of the page's text box, each said with how far."""
    out = []
    for number, page in enumerate(document.pages, start=1):
        box = page._page_box
        right = box.content_box_x() + box.width
        widest = max(b.position_x + b.margin_width() for b in box.descendants()
                     if hasattr(b, "margin_width") and type(b).__name__ not in ("PageBox", "MarginBox"))
        if widest > right + 1:
            out.append(f"page {number}: content reaches {widest:.0f}px, the page's text ends at {right:.0f}px")
    return out
