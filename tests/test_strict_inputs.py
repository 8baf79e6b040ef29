"""Inputs that used to be taken silently or break a run (issue 26, items 7-11):
each is refused with a message naming the place, or read as the user meant."""

from __future__ import annotations

from pathlib import Path

from pipeline.cli import main

from test_trust import DEMO

ROOT = Path(__file__).resolve().parents[1]


def _demo_config_text(tmp: Path) -> str:
    return (ROOT / "configs" / "demo.yaml").read_text(encoding="utf-8").replace(
        "../data/raw/demo/", f"{DEMO}/")


# 7. a key given twice is an error naming both lines, in configs and in profiles
def test_duplicate_yaml_keys_are_refused_with_both_lines(tmp_path, capsys):
    text = _demo_config_text(tmp_path).replace(
        "    attach_distance_m: 50\n",
        "    attach_distance_m: 50\n    private: [notes, photo]\n    max_precision_m: 30\n    private: []\n")
    config = tmp_path / "project.yaml"
    config.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    first, second = [i + 1 for i, line in enumerate(lines) if line.strip().startswith("private:")]
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"line {second}: key 'private' repeats the key of line {first}" in err
    profile = tmp_path / "farm2.yaml"
    profile.write_text((ROOT / "pipeline" / "profiles" / "social_farm.yaml").read_text(encoding="utf-8")
                       .replace("name: social_farm", "name: farm2\nimpact: farm"), encoding="utf-8")
    config.write_text(_demo_config_text(tmp_path).replace(
        "  use: [social_farm,", f"  files: [{profile}]\n  use: [farm2, social_farm,"), encoding="utf-8")
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "farm2.yaml" in err and "line 9: key 'impact' repeats the key of line 3" in err
