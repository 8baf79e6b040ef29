"""A user's files are never deleted (issue 26, items 1-4): a folder is ours
only by our mark, files added to a finished output folder are kept, and an
output folder given through a symbolic link stays a link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.cli import main
from pipeline.common.outputs import MARKER, OutputError, StagedOutputs, check_writable, made_by_us

from test_trust import demo_data, every_file, write_config

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
