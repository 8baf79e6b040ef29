"""Where a run's outputs go, and how they get there whole.

A run writes every output into a staging folder beside each output folder
(``.<name>.idle-assets-staging``) and swaps it in only at the end, so the
previous complete output set stays in place until the new one is complete: a
failure at any stage, or a killed run, leaves it untouched. A lock beside the
folder (``.<name>.idle-assets.lock``) keeps two runs from writing one folder
at the same time; the second stops with a message.

Before anything is written the folders are checked: an output folder may not
be an existing file, may not hold any input of the run, and may not hold
files that idle-assets did not write. A folder is ours only by our mark (a
``.idle-assets`` file inside, listing the files the run wrote), or, for an
earlier version's output, by a ``manifest.json`` of ours that lists every
other file in it; anything else is refused with the unknown files named.
Files a user adds to a finished output folder (notes, photos) are not ours:
the next run carries them into its new folder and says so. Leftovers of an
interrupted run are recognised by their names and our mark, never by a
pattern over a user's files. A folder given through a symbolic link is
resolved first: the link is kept and its target is written.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Iterable
from pathlib import Path

from filelock import FileLock, Timeout

from .. import __version__
from .errors import ProblemsError

MARKER = ".idle-assets"
_STAGING = ".{}.idle-assets-staging"
_PREVIOUS = ".{}.idle-assets-previous"
_LOCK = ".{}.idle-assets.lock"

log = logging.getLogger(__name__)


class OutputError(ProblemsError):
    """An output folder cannot be used or written (the path and the reason)."""


def write_error(exc: OSError, fallback: Path) -> OutputError:
    """A plain error naming the path and the operating system's reason."""
    path = exc.filename or fallback
    return OutputError("output", [f"{path}: cannot write ({exc.strerror or exc}); check that the disk is not full "
                                  "and that the folder is writable"])


def real(path: Path) -> Path:
    """``path`` absolute, with every symbolic link on it resolved (the folder really written)."""
    return Path(os.path.realpath(path))


def _within(path: Path, folder: Path) -> bool:
    path, folder = real(path), real(folder)
    return path == folder or folder in path.parents


def roots(folders: Iterable[Path]) -> list[Path]:
    """The output folders that are not inside another one (``--out DIR`` puts maps in ``DIR/maps``)."""
    folders = list(dict.fromkeys(real(f) for f in folders))
    return [f for f in folders if not any(o != f and _within(f, o) for o in folders)]


def _files(folder: Path) -> set[str]:
    """Every file and symbolic link under ``folder``, as paths relative to it (``/`` separated)."""
    out: set[str] = set()
    for top, dirs, names in os.walk(folder):
        rel = Path(top).relative_to(folder)
        out.update((rel / n).as_posix() for n in names)
        out.update((rel / d).as_posix() for d in dirs if (Path(top) / d).is_symlink())
    return out


def _listed_in_manifest(folder: Path) -> set[str] | None:
    """The files an earlier version's ``manifest.json`` in ``folder`` lists
    (relative to ``folder``), None when there is no manifest of ours."""
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if not str(manifest.get("pipeline", "")).startswith("idle-assets"):
            return None
        listed = {"manifest.json"}
        for entry in manifest.get("outputs", []):
            path = Path(folder, str(entry["path"]))  # absolute in old manifests, relative to the manifest since
            if _within(path, folder):
                listed.add(real(path).relative_to(real(folder)).as_posix())
        return listed
    except (OSError, ValueError, AttributeError, KeyError, TypeError):
        return None


def written_by_us(folder: Path) -> set[str] | None:
    """The files of ``folder`` that idle-assets wrote (relative paths, our mark
    included), or None when the folder is not ours.

    Ours is a folder with our mark: the files the mark lists (a mark of an
    earlier version lists none: then the files its manifest lists). An
    unmarked folder is an earlier version's output only if its manifest of
    ours lists every file in it."""
    folder = Path(folder)
    mark = folder / MARKER
    if mark.is_file():
        try:
            listed = json.loads(mark.read_text(encoding="utf-8")).get("files")
        except (OSError, ValueError, AttributeError):
            listed = None
        if isinstance(listed, list):
            return {str(f) for f in listed} | {MARKER}
        return (_listed_in_manifest(folder) or set()) | {MARKER}
    listed = _listed_in_manifest(folder)
    if listed is not None and _files(folder) <= listed:
        return listed
    return None


def made_by_us(folder: Path) -> bool:
    """True when ``folder`` carries our mark, or is wholly an earlier version's output (see :func:`written_by_us`)."""
    return written_by_us(folder) is not None


def _named(names: Iterable[str], limit: int = 8) -> str:
    names = sorted(names)
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


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
            listed = _listed_in_manifest(folder) or set()
            problems.append(f"{folder}: holds files that idle-assets did not write ({_named(_files(folder) - listed)}); "
                            "give an empty or new folder (a folder of yours is never replaced)")
    return problems


def _users_files(old: Path, new: Path) -> list[Path]:
    """What is in the output folder ``old`` but was not written by us (whole
    folders where a folder is not ours), as paths relative to it; raises
    :class:`OutputError` naming any that a file in ``new`` would replace."""
    ours = written_by_us(old) or set()
    our_dirs = {p.as_posix() for f in ours for p in Path(f).parents}
    theirs = []
    for top, dirs, names in os.walk(old):
        rel = Path(top).relative_to(old)
        for d in list(dirs):
            if (rel / d).as_posix() not in our_dirs or (Path(top) / d).is_symlink():
                dirs.remove(d)
                names.append(d)
        theirs += [rel / n for n in names if (rel / n).as_posix() not in ours]
    clash = [p for p in theirs if os.path.lexists(new / p)]
    if clash:
        raise OutputError("output", [f"{old / p}: a file of yours has the name of an output of this run; move it "
                                     "away and run again (the previous outputs are kept)" for p in clash])
    return theirs


def _mark_legacy(folder: Path) -> None:
    """Give an earlier version's output folder a mark listing its files (read
    from its manifest while the manifest's paths still point at it)."""
    mark = folder / MARKER
    try:
        listed = json.loads(mark.read_text(encoding="utf-8")).get("files") if mark.is_file() else None
    except (OSError, ValueError, AttributeError):
        listed = None
    if not isinstance(listed, list):
        ours = sorted((written_by_us(folder) or set()) - {MARKER})
        mark.write_text(json.dumps({"written_by": "idle-assets (an earlier version)", "files": ours},
                                   ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def _carry_users_files(old: Path, new: Path) -> list[Path]:
    """Move the user's files of ``old`` into ``new``; the paths they now have."""
    kept = []
    for p in _users_files(old, new):
        (new / p).parent.mkdir(parents=True, exist_ok=True)
        os.replace(old / p, new / p)
        kept.append(new / p)
    return kept


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
        #: Files of the user's carried from the previous outputs into the new ones.
        self.kept: list[Path] = []

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
            if root.exists():  # the swap was done: the user's files may still be in the previous set
                _carry_users_files(previous, root)
                shutil.rmtree(previous)
            else:
                os.replace(previous, root)
        staging = self._beside(root, _STAGING)
        if staging.exists():
            shutil.rmtree(staging)

    def staged(self, folder: Path) -> Path:
        """Where to write what belongs in ``folder`` (an output folder or one inside it)."""
        folder = real(folder)
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
        """Swap every staged folder in; the previous outputs are removed after.

        The mark of each new folder lists the files this run wrote. Files of
        the previous folder that no run of ours wrote (a user's notes or
        photos) are moved into the new folder, and logged; one that would take
        the place of a new output stops the commit before anything moves."""
        try:
            for root in self.roots:
                staging = self._beside(root, _STAGING)
                ours = sorted(_files(staging) - {MARKER})
                (staging / MARKER).write_text(json.dumps({"written_by": f"idle-assets {__version__}", "files": ours},
                                                         ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
                if root.exists():
                    _users_files(root, staging)  # raises on a clash, before any folder moves
            for root in self.roots:
                previous = self._beside(root, _PREVIOUS)
                if root.exists():
                    _mark_legacy(root)
                    os.replace(root, previous)
                os.replace(self._beside(root, _STAGING), root)
                if previous.exists():
                    self.kept += _carry_users_files(previous, root)
                    shutil.rmtree(previous)
        except OSError as exc:
            raise write_error(exc, self.roots[0]) from None
        self.committed = True
        if self.kept:
            log.warning("kept %d file(s) that idle-assets did not write, now in the new outputs: %s",
                        len(self.kept), _named(str(p) for p in self.kept))

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


__all__ = ["MARKER", "OutputError", "StagedOutputs", "check_writable", "folder_problems", "made_by_us", "real", "roots",
           "write_error", "written_by_us"]
