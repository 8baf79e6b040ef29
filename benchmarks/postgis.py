"""PostGIS baseline: a throw-away PostgreSQL cluster with PostGIS (Debian's
``postgresql`` and ``postgis``) started on 127.0.0.1 for the run and removed
after; the workload loaded with COPY, GiST indexes built, then the same
computations as :mod:`engines` in SQL."""

from __future__ import annotations

import contextlib
import glob
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd

from engines import POSTGIS_QUERY, result_frame


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed (Debian: apt-get install postgresql postgis)")
    return found[-1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def cluster():
    """A PostgreSQL server on 127.0.0.1 in a temporary folder; yields a libpq connection string."""
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    user = {}
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use the postgres account
        import pwd

        pw = pwd.getpwnam("postgres")
        os.chown(folder, pw.pw_uid, pw.pw_gid)
        user = {"user": "postgres"}
    run = lambda args: subprocess.run(args, check=True, capture_output=True, **user)  # noqa: E731
    port = _free_port()
    run([_bin("initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "bench"])
    run([_bin("pg_ctl"), "-D", str(folder / "data"), "-l", str(folder / "log"), "-w", "start",
         "-o", f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={folder} "
               "-c shared_buffers=1GB -c work_mem=256MB -c max_parallel_workers_per_gather=2 -c fsync=off"])
    try:
        yield f"host=127.0.0.1 port={port} user=bench dbname=postgres"
    finally:
        subprocess.run([_bin("pg_ctl"), "-D", str(folder / "data"), "-m", "immediate", "stop"], capture_output=True, **user)
        shutil.rmtree(folder, ignore_errors=True)


def _copy(cur, table: str, frame: pd.DataFrame) -> None:
    buf = io.StringIO()
    frame.to_csv(buf, sep="\t", header=False, index=False, na_rep="\\N")
    buf.seek(0)
    with cur.copy(f"COPY {table} FROM STDIN") as copy:
        copy.write(buf.read())


def run(folder: Path) -> tuple[pd.DataFrame, dict]:
    import geopandas as gpd
    import psycopg
    import shapely

    layers = {name: gpd.read_parquet(folder / f"{name}.parquet") for name in ("assets", "roads", "pois", "buildings")}
    with cluster() as dsn, psycopg.connect(dsn, autocommit=True) as con, con.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute("CREATE EXTENSION postgis")
        cur.execute("CREATE TABLE assets (asset_id text, kind text, osm_ref text, geom geometry(Geometry, 2100))")
        cur.execute("CREATE TABLE roads (geom geometry(Geometry, 2100))")
        cur.execute("CREATE TABLE pois (geom geometry(Geometry, 2100))")
        cur.execute("CREATE TABLE buildings (is_asset bool, geom geometry(Geometry, 2100))")
        hexwkb = lambda g: shapely.to_wkb(shapely.set_srid(g.to_numpy(), 2100), hex=True, include_srid=True)  # noqa: E731
        a = layers["assets"]
        _copy(cur, "assets", pd.DataFrame({"a": a["asset_id"], "k": a["kind"], "o": a["osm_ref"],
                                           "g": hexwkb(a.geometry)}))
        _copy(cur, "roads", pd.DataFrame({"g": hexwkb(layers["roads"].geometry)}))
        _copy(cur, "pois", pd.DataFrame({"g": hexwkb(layers["pois"].geometry)}))
        b = layers["buildings"]
        is_asset = b["osm_ref"].isin(a["osm_ref"].dropna()).map({True: "t", False: "f"})
        _copy(cur, "buildings", pd.DataFrame({"i": is_asset, "g": hexwkb(b.geometry)}))
        for table in ("assets", "roads", "pois", "buildings"):
            cur.execute(f"CREATE INDEX ON {table} USING GIST (geom)")
            cur.execute(f"ANALYZE {table}")
        t1 = time.perf_counter()
        # the server stops the query itself before the benchmark's timeout kills this
        # process, so that the cluster is stopped and removed (a killed client leaves it running)
        limit = float(os.environ.get("BENCH_TIMEOUT_S", "0"))
        if limit > 60:
            cur.execute(f"SET statement_timeout = {int((limit - 30) * 1000)}")
        cur.execute(POSTGIS_QUERY)
        rows = cur.fetchall()
        t2 = time.perf_counter()
    f = pd.DataFrame(rows, columns=["asset_id", "road_m", "services", "footprint", "score"])
    return (result_frame(f["asset_id"], f["road_m"].astype(float), f["services"].astype(float),
                         f["footprint"].astype(float), f["score"].astype(float)), {"load": t1 - t0, "query": t2 - t1})
