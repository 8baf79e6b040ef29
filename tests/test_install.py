"""Installs that stay true (issue 26, items 15 and 16): a wheel built from the
checkout holds every file the pipeline reads and runs the demo installed as
it is; make installs the locked versions."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]


def test_a_wheel_holds_the_package_data_and_runs_the_demo(tmp_path):
    # a clean copy of the sources: no build/ folder of an earlier build, nothing written into the checkout
    src = tmp_path / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(".*", "build", "*.egg-info", "__pycache__", "data", "maps",
                                                             "notebooks", "benchmarks", "docs", "tests"))
    # offline: the build backend is the one installed with the test extras
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "--wheel-dir", str(tmp_path / "dist"), str(src)], check=True, capture_output=True)
    wheel = next((tmp_path / "dist").glob("idle_assets-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    read_by_the_package = {f"pipeline/{p.relative_to(ROOT / 'pipeline').as_posix()}"
                           for p in (ROOT / "pipeline").rglob("*")
                           if p.is_file() and p.suffix in {".yaml", ".js", ".css"} and "__pycache__" not in p.parts}
    assert read_by_the_package - names == set()
    site = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target",
                    str(site), str(wheel)], check=True, capture_output=True)
    env = {**os.environ, "PYTHONPATH": str(site), "PYTHONWARNINGS": "ignore"}
    where = subprocess.run([sys.executable, "-c", "import pipeline; print(pipeline.__file__)"], cwd=tmp_path, env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    assert Path(where).is_relative_to(site)  # the installed copy, not the checkout
    run = subprocess.run([sys.executable, "-m", "pipeline", "--quiet", "run", "--config",
                          str(ROOT / "configs" / "demo.yaml"), "--out", str(tmp_path / "out")], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert (tmp_path / "out" / "plan.csv").is_file() and (tmp_path / "out" / "maps" / "index.html").is_file()


def _pins(lock: Path) -> dict[str, str]:
    pins = {}
    for line in lock.read_text(encoding="utf-8").splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split(";")[0].strip().split("==")
            pins[canonical(name)] = version
    return pins


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_make_installs_the_locked_versions_for_this_python(tmp_path):
    """Releases on PyPI do not change what make test and CI install (item 16)."""
    lock = ROOT / "constraints" / f"py{sys.version_info[0]}.{sys.version_info[1]}.txt"
    if not lock.is_file():
        pytest.skip(f"no lock for Python {sys.version_info[0]}.{sys.version_info[1]} ({lock.name}): make lock writes one")
    planned = subprocess.run(["make", "-n", "test", "lint", "demo", f"VENV={tmp_path / 'venv'}",
                              f"PYTHON={sys.executable}"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    installs = [line for line in planned.splitlines() if "pip install" in line and " -e " in line]
    assert len(installs) >= 3 and all(f"-c constraints/{lock.name}" in line for line in installs), installs
    pins = _pins(lock)
    assert {"numpy", "shapely", "geopandas", "pyrosm", "weasyprint", "pytest", "ruff"} <= set(pins)
    if Path(sys.prefix).resolve() == (ROOT / ".venv").resolve():  # this run was set up by make
        installed = {canonical(d.metadata["Name"]): d.version for d in metadata.distributions()}
        assert {n: (installed[n], v) for n, v in pins.items() if n in installed and installed[n] != v} == {}
