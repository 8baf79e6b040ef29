"""Map size and load time against the publishing budget (10,000 assets under
5 MB, open in under 3 s in headless Chromium), on synthetic inventories.

    .venv/bin/python benchmarks/map_budget.py --sizes 500 2000

Assets are squares of 200-5,000 m² scattered over 10 x 10 km of the Greek
Grid near Volos, with random criterion values scored by the real built-in
profiles; the map is the real self-contained index map (every use layer, the
excluded layers, the plan is left out). Load time is from navigation to the
moment every GeoJSON layer is on the map, with all network refused.
Results go to benchmarks/results/map_budget.json and .md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from pipeline.common.config import ProfilesSpec, SensitivitySpec
from pipeline.features import REGISTRY
from pipeline.publish import view_of
from pipeline.publish.maps import build_map, render
from pipeline.score.profiles import load_profiles
from pipeline.score import score

BUDGET_BYTES = 5 * 1024 * 1024
BUDGET_SECONDS = 3.0
CATEGORIES = {"landuse": ["farmland", "grass", "industrial", "brownfield", "residential", "unknown"],
              "condition": ["good", "fair", "poor", "unknown"], "occupancy": ["vacant", "partly used", "unknown"],
              "landcover": ["211", "112", "unknown"]}


def synthetic(n: int, seed: int = 7):
    rng = np.random.default_rng(seed)
    x = 405000 + rng.uniform(0, 10000, n)
    y = 4355000 + rng.uniform(0, 10000, n)
    side = np.sqrt(rng.uniform(200, 5000, n))
    geoms = [box(a, b, a + s, b + s) for a, b, s in zip(x, y, side)]
    kind = np.where(rng.random(n) < 0.4, "building", "land")
    inv = gpd.GeoDataFrame({
        "asset_id": [f"syn-{i}" for i in range(n)], "name": [f"Site {i}" for i in range(n)], "kind": kind,
        "area_m2": side ** 2, "sources": "osm", "idle_evidence": "landuse=brownfield", "condition": None,
        "occupancy": None, "survey_notes": None, "photos": None,
    }, geometry=geoms, crs="EPSG:2100")
    for name, crit in REGISTRY.items():
        if crit.kind == "category":
            inv[f"c_{name}"] = rng.choice(CATEGORIES.get(name, ["unknown"]), n)
        else:
            inv[f"c_{name}"] = rng.uniform(0, 1, n) if crit.unit in ("0-1",) else rng.uniform(0, 3000, n)
    boundary = gpd.GeoDataFrame({"name": ["synthetic"]}, geometry=[box(405000, 4355000, 415000, 4365000)], crs=2100)
    return inv, boundary


def load_seconds(path: Path, chromium: str) -> float:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page()
        page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
        start = time.perf_counter()
        page.goto(path.as_uri(), timeout=600_000)
        page.wait_for_function("() => window.idleAssets !== undefined", timeout=600_000)
        page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        seconds = time.perf_counter() - start
        browser.close()
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    chromium = shutil.which("chromium")
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    profiles = load_profiles(ProfilesSpec())
    rows = []
    for n in args.sizes:
        inv, boundary = synthetic(n)
        scored = score(inv, profiles, SensitivitySpec())
        start = time.perf_counter()
        view = view_of(inv, scored.scores, profiles, boundary, explanations=scored.explanations,
                       credits=["synthetic data"], sensitivity=SensitivitySpec())
        html = render(build_map(view, profiles, f"{n} assets"), True)
        build = time.perf_counter() - start
        path = out / f"map_{n}.html"
        path.write_text(html, encoding="utf-8")
        size = path.stat().st_size
        loads = [load_seconds(path, chromium) for _ in range(args.repeats)] if chromium else []
        rows.append({"assets": n, "bytes": size, "bytes_per_asset": round(size / n), "build_s": round(build, 2),
                     "load_s_median": round(statistics.median(loads), 2) if loads else None,
                     "size_vs_budget": round(size / BUDGET_BYTES, 3),
                     "load_vs_budget": round(statistics.median(loads) / BUDGET_SECONDS, 3) if loads else None})
        path.unlink()
        print(rows[-1], flush=True)
    (out / "map_budget.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    cols = list(rows[0]) if rows else []
    table = "| " + " | ".join(cols) + " |\n|" + "---|" * len(cols) + "\n" + "\n".join(
        "| " + " | ".join(str(r[c]) for c in cols) + " |" for r in rows)
    (out / "map_budget.md").write_text(f"# Map budget (5 MB, 3 s at 10,000 assets)\n\n{table}\n", encoding="utf-8")


if __name__ == "__main__":
    main()
