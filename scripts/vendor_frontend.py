"""Vendor the map's front-end files from the npm registry at pinned versions.

Run once when changing versions (``python scripts/vendor_frontend.py``; needs
npm). For each package it downloads the tarball with ``npm pack``, copies the
files the maps use and the package's licence into
``pipeline/publish/vendor/<package>/``, inlines the images a stylesheet
references as data URIs, and records in ``vendor/manifest.json`` which CDN
address each file replaces, with its SHA-256. Self-contained maps are built
from these files only.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "pipeline" / "publish" / "vendor"

#: package, version, licence file, {CDN url used by folium/branca: file inside the package}
PACKAGES = [
    ("leaflet", "1.9.3", "LICENSE", {
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js": "dist/leaflet.js",
        "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css": "dist/leaflet.css"}),
    ("jquery", "3.7.1", "LICENSE.txt", {"https://code.jquery.com/jquery-3.7.1.min.js": "dist/jquery.min.js"}),
    ("d3", "3.5.5", "LICENSE", {"https://cdnjs.cloudflare.com/ajax/libs/d3/3.5.5/d3.min.js": "d3.min.js"}),
    ("leaflet.fullscreen", "3.0.0", "LICENSE", {
        "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.min.js": "Control.FullScreen.js",
        "https://cdn.jsdelivr.net/npm/leaflet.fullscreen@3.0.0/Control.FullScreen.css": "Control.FullScreen.css"}),
    ("leaflet-measure", "2.1.7", "LICENSE", {
        "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.js": "dist/leaflet-measure.min.js",
        "https://cdn.jsdelivr.net/gh/ljagis/leaflet-measure@2.1.7/dist/leaflet-measure.min.css": "dist/leaflet-measure.css"}),
    ("leaflet-minimap", "3.6.1", "LICENSE.txt", {
        "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.js": "dist/Control.MiniMap.min.js",
        "https://cdnjs.cloudflare.com/ajax/libs/leaflet-minimap/3.6.1/Control.MiniMap.css": "dist/Control.MiniMap.min.css"}),
    ("leaflet-search", "2.9.7", "license.txt", {
        "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.js": "dist/leaflet-search.min.js",
        "https://cdn.jsdelivr.net/npm/leaflet-search@2.9.7/dist/leaflet-search.min.css": "dist/leaflet-search.min.css"}),
    ("leaflet.locatecontrol", "0.66.2", "LICENSE", {
        "https://cdnjs.cloudflare.com/ajax/libs/leaflet-locatecontrol/0.66.2/L.Control.Locate.min.js": "dist/L.Control.Locate.min.js",
        "https://cdnjs.cloudflare.com/ajax/libs/leaflet-locatecontrol/0.66.2/L.Control.Locate.min.css": "dist/L.Control.Locate.min.css"}),
]
#: Resources folium adds to every map that these maps do not use (icons and markers).
UNUSED = [
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js",
    "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/css/bootstrap.min.css",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.js",
    "https://cdnjs.cloudflare.com/ajax/libs/Leaflet.awesome-markers/2.0.2/leaflet.awesome-markers.css",
    "https://cdn.jsdelivr.net/npm/@fortawesome/fontawesome-free@6.2.0/css/all.min.css",
    "https://netdna.bootstrapcdn.com/bootstrap/3.0.0/css/bootstrap-glyphicons.css",
    "https://cdn.jsdelivr.net/gh/python-visualization/folium/folium/templates/leaflet.awesome.rotate.min.css",
]


def inline_css_images(css: str, folder: Path) -> str:
    """Replace url(relative image) in a stylesheet by data URIs."""
    def data_uri(match: re.Match) -> str:
        ref = match.group(2)
        if ref.startswith(("data:", "http:", "https:", "#")):
            return match.group(0)
        path = (folder / ref.split("?")[0].split("#")[0]).resolve()
        if not path.exists():
            return match.group(0)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f"url(data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()})"

    return re.sub(r"url\((['\"]?)([^'\")]+)\1\)", data_uri, css)


def main() -> None:
    if VENDOR.exists():
        shutil.rmtree(VENDOR)
    VENDOR.mkdir(parents=True)
    manifest = {"unused": UNUSED, "files": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, version, licence, files in PACKAGES:
            subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=tmp, check=True, capture_output=True)
            tgz = next(Path(tmp).glob(f"{name.replace('@', '').replace('/', '-')}-{version}.tgz"))
            root = Path(tmp) / f"{name}-{version}"
            with tarfile.open(tgz) as tar:
                tar.extractall(root, filter="data")
            package = root / "package"
            target = VENDOR / name
            target.mkdir()
            shutil.copy(package / licence, target / "LICENSE")
            for url, inner in files.items():
                source = package / inner
                text = source.read_text(encoding="utf-8")
                if source.suffix == ".css":
                    text = inline_css_images(text, source.parent)
                out = target / Path(inner).name
                out.write_text(text, encoding="utf-8")
                manifest["files"][url] = {
                    "package": f"{name}@{version}", "file": f"{name}/{out.name}", "licence": f"{name}/LICENSE",
                    "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
                }
    (VENDOR / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(f"vendored {len(manifest['files'])} files into {VENDOR}")


if __name__ == "__main__":
    main()
