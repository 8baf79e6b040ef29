"""Self-contained maps: replace the CDN links folium writes by the vendored
front-end files (``vendor/``, from the npm registry at pinned versions, see
``scripts/vendor_frontend.py``), so a map opens with no internet. Basemap tiles
still come from the network and simply stay blank offline."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

VENDOR = Path(__file__).parent / "vendor"
_TAG = re.compile(r'<script src="(https?://[^"]+)"></script>|<link rel="stylesheet" href="(https?://[^"]+)"\s*/?>')


@lru_cache(maxsize=1)
def _manifest() -> dict:
    return json.loads((VENDOR / "manifest.json").read_text(encoding="utf-8"))


def inline(html: str) -> str:
    """``html`` with every CDN script and stylesheet inlined from the vendored
    files, and the icon resources the maps do not use removed.

    Raises
    ------
    RuntimeError
        If the page links a front-end file that is not vendored (a new folium
        version or plugin): run ``scripts/vendor_frontend.py`` after adding it.
    """
    manifest = _manifest()
    missing = []

    def replace(match: re.Match) -> str:
        url = match.group(1) or match.group(2)
        if url in manifest["unused"]:
            return ""
        entry = manifest["files"].get(url)
        if entry is None:
            missing.append(url)
            return match.group(0)
        text = (VENDOR / entry["file"]).read_text(encoding="utf-8")
        if match.group(1):
            text = text.replace("</script", "<\\/script")  # a script may not close its own tag
            return f"<script>/* {entry['package']} ({entry['licence']}) */\n{text}\n</script>"
        return f"<style>/* {entry['package']} ({entry['licence']}) */\n{text}\n</style>"

    out = _TAG.sub(replace, html)
    if missing:
        raise RuntimeError(f"front-end files not vendored: {missing}; add them to scripts/vendor_frontend.py")
    return out
