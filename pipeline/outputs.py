"""Where a run's outputs go, and how they get there whole.

A run writes every output into a staging folder beside each output folder
(``.<name>.idle-assets-staging``) and swaps it in only at the end, so the
previous complete output set stays in place until the new one is complete: a
failure at any stage, or a killed run, leaves it untouched. A lock beside the
folder (``.<name>.idle-assets.lock``) keeps two runs from writing one folder
at the same time; the second stops with a message.

Before anything is written the folders are checked: an output folder may not
be an existing file, may not hold any input of the run, and may not hold
files that idle-assets did not write. Only folders this program made and
marked (a ``.idle-assets`` file inside) are ever replaced or removed, and
leftovers of an interrupted run are recognised by those names and that mark,
never by a pattern over a user's files.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from filelock import FileLock, Timeout

from . import __version__
from .errors import ProblemsError

MARKER = ".idle-assets"
_STAGING = ".{}.idle-assets-staging"
_PREVIOUS = ".{}.idle-assets-previous"
_LOCK = ".{}.idle-assets.lock"


class OutputError(ProblemsError):
    """An output folder cannot be used or written (the path and the reason)."""


def write_error(exc: OSError, fallback: Path) -> OutputError:
    """A plain error naming the path and the operating system's reason."""
    path = exc.filename or fallback
    return OutputError("output", [f"{path}: cannot write ({exc.strerror or exc}); check that the disk is not full "
                                  "and that the folder is writable"])


def _within(path: Path, folder: Path) -> bool:
    path, folder = Path(os.path.abspath(path)), Path(os.path.abspath(folder))
    return path == folder or folder in path.parents


def roots(folders: Iterable[Path]) -> list[Path]:
    """The output folders that are not inside another one (``--out DIR`` puts maps in ``DIR/maps``)."""
    folders = [Path(f) for f in dict.fromkeys(Path(os.path.abspath(f)) for f in folders)]
    return [f for f in folders if not any(o != f and _within(f, o) for o in folders)]


def made_by_us(folder: Path) -> bool:
    """True when ``folder`` carries our mark, or is an output folder of an
    earlier version (a tables folder with its ``manifest.json``, or a maps
    folder of only our HTML pages)."""
    folder = Path(folder)
    if (folder / MARKER).is_file():
        return True
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            return str(json.loads(manifest.read_text(encoding="utf-8")).get("pipeline", "")).startswith("idle-assets")
        except (OSError, ValueError, AttributeError):
            return False
    names = {p.name for p in folder.iterdir()}
    return {"index.html", "embed.html"} <= names and all(n.endswith(".html") for n in names)


def folder_problems(folders: Iterable[Path], inputs: dict[str, Path]) -> list[str]:
    """Why the output folders cannot be written (empty when they can):
    a folder that is a file, holds an input, or holds files that are not ours."""
    problems = []
    for folder in roots(folders):
        if folder.exists() and not folder.is_dir():
            problems.append(f"{folder}: is a file, not a folder; give a folder for the outputs")
            continue
        held = [f"{path} ({name})" for name, path in inputs.items() if _within(path, folder)]
        if held:
            problems.append(f"{folder}: holds input(s) of this run: {', '.join(held)}; write the outputs to another "
                            "folder, so no input is ever overwritten")
        elif folder.is_dir() and any(folder.iterdir()) and not made_by_us(folder):
            problems.append(f"{folder}: holds files that idle-assets did not write; give an empty or new folder "
                            "(a folder of yours is never replaced)")
    return problems


class StagedOutputs:
    """Stage a run's outputs and swap them in whole.

    Use as a context manager: it takes the lock of every output folder, clears
    what an interrupted run of ours left, and makes empty staging folders;
    :meth:`staged` gives the staging path of an output folder; :meth:`commit`
    swaps the staged folders in. Leaving without a commit removes the staging
    folders and leaves the previous outputs as they were.
    """

    def __init__(self, folders: Iterable[Path]):
        self.roots = roots(folders)
        self._locks: list[FileLock] = []
        self.committed = False

    @staticmethod
    def _beside(folder: Path, pattern: str) -> Path:
        return folder.parent / pattern.format(folder.name)

    def __enter__(self) -> "StagedOutputs":
        try:
            for root in sorted(self.roots):
                root.parent.mkdir(parents=True, exist_ok=True)
                lock = FileLock(self._beside(root, _LOCK), timeout=0)
                try:
                    lock.acquire()
                except Timeout:
                    self._release()
                    raise OutputError("output", [
                        f"{root}: another idle-assets run is writing to this folder; wait for it to finish, "
                        "or give another folder with --out"]) from None
                self._locks.append(lock)
            for root in self.roots:
                self._recover(root)
                staging = self._beside(root, _STAGING)
                staging.mkdir()
                (staging / MARKER).write_text(json.dumps({"written_by": f"idle-assets {__version__}"}) + "\n",
                                              encoding="utf-8")
        except OSError as exc:
            self._release()
            raise write_error(exc, self.roots[0]) from None
        return self

    def _recover(self, root: Path) -> None:
        """Clear what an interrupted run of ours left beside ``root``: a staging
        folder, and a previous output set (put back if the swap was cut short)."""
        for leftover in (self._beside(root, _STAGING), self._beside(root, _PREVIOUS)):
            if leftover.exists() and not (leftover / MARKER).is_file() and not made_by_us(leftover):
                raise OutputError("output", [f"{leftover}: exists and was not made by idle-assets; move it away"])
        previous = self._beside(root, _PREVIOUS)
        if previous.exists():
            if root.exists():
                shutil.rmtree(previous)
            else:
                os.replace(previous, root)
        staging = self._beside(root, _STAGING)
        if staging.exists():
            shutil.rmtree(staging)

    def staged(self, folder: Path) -> Path:
        """Where to write what belongs in ``folder`` (an output folder or one inside it)."""
        folder = Path(os.path.abspath(folder))
        for root in self.roots:
            if _within(folder, root):
                return self._beside(root, _STAGING) / folder.relative_to(root)
        raise ValueError(f"{folder} is not an output folder of this run")

    def final(self, path: Path) -> Path:
        """The path a staged file has once the outputs are swapped in."""
        path = Path(path)
        for root in self.roots:
            staging = self._beside(root, _STAGING)
            if _within(path, staging):
                return root / path.relative_to(staging)
        return path

    def commit(self) -> None:
        """Swap every staged folder in; the previous outputs are removed after."""
        try:
            for root in self.roots:
                previous = self._beside(root, _PREVIOUS)
                if root.exists():
                    if not (root / MARKER).is_file():  # an earlier version's folder: mark it as ours first
                        (root / MARKER).write_text("{}\n", encoding="utf-8")
                    os.replace(root, previous)
                os.replace(self._beside(root, _STAGING), root)
                if previous.exists():
                    shutil.rmtree(previous)
        except OSError as exc:
            raise write_error(exc, self.roots[0]) from None
        self.committed = True

    def _release(self) -> None:
        for lock in reversed(self._locks):
            lock.release()
        self._locks = []

    def __exit__(self, *exc) -> None:
        try:
            if not self.committed:
                for root in self.roots:
                    staging = self._beside(root, _STAGING)
                    if (staging / MARKER).is_file():
                        shutil.rmtree(staging, ignore_errors=True)
        finally:
            self._release()


def check_writable(folders: Iterable[Path], inputs: dict[str, Path]) -> None:
    """Raise :class:`OutputError` listing :func:`folder_problems`, if any."""
    problems = folder_problems(folders, inputs)
    if problems:
        raise OutputError("output", problems)


__all__ = ["MARKER", "OutputError", "StagedOutputs", "check_writable", "folder_problems", "made_by_us", "roots",
           "write_error"]
