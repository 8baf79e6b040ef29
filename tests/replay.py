"""A local HTTP server that replays recorded responses, for the online sources.

No test reaches the internet: Overpass and WFS clients are pointed at
``http://127.0.0.1:<port>/...`` and this server answers from memory, logging
every request so tests can assert what was (or was not) asked.
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

OVERPASS_STATUS = (
    "Connected as: 2130706433\nCurrent time: 2026-11-26T00:00:00Z\nAnnounced endpoint: none\n"
    "Rate limit: 2\n2 slots available now.\nCurrently running queries (pid, space limit, time limit, start time):\n"
)


def overpass_json_from_osm_xml(path: Path) -> bytes:
    """The Overpass API JSON (``out body; >; out skel qt;``) of every element of
    an OSM XML file: what Overpass answers for that area."""
    elements = []
    for el in ET.parse(path).getroot():
        tags = {t.get("k"): t.get("v") for t in el.findall("tag")}
        item = {"type": el.tag, "id": int(el.get("id", 0))}
        if el.tag == "node":
            item.update(lat=float(el.get("lat")), lon=float(el.get("lon")))
        elif el.tag == "way":
            item["nodes"] = [int(nd.get("ref")) for nd in el.findall("nd")]
        elif el.tag == "relation":
            item["members"] = [{"type": m.get("type"), "ref": int(m.get("ref")), "role": m.get("role", "")}
                               for m in el.findall("member")]
        else:
            continue
        if tags:
            item["tags"] = tags
        elements.append(item)
    return json.dumps({"version": 0.6, "generator": "Overpass API (replayed)", "elements": elements}).encode()


class Replay:
    """Serve ``routes`` (``path -> (status, content type, body or callable(query))``)."""

    def __init__(self, routes: dict):
        self.routes = routes
        self.requests: list[tuple[str, str, dict]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, method: str, body: bytes = b""):
                url = urlparse(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query or body.decode("utf-8", "replace")).items()}
                outer.requests.append((method, url.path, query))
                route = outer.routes.get(url.path)
                if route is None:
                    self.send_error(404)
                    return
                status, ctype, payload = route
                payload = payload(query) if callable(payload) else payload
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self):
                self._answer("GET")

            def do_POST(self):
                self._answer("POST", self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Replay":
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
