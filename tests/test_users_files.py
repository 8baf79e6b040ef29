"""A user's files are never deleted (issue 26, items 1-4): a folder is ours
only by our mark, files added to a finished output folder are kept, and an
output folder given through a symbolic link stays a link."""

from __future__ import annotations


import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.common.outputs import MARKER, OutputError, StagedOutputs, check_writable, made_by_us

from projects import demo_data, every_file, write_config
import os
import subprocess
import sys
from filelock import FileLock
from pipeline.common.config import config_from_dict, demo_config_path
from pipeline.runner import run_project
import hashlib
import signal
import time
from pipeline.common.config import load_config
from projects import DEMO, ROOT, file_digests

#: runs the pipeline (make test-fast leaves it out)
pytestmark = pytest.mark.slow


def _run_into(folder: Path, files: dict[str, str]) -> StagedOutputs:
    """What a run does to its output folder: stage ``files``, then swap them in."""
    with StagedOutputs([folder]) as staged:
        for name, text in files.items():
            target = staged.staged(folder) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        staged.commit()
    return staged


# 1. index.html + embed.html + other pages of the user's: not ours, refused, nothing deleted
def test_a_folder_of_html_pages_is_not_taken_for_ours(tmp_path, capsys):
    site = tmp_path / "site"
    site.mkdir()
    for name in ("index.html", "embed.html", "cv.html"):
        (site / name).write_text(f"<p>{name} of mine</p>", encoding="utf-8")
    before = every_file(site)
    assert not made_by_us(site)
    config = write_config(tmp_path, demo_data())
    assert main(["--quiet", "run", "--config", str(config), "--out", str(site)]) == 2
    err = capsys.readouterr().err
    assert "cv.html" in err and "did not write" in err
    assert every_file(site) == before


# 2. a manifest of ours does not make a folder ours when other files sit beside it
def test_a_manifest_of_ours_with_other_files_beside_it_is_refused(tmp_path):
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"pipeline": "idle-assets 0.1", "outputs": []}),
                                          encoding="utf-8")
    (folder / "thesis.docx").write_bytes(b"precious")
    with pytest.raises(OutputError, match="thesis.docx"):
        check_writable([folder], {})
    assert (folder / "thesis.docx").read_bytes() == b"precious"
    # an earlier version's output whose manifest lists every file in it is still recognised, and replaced
    old = tmp_path / "old"
    old.mkdir()
    (old / "ranking.csv").write_text("a,b\n", encoding="utf-8")
    (old / "manifest.json").write_text(json.dumps({"pipeline": "idle-assets 0.1", "outputs": [
        {"path": str(old / "ranking.csv"), "sha256": "x"}]}), encoding="utf-8")
    check_writable([old], {})
    _run_into(old, {"ranking.csv": "new\n"})
    assert sorted(every_file(old)) == [MARKER, "ranking.csv"]


# 3. a file the user adds to a finished output folder is kept by the next runs
def test_files_added_to_an_output_folder_are_kept(tmp_path, caplog):
    out = tmp_path / "out"
    _run_into(out, {"ranking.csv": "1\n", "maps/index.html": "<p>1</p>"})
    (out / "my notes.txt").write_text("mine", encoding="utf-8")
    (out / "photos").mkdir()
    (out / "photos" / "site.jpg").write_bytes(b"\xff\xd8")
    (out / "maps" / "annotated.png").write_bytes(b"png")
    (out / "maps" / "empty-folder-of-mine").mkdir()
    staged = _run_into(out, {"ranking.csv": "2\n", "maps/index.html": "<p>2</p>"})
    files = every_file(out)
    assert files["my notes.txt"] == b"mine" and files["photos/site.jpg"] == b"\xff\xd8"
    assert files["maps/annotated.png"] == b"png" and (out / "maps" / "empty-folder-of-mine").is_dir()
    assert files["ranking.csv"] == b"2\n"
    assert sorted(p.relative_to(out).as_posix() for p in staged.kept) == [
        "maps/annotated.png", "maps/empty-folder-of-mine", "my notes.txt", "photos"]
    assert "kept 4 file(s) that idle-assets did not write" in caplog.text
    # an output no longer written by a later run is ours, and goes
    _run_into(out, {"ranking.csv": "3\n"})
    assert "maps/index.html" not in every_file(out) and every_file(out)["my notes.txt"] == b"mine"
    # a file of the user's named as a new output stops the swap, and nothing moves
    (out / "figure.png").write_bytes(b"my figure")
    before = every_file(out)
    with pytest.raises(OutputError, match="figure.png"):
        _run_into(out, {"ranking.csv": "4\n", "figure.png": "ours"})
    assert every_file(out) == before
    assert not list(tmp_path.glob(".out.idle-assets-*ing")) + list(tmp_path.glob(".out.idle-assets-previous"))


def test_a_swap_cut_short_keeps_the_users_files(tmp_path):
    out = tmp_path / "out"
    _run_into(out, {"ranking.csv": "1\n"})
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    # killed between the swap and the carrying of the user's files: the previous set is beside the new one
    previous = tmp_path / ".out.idle-assets-previous"
    out.rename(previous)
    _run_into(tmp_path / "elsewhere", {"ranking.csv": "2\n"})
    (tmp_path / "elsewhere").rename(out)
    _run_into(out, {"ranking.csv": "3\n"})
    assert every_file(out)["notes.txt"] == b"mine" and not previous.exists()


# 4. --out through a symbolic link: the link stays, its target gets the outputs, runs keep working
def test_out_through_a_symbolic_link(tmp_path):
    target = tmp_path / "disk" / "results"
    target.mkdir(parents=True)
    link = tmp_path / "results"
    link.symlink_to(target, target_is_directory=True)
    config = write_config(tmp_path, demo_data())
    for _ in range(2):
        assert main(["--quiet", "run", "--config", str(config), "--out", str(link)]) == 0
        assert link.is_symlink() and link.resolve() == target.resolve()
        assert (target / "manifest.json").is_file() and (target / "maps" / "index.html").is_file()
    assert not [p.name for p in tmp_path.iterdir() if "idle-assets" in p.name]
    assert sorted(p.name for p in target.parent.iterdir()) == [".results.idle-assets.lock", "results"]


@pytest.mark.slow
def test_out_at_the_inputs_folder_is_refused_and_user_files_are_kept(tmp_path):
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    (inputs / "register.csv").write_bytes((DEMO / "asset_register.csv").read_bytes())
    (inputs / "notes.part.txt").write_text("a user's file", encoding="utf-8")
    (inputs / ".draft.part.csv").write_text("another", encoding="utf-8")
    data = demo_data()
    data["sources"]["register"]["path"] = str(inputs / "register.csv")
    config = write_config(tmp_path, data)
    before = every_file(inputs)
    assert main(["--quiet", "run", "--config", str(config), "--out", str(inputs)]) == 2
    assert every_file(inputs) == before
    # a folder of the user's that holds other files is not replaced either
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_bytes(b"precious")
    assert main(["--quiet", "run", "--config", str(config), "--out", str(mine)]) == 2
    assert every_file(mine) == {"thesis.docx": b"precious"}
    # a fresh folder beside the inputs is fine, and the user's files there stay
    assert main(["--quiet", "run", "--config", str(config), "--out", str(inputs / "results")]) == 0
    # beside the new folder only its lock file (empty) is added
    assert {k: v for k, v in every_file(inputs).items() if not k.startswith("results")} == {
        **before, ".results.idle-assets.lock": b""}
    assert not [p for p in tmp_path.glob(".*staging*")] + [p for p in inputs.glob(".*staging*")]


@pytest.mark.slow
def test_a_failure_while_publishing_keeps_the_previous_outputs(tmp_path, monkeypatch):
    out = tmp_path / "out"
    config = config_from_dict(demo_data(), demo_config_path().parent, "demo")
    run_project(config, out)
    good = every_file(out)
    import pipeline.publish.run as publishing

    def broken(*args, **kwargs):
        raise RuntimeError("figure writer crashed")

    monkeypatch.setattr(publishing, "write_figures", broken)
    with pytest.raises(RuntimeError):
        run_project(config, out, force=True)
    assert every_file(out) == good
    # the failed run's staging folder is gone; only the lock file stays beside the outputs
    assert [p.name for p in tmp_path.glob(".out.idle-assets*")] == [".out.idle-assets.lock"]


@pytest.mark.slow
def test_a_second_run_into_a_locked_folder_stops(tmp_path):
    out = tmp_path / "out"
    config = write_config(tmp_path, demo_data())
    with FileLock(tmp_path / ".out.idle-assets.lock"):
        proc = subprocess.run([sys.executable, "-m", "pipeline", "--quiet", "run", "--config", str(config), "--out",
                               str(out)], capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert proc.returncode == 2, proc.stderr
    assert "another idle-assets run is writing to this folder" in proc.stderr
    assert not out.exists()


@pytest.mark.slow
def test_out_at_a_file_a_write_failure_and_a_fifo_are_plain_errors(tmp_path, capsys, monkeypatch):
    config = write_config(tmp_path, demo_data())
    (tmp_path / "a_file").write_text("mine", encoding="utf-8")
    assert main(["--quiet", "run", "--config", str(config), "--out", str(tmp_path / "a_file")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert (tmp_path / "a_file").read_text(encoding="utf-8") == "mine"
    # an output folder that cannot be made (its parent is a file)
    assert main(["--quiet", "run", "--config", str(config), "--out", str(tmp_path / "a_file" / "sub")]) == 2
    err = capsys.readouterr().err
    assert "cannot write" in err and "internal error" not in err
    # a full disk while publishing: the path and the OS reason
    import errno

    import pipeline.publish.run as publishing

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp_path / "out" / "annex.md"))

    monkeypatch.setattr(publishing, "write_annex", full)
    assert main(["--quiet", "run", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "annex.md: cannot write (No space left on device)" in err and not (tmp_path / "out").exists()
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)
    assert main(["--quiet", "validate", "--config", str(fifo)]) == 2
    assert "not a regular file" in capsys.readouterr().err


@pytest.mark.slow
def test_validate_checks_the_output_folder(tmp_path, capsys):
    config = write_config(tmp_path, demo_data())
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "report.docx").write_bytes(b"x")
    assert main(["--quiet", "validate", "--config", str(config), "--out", str(tmp_path / "taken")]) == 2
    assert "holds files that idle-assets did not write" in capsys.readouterr().err
    assert main(["--quiet", "validate", "--config", str(config), "--out", str(tmp_path / "new")]) == 0


@pytest.mark.slow
def test_a_run_killed_mid_write_leaves_the_previous_outputs_intact(tmp_path):
    out = tmp_path / "out"
    staging = tmp_path / ".out.idle-assets-staging"
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    cmd = [sys.executable, "-m", "pipeline", "--quiet", "run", "--demo", "--out", str(out)]
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    good = file_digests(out)
    assert len(good) > 40
    killed_mid_write = False
    for _ in range(10):
        proc = subprocess.Popen(cmd + ["--force"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if (staging / "maps").is_dir():  # publishing has begun: tables written, maps under way
                proc.send_signal(signal.SIGKILL)
                killed_mid_write = True
                break
            time.sleep(0.0005)
        proc.wait()
        if killed_mid_write:
            break
    assert killed_mid_write, "the run always finished before it could be killed mid-write"
    # the previous output set is there, whole and unchanged, manifest included
    assert file_digests(out) == good
    # the next run clears what the killed run left (its staging folder) and swaps in a complete set
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    assert not staging.exists() and not list(tmp_path.glob(".out.idle-assets-previous"))
    again = file_digests(out)
    assert set(again) == set(good)
    # the same outputs, but for the annex, which now opens with what changed since the run before: nothing
    same = lambda files: {k: v for k, v in files.items() if k != "manifest.json" and not k.startswith("annex.")}
    assert same(again) == same(good)
    text = (out / "annex.md").read_text(encoding="utf-8")
    assert "What changed since the last run" in text and "Καμία αλλαγή. / Nothing changed." in text


@pytest.mark.slow
def test_raw_inputs_are_never_modified(shared, tmp_path):
    config = load_config(ROOT / "configs" / "volos.yaml")
    raw = [p for p in (ROOT / "data" / "raw").rglob("*") if p.is_file()] + [p for p in shared.rglob("*") if p.is_file()]
    folders = [p for root in (ROOT / "data" / "raw", shared) for p in (root, *root.rglob("*")) if p.is_dir()]
    before = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in raw}
    folders_before = {p: p.stat().st_mtime_ns for p in folders}  # a file created and deleted there changes it
    run_project(config, tmp_path)
    after = {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns) for p in raw}
    assert before == after
    assert folders_before == {p: p.stat().st_mtime_ns for p in folders}
    assert {p for p in (ROOT / "data" / "raw").rglob("*") if p.is_file()} | {p for p in shared.rglob("*") if p.is_file()} == set(raw)
