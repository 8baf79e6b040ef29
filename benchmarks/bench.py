"""The performance benchmark (``make bench``): the pipeline's stages on
synthetic workloads of 10k, 100k and 1M assets, against a naive per-row
loop, PostGIS and DuckDB spatial on the same computations, all in one run.

Every measurement runs in a fresh process (so its peak memory is its own)
and is repeated; the median is reported. Results go to
``benchmarks/results/bench.json`` and ``bench.md``; ratios are against
baselines measured in the same run.

    .venv/bin/python benchmarks/bench.py                 # everything (make bench)
    .venv/bin/python benchmarks/bench.py --sizes 10000 --skip postgis duckdb naive
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

DATA = HERE / "data"
RESULTS = HERE / "results"
#: a run longer than this is stopped and reported as longer
TIMEOUT_S = 600
#: limits (a speed-up is met at or above its limit, anything else at or below)
TARGETS = {
    "features+score 1M (s)": 20.0, "peak memory 1M (GiB)": 2.0, "speed-up vs naive at 10k": 200.0,
    "time(1M)/time(100k)": 11.0, "sensitivity 1000 draws x 100k (s)": 10.0,
    "Dask 2 workers over 1 worker at 1M (speed-up)": 1.5,
    "sparse 100k / DuckDB at its best, 2 threads": 0.5, "sparse 1M / DuckDB at its best, 2 threads": 0.5,
    "dense features+score 1M (s)": 60.0, "dense 1M / DuckDB at its best, 2 threads": 1.0,
    "dense 100k / DuckDB at its best, 2 threads": 0.5,
    "dense peak memory 100k (GiB)": 1e9 / 2**30, "dense peak memory 1M (GiB)": 2.5e9 / 2**30,
    "dense peak memory 1M from the files within a 2.5 GB budget (GiB)": 2.5e9 / 2**30,
    "dense features+score 1M from the files within the budget, reading included (s)": 60.0,
    "dense largest difference from the baselines": 1e-6,
}


def peak_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def current_rss_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


# ---------------------------------------------------------------- one measurement (child process)

def load_context(folder: Path, fmt: str = "parquet"):
    """Read the workload's layers (the extract stage of a benchmark run)."""
    import geopandas as gpd

    from pipeline.transform import Context
    from workload import tags_from_text

    read = gpd.read_parquet if fmt == "parquet" else (lambda p: gpd.read_file(p, engine="pyogrio"))
    layers = {name: read(folder / f"{name}.{fmt}") for name in ("assets", "buildings", "roads", "pois")}
    for name in ("buildings", "roads", "pois"):
        layers[name]["tags"] = tags_from_text(layers[name].pop("tag"))
    assets = layers.pop("assets")
    empty = layers["buildings"].iloc[:0]
    return assets, Context(boundary=empty, landuse=empty, **layers)


def warm_up(assets, context) -> float:
    """Run ours once on the first 10,000 assets, untimed in the measurement:
    the first call of each compiled kernel in a process loads its machine
    code from numba's cache (about half a second in all, once per process,
    as DuckDB's ``LOAD spatial`` is once per connection and not timed
    either); 10,000 sparse assets have enough candidate pairs that counting
    takes the grid (``_proximity.GRID_ABOVE_PAIRS``), as the timed run does.
    Returns the seconds it took, reported as ``kernel_load``."""
    import engines

    t = time.perf_counter()
    engines.ours(assets.iloc[:10_000], context, explain=False)
    return time.perf_counter() - t


def measure(engine: str, n: int, kind: str = "sparse") -> dict:
    """Run one engine once on workload ``n`` of ``kind``; return its seconds per stage and peak memory."""
    from workload import folder_name

    folder = DATA / folder_name(kind, n)
    out: dict = {"engine": engine, "n": n, "workload": kind}
    t0 = time.perf_counter()
    if engine == "ours":
        import engines

        from pipeline.common import _memory
        from pipeline.plan.match import best_use
        from pipeline.score.mcda import rank_stability
        from pipeline.common.io import write_geoparquet

        assets, context = load_context(folder)
        _memory.release_freed_memory()  # as the runner does after each stage
        out["extract"] = time.perf_counter() - t0
        out["rss_after_extract"] = current_rss_bytes()
        out["kernel_load"] = warm_up(assets, context)
        frame, seconds, feats, scored = engines.ours(assets, context, explain=False)
        out["peak_rss_features+score"] = seconds.pop("peak_rss_bytes")
        out.update(seconds)
        out["mean_services"] = float(frame["services"].mean())
        out["cpu_features+score"] = seconds["cpu"]
        if n <= 100_000 and kind == "sparse":  # the same with every reason written (not in the baselines' work)
            _, again, feats, scored = engines.ours(assets, context, explain=True)
            out["score_with_reasons"] = again["score"]
        t = time.perf_counter()
        ex = scored.explanations["bench"]
        eligible = scored.scores["eligible"].to_numpy()
        if n <= 100_000 and kind == "sparse":
            rank_stability(ex.points[eligible] / ex.max_points, ex.max_points / 100, 1000, 0.2, 7, 10)
            out["sensitivity"] = time.perf_counter() - t
        t = time.perf_counter()
        if n <= 100_000 and kind == "sparse":
            best_use(feats, scored.scores, ["bench"])
            out["match"] = time.perf_counter() - t
        t = time.perf_counter()
        import geopandas as gpd

        public = gpd.GeoDataFrame(scored.scores.assign(geometry=feats.geometry.to_numpy()), crs=feats.crs)
        tmp = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-scores-{os.getpid()}.parquet"
        write_geoparquet(public, tmp)
        tmp.unlink()
        out["publish"] = time.perf_counter() - t
        out["features+score"] = out["features"] + out["score"]
        out["extract+features+score"] = out["extract"] + out["features+score"]
        frame.to_parquet(folder / "result_ours.parquet")
    elif engine == "ours-1thread":  # the single machine on one core, as the Dask targets were first set against
        import engines

        from pipeline.common import _memory, settings

        settings.THREADS = 1
        assets, context = load_context(folder)
        _memory.release_freed_memory()
        out["extract"] = time.perf_counter() - t0
        frame, seconds, _, _ = engines.ours(assets, context, explain=False)
        out["features+score"] = seconds["features"] + seconds["score"]
        out["extract+features+score"] = out["extract"] + out["features+score"]
        out["peak_rss_features+score"] = seconds["peak_rss_bytes"]
        frame.to_parquet(folder / f"result_{engine}.parquet")
    elif engine == "built":  # built_share, buildings over 250 m neighbourhoods: not in the baselines' work
        from pipeline.features import compute_features

        assets, context = load_context(folder)
        compute_features(assets.iloc[:1000], context, ["built_share"])  # loads the compiled kernels, untimed
        t = time.perf_counter()
        compute_features(assets, context, ["built_share"])
        out["features_built_share"] = time.perf_counter() - t
    elif engine == "dem":  # elevation from the DEM, not in the baselines' work
        assets, _ = load_context(folder)
        out.update(dem_seconds(folder, assets, reference=n <= 100_000))
    elif engine == "extract_gpkg":
        load_context(folder, "gpkg")
        out["extract"] = time.perf_counter() - t0
    elif engine == "naive":
        import engines

        assets, context = load_context(folder)
        t = time.perf_counter()
        frame = engines.naive(assets, context)
        out["features+score"] = time.perf_counter() - t
        frame.to_parquet(folder / "result_naive.parquet")
    elif engine.startswith("duckdb"):  # duckdb-2: at its best (ST_DWithin joins); duckdb-box-2: the box joins
        import engines

        frame, seconds = engines.duckdb_run(folder, threads=int(engine.split("-")[-1]),
                                            query="box" if "-box-" in engine else "dwithin")
        out["load"], out["features+score"], out["cpu_features+score"] = seconds["load"], seconds["query"], seconds["cpu"]
        frame.to_parquet(folder / f"result_{engine}.parquet")
    elif engine == "postgis":
        import postgis

        frame, seconds = postgis.run(folder)
        out["load"], out["features+score"] = seconds["load"], seconds["query"]
        frame.to_parquet(folder / "result_postgis.parquet")  # its CPU time is the server's, not this process's
    elif engine == "tiled":  # from the files in this process within a memory budget: whole or tile by tile
        import dask_engine

        frame, ready, plan = dask_engine.features_and_score_tiled(folder)
        out["extract+features+score"] = ready - t0
        out["estimated_whole_bytes"], out["tiles"] = plan.whole_bytes, plan.grid[0] * plan.grid[1]
        out["peak_rss_features+score"] = peak_rss_bytes()
        frame.to_parquet(folder / "result_tiled.parquet")
    elif engine.startswith("dask"):
        import dask_engine

        workers = int(engine.split("-")[1])
        frame, out["cluster_start"], ready = dask_engine.features_and_score(folder, workers)
        # compared without the cluster's start-up: a national run connects to a running cluster
        out["extract+features+score"] = ready - t0 - out["cluster_start"]
        frame.to_parquet(folder / f"result_{engine}.parquet")
    out["total"] = time.perf_counter() - t0
    out["peak_rss"] = peak_rss_bytes()
    return out


def dem_seconds(folder: Path, assets, reference: bool) -> dict:
    """Seconds to take each asset's mean elevation from the workload's DEM
    (read once beforehand): the pipeline's exact coverage-weighted zonal
    mean; the floor of any zonal statistic, one rasterize pass and two
    bincounts (each cell to the one asset whose polygon covers its centre:
    not exact, and blind to overlapping assets); and, when ``reference``,
    exactextract feature by feature, with the largest difference from it."""
    import rasterio
    from pyproj import CRS
    from rasterio.features import rasterize

    from pipeline.transform._raster import zonal, zonal_exactextract
    from pipeline.extract.raster import RasterLayer

    with rasterio.open(folder / "dem.tif") as ds:
        layer = RasterLayer("dem", ds.read(1).astype("float32"), ds.transform, CRS.from_user_input(ds.crs), folder / "dem.tif")
    out = {}
    t = time.perf_counter()
    values = zonal(assets, layer, "mean")
    out["features_dem"] = time.perf_counter() - t
    assert values.notna().all(), "every asset of a workload lies on its DEM"
    t = time.perf_counter()
    ids = rasterize(zip(assets.geometry.to_numpy(), range(1, len(assets) + 1)), out_shape=layer.array.shape,
                    transform=layer.transform, fill=0, dtype="int32")
    flat = layer.array.ravel().astype("float64")
    with np.errstate(invalid="ignore"):  # assets covering no cell centre: NaN
        _ = np.bincount(ids.ravel(), weights=flat, minlength=len(assets) + 1) / np.bincount(ids.ravel(), minlength=len(assets) + 1)
    out["dem_floor"] = time.perf_counter() - t
    if reference:
        t = time.perf_counter()
        ref = zonal_exactextract(assets, layer, "mean")
        out["dem_exactextract"] = time.perf_counter() - t
        out["dem_max_difference"] = float((values - ref).abs().max())
    return out


# ---------------------------------------------------------------- orchestration

def child(engine: str, n: int, timeout: float, kind: str = "sparse") -> dict | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--one", engine, str(n), kind]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "BENCH_TIMEOUT_S": str(timeout)})
    except subprocess.TimeoutExpired:
        print(f"  {engine} at {n:,}: over {timeout:.0f} s, stopped", flush=True)
        return {"engine": engine, "n": n, "workload": kind, "error": f"timeout after {timeout:.0f} s"}
    if done.returncode != 0:
        print(done.stderr[-3000:], flush=True)
        return {"engine": engine, "n": n, "workload": kind, "error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict]) -> dict:
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return runs[0]
    out = dict(ok[0])
    for key in ok[0]:
        if isinstance(ok[0][key], (int, float)) and key != "n":
            out[key] = statistics.median(r[key] for r in ok)
    out["runs"] = len(ok)
    return out


def agreement(n: int, engine: str, kind: str = "sparse") -> dict | None:
    """Largest difference between ``engine`` and ours on workload ``n`` in
    each criterion and the score (an asset missing from either counts as NaN)."""
    import pandas as pd
    from workload import folder_name

    folder = DATA / folder_name(kind, n)
    a, b = folder / "result_ours.parquet", folder / f"result_{engine}.parquet"
    if not (a.exists() and b.exists()):
        return None
    x, y = pd.read_parquet(a).set_index("asset_id"), pd.read_parquet(b).set_index("asset_id")
    y = y.reindex(x.index)
    return {col: float((x[col] - y[col]).abs().max(skipna=False)) for col in ("road_m", "services", "footprint", "score")}


def sparse_plan(n: int, repeats: int, skip: list[str], workers: tuple[int, ...] = (1, 2)) -> list[tuple[str, int]]:
    """Engines (and runs of each) on the sparse workload of ``n`` assets;
    the Dask engine with each count of ``workers`` (a scaling curve)."""
    plan = [("ours", repeats), ("extract_gpkg", 1 if n > 100_000 else repeats), ("dem", 1 if n > 100_000 else repeats)]
    if n == 10_000 and "naive" not in skip:
        plan.append(("naive", 1))
    if n >= 100_000 and "duckdb" not in skip:
        plan += [("duckdb-2", 1 if n > 100_000 else repeats), ("duckdb-box-2", 1 if n > 100_000 else repeats)]
    if n >= 100_000 and "postgis" not in skip and postgis_installed():
        plan.append(("postgis", 1))
    if "dask" not in skip and n in (10_000, 1_000_000):
        # medians of ``repeats`` at 1M: the Dask target is a ratio, and one run of each drifts by a fifth here
        runs = repeats if n == 1_000_000 else 1
        plan += [(f"dask-{w}", runs) for w in workers] + ([("ours-1thread", runs)] if n == 1_000_000 else [])
    return plan


def dense_plan(n: int, repeats: int, skip: list[str]) -> list[tuple[str, int]]:
    """Engines (and runs of each) on the dense workload of ``n`` assets."""
    plan = [("ours", repeats), ("tiled", 1)] + ([("built", 1)] if n <= 100_000 else [])
    if "duckdb" not in skip:  # a baseline at a million runs once: each run takes minutes
        plan += [("duckdb-2", 1 if n > 100_000 else repeats), ("duckdb-box-2", 1 if n > 100_000 else repeats),
                 ("duckdb-1", 1 if n > 100_000 else repeats)]
    if "postgis" not in skip and postgis_installed():
        plan.append(("postgis", 1))
    return plan


def postgis_installed() -> bool:
    found = bool(glob.glob("/usr/lib/postgresql/*/bin/initdb") and glob.glob("/usr/share/postgresql/*/extension/postgis.control"))
    if not found:
        print("PostGIS baseline skipped: install Debian's postgresql and postgis", flush=True)
    return found


def run_alternated(kind: str, n: int, plan: list[tuple[str, int]]) -> list[dict]:
    """Run each engine of ``plan`` its number of times, alternating the engines
    (round 1 runs each once, round 2 each that needs a second run, ...) so that
    a slow spell of the machine does not fall on one engine; one median row each."""
    runs: dict[str, list] = {engine: [] for engine, _ in plan}
    for round_ in range(max(repeats for _, repeats in plan)):
        for engine, repeats in plan:
            if round_ < repeats:
                runs[engine].append(child(engine, n, timeout=TIMEOUT_S, kind=kind))
    rows = []
    for engine, _ in plan:
        row = median_of(runs[engine])
        if engine not in ("ours", "extract_gpkg", "dem", "built") and "error" not in row:  # every other engine against ours
            row["max_difference"] = agreement(n, engine, kind)
        rows.append(row)
        shown = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()}
        print(shown, flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 100_000, 1_000_000],
                        help="sizes of the sparse workload")
    parser.add_argument("--dense", type=int, nargs="*", default=[100_000, 1_000_000], help="sizes of the dense workload")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip", nargs="*", default=[], help="engines to leave out: naive postgis duckdb dask")
    parser.add_argument("--skip-dense", nargs="*", default=[], help="engines to leave out on the dense workload only")
    parser.add_argument("--workers", type=int, nargs="*", default=[1, 2],
                        help="Dask worker counts to measure (a scaling curve: 1 2 4 8 on a machine with the cores)")
    parser.add_argument("--one", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        from pipeline.common import _memory

        _memory.use_system_allocator()  # as the pipeline's entry point does
        print(json.dumps(measure(args.one[0], int(args.one[1]), args.one[2])))
        return
    from workload import folder_name, write_workload

    started = time.perf_counter()
    RESULTS.mkdir(exist_ok=True)
    groups = [("sparse", n, sparse_plan(n, args.repeats, args.skip, tuple(args.workers))) for n in args.sizes]
    groups += [("dense", n, dense_plan(n, args.repeats, args.skip + args.skip_dense)) for n in args.dense]
    rows = []
    for kind, n, plan in groups:
        folder = DATA / folder_name(kind, n)
        if not (folder / "assets.parquet").exists():
            print(f"writing the {kind} {n:,}-asset workload ...", flush=True)
            write_workload(n, folder, kind=kind)
        rows += run_alternated(kind, n, plan)
    report = summarise(rows)
    report["wall_seconds"] = time.perf_counter() - started
    (RESULTS / "bench.json").write_text(json.dumps({"rows": rows, "summary": report}, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "bench.md").write_text(markdown(rows, report), encoding="utf-8")
    print(markdown(rows, report))


def _get(rows, engine, n, key="features+score", kind="sparse"):
    for r in rows:
        if r["engine"] == engine and r["n"] == n and r.get("workload", "sparse") == kind and key in r:
            return r[key]
    return None


def summarise(rows: list[dict]) -> dict:
    """Ratios against the baselines of this run, and the targets."""
    out: dict = {"ratios": [], "targets": []}
    for kind in ("sparse", "dense"):
        for n in sorted({r["n"] for r in rows if r.get("workload", "sparse") == kind}):
            for engine in sorted({r["engine"] for r in rows} - {"ours", "extract_gpkg", "dem", "built", "tiled", "ours-1thread"}):
                # the Dask workers read their own tiles, so they are compared from the files on
                key = "extract+features+score" if engine.startswith("dask") else "features+score"
                ours, other = _get(rows, "ours", n, key, kind), _get(rows, engine, n, key, kind)
                if ours and other:
                    out["ratios"].append({"workload": kind, "n": n, "baseline": engine, "measure": key, "ours_s": ours,
                                          "baseline_s": other, "ours/baseline": ours / other})
    f1m, f100k = _get(rows, "ours", 1_000_000), _get(rows, "ours", 100_000)
    peak = _get(rows, "ours", 1_000_000, "peak_rss_features+score")
    naive, ours10k = _get(rows, "naive", 10_000), _get(rows, "ours", 10_000)
    sens = _get(rows, "ours", 100_000, "sensitivity")
    d1m, d100k = _get(rows, "ours", 1_000_000, kind="dense"), _get(rows, "ours", 100_000, kind="dense")
    duck1m, duck100k = _get(rows, "duckdb-2", 1_000_000, kind="dense"), _get(rows, "duckdb-2", 100_000, kind="dense")
    dpeak1m = _get(rows, "ours", 1_000_000, "peak_rss_features+score", "dense")
    dpeak100k = _get(rows, "ours", 100_000, "peak_rss_features+score", "dense")
    tiled1m = _get(rows, "tiled", 1_000_000, "peak_rss_features+score", "dense")
    tiled1m_s = _get(rows, "tiled", 1_000_000, "extract+features+score", "dense")
    dask2 = _get(rows, "dask-2", 1_000_000, "extract+features+score")
    differences = [d for r in rows if r.get("workload") == "dense" and r.get("max_difference")
                   for d in r["max_difference"].values()]
    ratio = lambda a, b: a / b if a and b else None
    measured = {
        "features+score 1M (s)": f1m, "peak memory 1M (GiB)": peak / 2**30 if peak else None,
        "speed-up vs naive at 10k": ratio(naive, ours10k),
        "time(1M)/time(100k)": ratio(f1m, f100k),
        "sensitivity 1000 draws x 100k (s)": sens,
        "Dask 2 workers over 1 worker at 1M (speed-up)": ratio(_get(rows, "dask-1", 1_000_000, "extract+features+score"),
                                                               dask2),
        "sparse 100k / DuckDB at its best, 2 threads": ratio(f100k, _get(rows, "duckdb-2", 100_000)),
        "sparse 1M / DuckDB at its best, 2 threads": ratio(f1m, _get(rows, "duckdb-2", 1_000_000)),
        "dense features+score 1M (s)": d1m,
        "dense 1M / DuckDB at its best, 2 threads": ratio(d1m, duck1m),
        "dense 100k / DuckDB at its best, 2 threads": ratio(d100k, duck100k),
        "dense peak memory 100k (GiB)": dpeak100k / 2**30 if dpeak100k else None,
        "dense peak memory 1M (GiB)": dpeak1m / 2**30 if dpeak1m else None,
        "dense peak memory 1M from the files within a 2.5 GB budget (GiB)": tiled1m / 2**30 if tiled1m else None,
        "dense features+score 1M from the files within the budget, reading included (s)": tiled1m_s,
        "dense largest difference from the baselines": max(differences) if differences else None,
    }
    for name, target in TARGETS.items():
        value = measured[name]
        met = None if value is None else (value >= target if "speed-up" in name else value <= target)
        out["targets"].append({"target": name, "limit": target, "measured": value, "met": met})
    per_asset = [(r.get("workload", "sparse"), r["n"], r["peak_rss_features+score"] / r["n"]) for r in rows
                 if r["engine"] == "ours" and "peak_rss_features+score" in r]
    out["peak_bytes_per_asset"] = per_asset
    one_worker = _get(rows, "dask-1", 1_000_000, "extract+features+score")
    out["dask_2_over_1_worker_1M"] = ratio(one_worker, dask2)
    out["dask_curve"] = dask_curve(rows)
    out["dask_2_over_one_thread_1M"] = ratio(_get(rows, "ours-1thread", 1_000_000, "extract+features+score"), dask2)
    return out


def dask_curve(rows: list[dict]) -> list[dict]:
    """The Dask engine's scaling: per size, each worker count's time from the
    files and its speed-up over one worker."""
    out = []
    for n in sorted({r["n"] for r in rows if r["engine"].startswith("dask-")}):
        times = {int(r["engine"].split("-")[1]): r["extract+features+score"] for r in rows
                 if r["engine"].startswith("dask-") and r["n"] == n and "extract+features+score" in r}
        for w in sorted(times):
            out.append({"n": n, "workers": w, "seconds": times[w],
                        "speed-up over 1 worker": times[1] / times[w] if 1 in times else None})
    return out


def markdown(rows: list[dict], report: dict) -> str:
    from engines import CRITERIA

    keys = ["workload", "engine", "n", "runs", "extract", "load", "features", "features_dem", "features_built_share", "score", "features+score", "extract+features+score",
            "cpu_features+score", *(f"{c}{suffix}" for c in CRITERIA for suffix in ("_s", "_cpu_s")), "mean_services", "score_with_reasons", "cluster_start",
            "sensitivity", "match", "publish", "total", "rss_after_extract", "peak_rss_features+score", "peak_rss",
            "max_difference", "error"]
    present = [k for k in keys if any(k in r for r in rows)]

    def cell(r, k):
        v = r.get(k, "")
        if ("rss" in k) and v != "":
            return f"{v / 2**20:,.0f} MiB"
        if isinstance(v, dict):
            return ", ".join(f"{name} {d:.1g}" for name, d in v.items())
        return f"{v:.3g}" if isinstance(v, float) else str(v)

    lines = ["# Benchmark", "", f"Wall time of the whole benchmark: {report.get('wall_seconds', 0):.0f} s.", "",
             "| " + " | ".join(present) + " |", "|" + "---|" * len(present)]
    lines += ["| " + " | ".join(cell(r, k) for k in present) + " |" for r in rows]
    lines += ["", "## Ratios (below 1: the single-machine engine is faster; above 1: the other is)", "",
              "| workload | n | other | measured | single machine (s) | other (s) | single / other |", "|---|---|---|---|---|---|---|"]
    lines += [f"| {r['workload']} | {r['n']:,} | {r['baseline']} | {r['measure']} | {r['ours_s']:.3g} | {r['baseline_s']:.3g} | "
              f"{r['ours/baseline']:.3g} |" for r in report["ratios"]]
    lines += ["", "## Targets", "", "| target | limit | measured | met |", "|---|---|---|---|"]
    for t in report["targets"]:
        measured = "not measured" if t["measured"] is None else f"{t['measured']:.3g}"
        lines.append(f"| {t['target']} | {t['limit']:g} | {measured} | {t['met']} |")
    if report.get("dask_2_over_1_worker_1M"):
        lines += ["", f"Dask at 1M: 2 workers are {report['dask_2_over_1_worker_1M']:.2f}x one worker (the target above "
                  "compares them with this process, which uses both cores itself)."]
    if report.get("dask_2_over_one_thread_1M"):
        lines += [f"Dask at 1M: 2 workers are {report['dask_2_over_one_thread_1M']:.2f}x this process on one thread "
                  "(`settings.THREADS = 1`, the single machine the target was set against)."]
    if report.get("dask_curve"):
        lines += ["", "## Dask scaling (from the files, cluster start-up excluded)", "",
                  "| n | workers | seconds | speed-up over 1 worker |", "|---|---|---|---|"]
        lines += [f"| {c['n']:,} | {c['workers']} | {c['seconds']:.3g} | "
                  f"{'' if c['speed-up over 1 worker'] is None else format(c['speed-up over 1 worker'], '.2f')} |"
                  for c in report["dask_curve"]]
    lines += ["", "Peak memory per asset (ours, data loaded plus features and score): " + ", ".join(f"{kind} {n:,}: {b:,.0f} B" for kind, n, b in report["peak_bytes_per_asset"]), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
