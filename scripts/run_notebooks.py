"""Run the notebooks top to bottom and keep the executed copies, with their
outputs, in data/processed/notebooks/ (the notebooks in notebooks/ stay
without outputs). `make notebooks` calls this; open the copies, or the
notebooks themselves with `jupyter lab notebooks/`."""

from __future__ import annotations

import sys
from pathlib import Path

import nbclient
import nbformat

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    out = ROOT / "data" / "processed" / "notebooks"
    out.mkdir(parents=True, exist_ok=True)
    failed = []
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        print(f"running {path.relative_to(ROOT)} ...", flush=True)
        try:
            nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                    resources={"metadata": {"path": str(ROOT / "notebooks")}}).execute()
        except nbclient.exceptions.CellExecutionError as exc:
            failed.append(f"{path.name}: {str(exc).splitlines()[0]}")
        target = out / path.name
        part = target.with_suffix(".part")
        nbformat.write(nb, part)
        part.replace(target)
        print(f"  wrote {target.relative_to(ROOT)}")
    for line in failed:
        print(f"error: {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
