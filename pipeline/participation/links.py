"""Links from an asset's map popup and fact sheet to the deployed forms, the
asset pre-filled with Enketo's syntax (``?d[/data/<question>]=<value>``, the
instance root being ``data`` as pyxform and KoboToolbox name it), and the QR
code of each for the printed fact sheet."""

from __future__ import annotations

import io
from urllib.parse import quote

#: Each form: the config's address field, its question that names the asset, its label.
FORMS = {
    "open_call": ("open_call_url", "assets", ("Εκδήλωση ενδιαφέροντος", "Express interest")),
    "report": ("report_url", "asset_id", ("Αναφορά για το ακίνητο", "Report on this site")),
}


def form_link(base: str, question: str, asset_id: str) -> str:
    """``base`` with the asset pre-filled in ``question``."""
    joiner = "&" if "?" in base else "?"
    return f"{base}{joiner}d[/data/{question}]={quote(str(asset_id), safe='')}"


def asset_links(participation, asset_id: str) -> list[tuple[tuple[str, str], str]]:
    """``((label_el, label_en), url)`` of every form the project deployed, for one asset."""
    out = []
    for field, question, label in FORMS.values():
        base = getattr(participation, field, None) if participation is not None else None
        if base:
            out.append((label, form_link(base, question, asset_id)))
    return out


def qr_svg(url: str) -> str:
    """A QR code of ``url`` as an inline SVG element (no XML prologue)."""
    import segno

    out = io.BytesIO()
    segno.make(url, error="m").save(out, kind="svg", scale=2, xmldecl=False, svgns=True, title=url)
    return out.getvalue().decode("utf-8")
