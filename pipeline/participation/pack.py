"""``idle-assets open-call-form``, ``report-form``, ``weights-form`` and
``workshop-pack``: a project's forms for people, with the inventory's assets
to pick from, and the printed pack of a workshop; each written staged and
swapped in whole."""

from __future__ import annotations

from pathlib import Path

from .. import __version__
from ..common.config import ProjectConfig
from ..common.outputs import StagedOutputs, check_writable
from ..common.privacy import Privacy
from ..extract.registry import private_fields
from ..manifest import input_files
from ..common.errors import InputError
from ..publish.run import published_view
from ..publish.survey_form import write_survey_form
from ..publish.workshop_pack import pack_html, write_workshop_pack
from ..runner import analyse, project_cache_dir
from .open_call import build_open_call_form
from .reports import build_report_form
from .workshops import build_weights_form


#: Each form: its folder's suffix, its title and the builder of its sheets.
FORMS = {
    "open-call": ("πρόσκληση εκδήλωσης ενδιαφέροντος / open call",
                  lambda public, profiles, title, form_id: build_open_call_form(public, profiles, title, form_id, __version__)),
    "reports": ("αναφορές πολιτών / citizens' reports",
                lambda public, _profiles, title, form_id: build_report_form(public, title, form_id, __version__)),
    "weights": ("βάρη κριτηρίων (εργαστήριο) / workshop weights",
                lambda _public, profiles, title, form_id: build_weights_form(profiles, title, form_id, __version__)),
}


def default_folder(config: ProjectConfig, kind: str = "open-call") -> Path:
    """``<processed>/<project>-<kind>``: beside the run's outputs, not inside them."""
    tables = config.output_dirs()[0]
    return tables.parent / f"{tables.name}-{kind}"


def _writable(config: ProjectConfig, folder: Path) -> None:
    inputs = dict(input_files(config))
    if config.source_file:
        inputs["config"] = Path(config.source_file)
    check_writable([folder], inputs)


def form_pack(config: ProjectConfig, kind: str, folder: Path | None = None) -> list[Path]:
    """Write ``form.xlsx``, ``assets.csv`` and ``form.xml`` of the ``kind``
    form (:data:`FORMS`) into ``folder`` (default :func:`default_folder`);
    nothing is written when pyxform reports a problem. Returns the files written."""
    folder = Path(folder) if folder else default_folder(config, kind)
    _writable(config, folder)
    result = analyse(config, project_cache_dir(config))
    public = Privacy.of(result.features, private_fields(config)).frame(result.features)
    heading, build = FORMS[kind]
    form = build(public, list(result.profiles), f"{config.project.title or config.project.name}: {heading}",
                 f"idle_assets_{kind.replace('-', '_')}_{config.project.name.replace('-', '_')}")
    with StagedOutputs([folder]) as staged:
        files = write_survey_form(staged.staged(folder), form)
        staged.commit()
    return [staged.final(f) for f in files]


def workshop_pack(config: ProjectConfig, folder: Path | None = None, pdf: bool = True) -> list[Path]:
    """Write the printed workshop pack (:mod:`pipeline.publish.workshop_pack`)
    into ``folder`` (default ``<tables>-workshop``): the run's public view, so
    no private field reaches paper. Returns the files written."""
    folder = Path(folder) if folder else default_folder(config, "workshop")
    _writable(config, folder)
    view = published_view(analyse(config, project_cache_dir(config)))
    if view.inventory.empty:
        raise InputError(f"project {config.project.name}", ["the inventory is empty: a workshop pack needs assets"])
    uses = [(p.name, p.label.el, p.label.en) for p in view.profiles]
    page, numbers = pack_html(view.inventory, view.scores, uses, view.context, view.boundary, view.title,
                              list(view.credits))
    with StagedOutputs([folder]) as staged:
        files = write_workshop_pack(staged.staged(folder), page, numbers, list(view.credits), pdf and config.output.pdf)
        staged.commit()
    return [staged.final(f) for f in files]
