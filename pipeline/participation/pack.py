"""``idle-assets open-call-form``: the open call's form for a project, with
the inventory's assets to pick from, written staged and swapped in whole."""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..common.config import ProjectConfig
from ..common.outputs import StagedOutputs, check_writable
from ..common.privacy import Privacy
from ..extract.registry import private_fields
from ..manifest import input_files
from ..publish.survey_form import write_survey_form
from ..runner import analyse, project_cache_dir
from .open_call import build_open_call_form


def default_folder(config: ProjectConfig) -> Path:
    """``<processed>/<project>-open-call``: beside the run's outputs, not inside them."""
    tables = config.output_dirs()[0]
    return tables.parent / f"{tables.name}-open-call"


def open_call_pack(config: ProjectConfig, folder: Path | None = None) -> list[Path]:
    """Write ``form.xlsx``, ``assets.csv`` and ``form.xml`` of the open call into
    ``folder`` (default :func:`default_folder`); nothing is written when
    pyxform reports a problem. Returns the files written."""
    folder = Path(folder) if folder else default_folder(config)
    inputs = dict(input_files(config))
    if config.source_file:
        inputs["config"] = Path(config.source_file)
    check_writable([folder], inputs)
    result = analyse(config, project_cache_dir(config))
    public = Privacy.of(result.features, private_fields(config)).frame(result.features)
    title = f"{config.project.title or config.project.name}: πρόσκληση εκδήλωσης ενδιαφέροντος / open call"
    form = build_open_call_form(public, list(result.profiles), title,
                                f"idle_assets_open_call_{config.project.name.replace('-', '_')}", __version__)
    with StagedOutputs([folder]) as staged:
        files = write_survey_form(staged.staged(folder), form)
        staged.commit()
    return [staged.final(f) for f in files]
