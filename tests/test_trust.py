"""Nothing a user owns is overwritten or lost, and user errors are plain errors:
one test per finding of the trust review (issue 11), each failing before its fix."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from filelock import FileLock

from pipeline.cli import main
from pipeline.common.config import config_from_dict, demo_config_path, read_yaml
from pipeline.common.errors import IdleAssetsError
from pipeline.extract import RawSources
from pipeline.extract.survey import read_survey
from pipeline.extract.registry import private_fields
from pipeline.extract.survey import SurveySource
from pipeline.publish import view_of
from pipeline.publish.maps import build_map, render
from pipeline.publish.tables import sheet_names
from pipeline.runner import project_cache_dir, run_project

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "raw" / "demo"


def demo_data(tmp: Path | None = None) -> dict:
    data = read_yaml(demo_config_path())
    data["sources"]["register"]["path"] = str(DEMO / "asset_register.csv")
    data["sources"]["survey"]["path"] = str(DEMO / "field_survey.csv")
    return data


def write_config(tmp: Path, data: dict, name: str = "project.yaml") -> Path:
    path = tmp / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def every_file(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# 1. template syntax in a text reaching the map page is never evaluated
def test_map_page_takes_input_text_as_data(toy_osm, toy_boundary):
    from pipeline.common.config import ProfilesSpec
    from pipeline.features import compute_features
    from pipeline.plan.match import best_use
    from pipeline.score.profiles import fit_to_sources, load_profiles
    from pipeline.publish.tables import public_inventory
    from pipeline.score import score
    from pipeline.transform import transform

    toy_osm.features.loc[toy_osm.features["osm_ref"] == "way/2", "name"] = "Old mill {{ 6*7 }} {# open {% if 1 %}"
    prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
    feats = compute_features(prepared.inventory, prepared.context)
    profiles, _ = fit_to_sources(load_profiles(ProfilesSpec(use=["social_farm"])), prepared.context.sources())
    scored = score(feats, profiles)
    matching = best_use(feats, scored.scores, [p.name for p in profiles])
    public = public_inventory(feats, scored.scores, matching)
    view = view_of(public, scored.scores, profiles, prepared.context.boundary, explanations=scored.explanations,
                   credits=["credit"])
    m = build_map(view, profiles, "Title {{ 7*6 }}")
    page = render(m, self_contained=False)
    assert "Old mill {{ 6*7 }} {# open {% if 1 %}" in page and "Old mill 42" not in page
    assert "Title {{ 7*6 }}" in page and "Title 42" not in page
    # the same map renders to the same bytes (no random element ids)
    assert render(build_map(view, profiles, "Title {{ 7*6 }}"), self_contained=False) == page


# 5. an output folder holding an input is refused; a user's files are never touched
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


# 6. a failure in the last stage leaves the previous complete outputs untouched
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


# 7. a second run into the same folder stops with a clear message, exit 2
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


# 8. an input that changes while it is read is detected, and nothing stale is cached
@pytest.mark.slow
def test_an_input_changed_during_the_run_is_detected(tmp_path, monkeypatch):
    register = tmp_path / "register.csv"
    register.write_bytes((DEMO / "asset_register.csv").read_bytes())
    data = demo_data()
    data["sources"]["register"]["path"] = str(register)
    config = config_from_dict(data, tmp_path, "demo")
    import dataclasses

    import pipeline.runner as runner

    def edit_after(stage):
        def extract_then_edit(*args):
            raw = stage.func(*args)
            register.write_text(register.read_text(encoding="utf-8").replace("Town hall annex", "Town hall"),
                                encoding="utf-8")
            return raw
        return dataclasses.replace(stage, func=extract_then_edit)

    # the declared extract stage edits the register once it has read it
    monkeypatch.setattr(runner, "STAGES", tuple(edit_after(s) if s.name == "extract" else s for s in runner.STAGES))
    with pytest.raises(IdleAssetsError, match="changed while this run was reading it"):
        run_project(config, tmp_path / "out")
    assert not (tmp_path / "out").exists()
    folder = project_cache_dir(config)
    assert not folder.exists() or not any(folder.iterdir())


# 9. the stage cache is outside the outputs, holds no pickle, and a planted file cannot run code
@pytest.mark.slow
def test_stage_cache_cannot_run_code_and_clears_leftovers(tmp_path, monkeypatch):
    config = config_from_dict(demo_data(), demo_config_path().parent, "demo")
    out = tmp_path / "out"
    first = run_project(config, out)
    folder = project_cache_dir(config)
    entry = next(p for p in folder.iterdir() if p.is_dir())
    assert not _inside(folder, out) and not list(entry.rglob("*.pkl"))
    assert {p.suffix for p in entry.iterdir()} <= {".parquet", ".json", ".npy"}
    # a pickle planted where the old cache lived is never read; a damaged entry is recomputed
    marker = tmp_path / "RAN"
    import pickle

    class Evil:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    (out / ".stage-cache").mkdir(exist_ok=True)
    (out / ".stage-cache" / f"features-{entry.name}.pkl").write_bytes(pickle.dumps(Evil()))
    (entry / "features.parquet").write_bytes(pickle.dumps(Evil()))
    (folder / f"{entry.name}.xyz.part").mkdir()
    second = run_project(config, tmp_path / "out2")
    assert not marker.exists() and second.stage_cache == "miss"
    assert not list(folder.glob("*.part"))
    pd.testing.assert_frame_equal(first.scored.scores, second.scored.scores)


def _inside(a: Path, b: Path) -> bool:
    a, b = Path(os.path.abspath(a)), Path(os.path.abspath(b))
    return a == b or b in a.parents


# 10. private names: the file's own column name or the canonical one; unknown names are errors
@pytest.mark.slow
def test_private_names_by_file_or_canonical_name_and_unknown_refused(tmp_path):
    data = demo_data()
    data["sources"]["survey"]["private"] = ["photo_url", "Notes"]
    data["sources"]["register"]["private"] = ["Ιδιοκτησία"]
    config = config_from_dict(data, tmp_path, "demo")
    assert config.sources["survey"].private == ["photo", "notes"] and config.sources["register"].private == ["owner"]
    assert private_fields(config) == {"photos", "survey_notes", "owner"}
    run_project(config, tmp_path / "out")
    text = "".join(p.read_text(encoding="utf-8-sig") for p in (tmp_path / "out").rglob("*")
                   if p.suffix in {".csv", ".html", ".md"})
    assert "example.org/demo/9001.jpg" not in text and "roof sound" not in text
    data["sources"]["survey"]["private"] = ["phone_number"]
    with pytest.raises(IdleAssetsError) as err:
        config_from_dict(data, tmp_path, "demo")
    assert "'phone_number' is not a column of this source" in str(err.value) and "photo (photo_url" in str(err.value)


# 11. KoboToolbox group names in headers; repeated submissions counted once; unused columns reported
def test_kobo_group_headers_and_repeated_submissions(tmp_path):
    survey = tmp_path / "kobo.csv"
    survey.write_text(
        "_id,_uuid,site/_geolocation,site/occupancy,site/condition,site/notes,site/photo_url,site/roof_colour\n"
        '1,aaa,"[60.531759, 26.957567]",vacant,poor,roof leaks,https://example.org/1.jpg,red\n'
        '2,aaa,"[60.531759, 26.957567]",vacant,poor,roof leaks,https://example.org/1.jpg,red\n'
        '3,bbb,"[60.522158, 26.939352]",abandoned,ruin,no roof,,grey\n', encoding="utf-8")
    notes: list[dict] = []
    df = read_survey(SurveySource.model_validate({"path": survey}), notes)
    assert list(df["survey_id"]) == ["1", "3"]
    assert list(df["occupancy"]) == ["vacant", "abandoned"] and list(df["condition"]) == ["poor", "ruin"]
    assert df["notes"].tolist() == ["roof leaks", "no roof"] and df["photo"].iloc[0] == "https://example.org/1.jpg"
    actions = {n["action"]: n for n in notes}
    assert actions["skipped: repeated submissions (same _uuid), counted once"]["detail"] == "row 3 (aaa)"
    assert actions["not used: columns the pipeline does not read"]["detail"] == "site/roof_colour"


# 12. reserved profile names are refused; sheet names stay unique
def test_reserved_profile_names_and_unique_sheet_names(tmp_path):
    profile = yaml.safe_load((ROOT / "pipeline" / "score" / "profiles" / "social_farm.yaml").read_text(encoding="utf-8"))
    profile["name"] = "index"
    (tmp_path / "index.yaml").write_text(yaml.safe_dump(profile, allow_unicode=True), encoding="utf-8")
    data = demo_data()
    data["profiles"] = {"use": ["index"], "files": [str(tmp_path / "index.yaml")]}
    config = write_config(tmp_path, data)
    assert main(["--quiet", "validate", "--config", str(config)]) == 2
    long = ["a_use_with_a_very_long_name_number_1", "a_use_with_a_very_long_name_number_2", "Plan"]
    names = sheet_names(["plan", *long])
    assert len({n.casefold() for n in names.values()}) == 4 and all(len(n) <= 31 for n in names.values())


# 13. user errors are plain errors (exit 2), never "internal error"
@pytest.mark.parametrize("change, message", [
    (lambda d, t: d["sources"]["register"].update(encoding="klingon"), "unknown text encoding 'klingon'"),
    (lambda d, t: d.update(sensitivity={"seed": -1}), "sensitivity.seed"),
    (lambda d, t: d["profiles"].update(weights={"social_farm": {"area_m2": float("inf")}}), "finite number"),
    (lambda d, t: d["profiles"].update(weights={"social_farm": {"area_m2": float("nan")}}), "finite number"),
    (lambda d, t: d.update(impact={"farm": {"cultivable_share": {"value": float("inf"), "source": "mine"}}}),
     "finite number"),
])
def test_config_values_that_used_to_crash(tmp_path, capsys, change, message):
    data = demo_data()
    change(data, tmp_path)
    config = write_config(tmp_path, data)
    assert main(["--quiet", "run", "--config", str(config), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert message in err and "internal error" not in err


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


def test_register_area_zero_is_an_invalid_area(tmp_path, capsys):
    register = tmp_path / "register.csv"
    register.write_text("register_id,name,status,kind,x,y,area_m2\nR1,lot,idle,land,26.9419,60.5344,0\n"
                        "R2,lot,idle,land,26.9419,60.5345,-50\n", encoding="utf-8")
    data = demo_data()
    data["sources"]["register"]["path"] = str(register)
    config = write_config(tmp_path, data)
    assert main(["--quiet", "validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "row 2 (R1): invalid area_m2 0" in err and "row 3 (R2): invalid area_m2 -50" in err
    assert "outside the boundary" not in err


# 14. validate finds what would make run fail before any input is read
@pytest.mark.slow
def test_validate_checks_the_output_folder(tmp_path, capsys):
    config = write_config(tmp_path, demo_data())
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "report.docx").write_bytes(b"x")
    assert main(["--quiet", "validate", "--config", str(config), "--out", str(tmp_path / "taken")]) == 2
    assert "holds files that idle-assets did not write" in capsys.readouterr().err
    assert main(["--quiet", "validate", "--config", str(config), "--out", str(tmp_path / "new")]) == 0
