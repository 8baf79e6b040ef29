"""Command-line interface: ``idle-assets run | init | validate``.

Logging is configured here and only here. Errors the user can fix print as
plain messages (exit code 2); ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import logging
import os
import re
import sys
import time
from pathlib import Path

from . import __version__
from .common import _memory
from .common.config import demo_config_path, load_config
from .common._text import terminal_text
from .common.errors import ConfigError, IdleAssetsError, InputError
from .ledger.commands import add_parsers as add_status_parsers

log = logging.getLogger("pipeline")

RUN_EXAMPLES = """\
examples:
  idle-assets run --demo                           # the bundled demo project
  idle-assets run --config configs/volos.yaml
  idle-assets run --config configs/volos.yaml --out /tmp/volos
  idle-assets run --config configs/volos.yaml --engine dask --workers 2
  idle-assets run --config configs/volos.yaml --engine dask --scheduler tcp://10.0.0.5:8786
  idle-assets run --config configs/greece.yaml --engine dask   # every municipality, and a national summary
"""
INIT_EXAMPLES = """\
examples:
  idle-assets init --municipality 9105 --osm volos.osm.pbf \\
      --boundaries kallikratis_dimoi_simpl50m.gpkg --out configs/volos.yaml
  idle-assets init --municipality "Βόλου" --osm volos.osm.pbf --boundaries dimoi.gpkg
"""
VALIDATE_EXAMPLES = """\
examples:
  idle-assets validate --config configs/volos.yaml
"""


def _default_boundaries() -> Path | None:
    root = os.environ.get("IDLE_ASSETS_SHARED_DATA")
    candidates = [Path(root) / "boundaries"] if root else []
    candidates.append(Path(__file__).resolve().parents[2] / "shared" / "data" / "boundaries")
    for folder in candidates:
        f = folder / "kallikratis_dimoi_simpl50m.gpkg"
        if f.exists():
            return f
    return None


@contextlib.contextmanager
def _engine(args: argparse.Namespace):
    """``None`` for the local engine, else a Dask client (closed after)."""
    if args.engine != "dask":
        yield None
        return
    try:
        from .distributed import connect
    except ImportError as exc:
        raise ConfigError("--engine dask", [f"needs dask.distributed ({exc}): pip install -e '.[scale]'"]) from None
    if not args.debug:  # the cluster's own INFO lines drown the run's log
        logging.getLogger("distributed").setLevel(logging.WARNING)
    with connect(args.scheduler, args.workers) as client:
        yield client


def _national(config, config_path: Path, out: Path | None, client, force: bool, start: float) -> int:
    from .national import SUMMARY, run_national

    summary = run_national(config, out, client, force)
    tables, _ = config.output_dirs(out)
    failed = summary[summary["status"] != "ok"]
    print(f"idle-assets {__version__}: national run '{config.project.name}' ({config_path}): "
          f"{len(summary)} municipalities, {len(failed)} failed")
    for row in failed.itertuples():
        print(terminal_text(f"  {row.code} {row.name}: {row.error}"))
    print(f"summary: {Path(tables) / SUMMARY}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return 2 if len(failed) else 0


def run_summary(result, top: int = 3) -> str:
    """A short text summary of a run: assets found, their confidence and
    ownership, coverage, the top assets per use, and the plan."""
    from .common.evidence import CONFIDENCE, PUBLIC
    from .plan import plan_totals
    from .common.i18n import completeness_text, coverage_note
    from .transform.completeness import completeness_of

    inv, ctx = result.features, result.prepared.context
    confidence = inv["confidence"].value_counts()
    lines = [f"{len(inv)} idle assets ({(inv['kind'] == 'land').sum()} land, "
             f"{(inv['kind'] == 'building').sum()} buildings) in {result.config.project.title or result.config.project.name}"
             f"; {coverage_note(result.prepared.coverage, result.prepared.coverage_basis)}",
             "  " + (completeness_text(*completeness_of(ctx))
                     or "no built-up land mapped in OSM here: how completely OSM maps the buildings is not known"),
             "  confidence: " + ", ".join(f"{confidence.get(c, 0)} {c}" for c in CONFIDENCE)
             + f"; {int(result.features['ownership'].isin(PUBLIC).sum())} public, "
             f"{len(result.prepared.conflicts)} conflicts between sources"]
    names = inv.set_index("asset_id")["name"]
    for p in result.profiles:
        s = result.scored.scores
        s = s[(s["use"] == p.name) & s["eligible"]].sort_values(["rank", "asset_id"]).head(top)
        best = ", ".join(f"{names.get(a) or a} ({v:.0f})" for a, v in zip(s["asset_id"], s["score"])) or "no eligible asset"
        lines.append(f"  {p.label.en}: {best}")
    total = plan_totals(result.plan).iloc[-1]
    lines.append(f"plan: {total['sites']:.0f} assets assigned; {total['usable_ha']:.2f} ha usable, "
                 f"{total['kwp']:,.0f} kWp of solar ({total['mwh_per_year']:,.0f} MWh/year), "
                 f"{total['cultivable_ha']:.2f} ha cultivable, about {total['jobs']:.0f} jobs")
    for t in result.targets.itertuples():
        if t.unmet > 0:
            lines.append(f"  unmet target: {t.target}: reached {t.reached:g} of {t.target_value:g} {t.unit}")
    return "\n".join(lines)


def cmd_run(args: argparse.Namespace) -> int:
    from .runner import run_project

    if args.config and args.demo:
        raise ConfigError("run", ["give --config FILE or --demo, not both"])
    if not args.config and not args.demo:
        raise ConfigError("run", ["no project given: add --config FILE (your project's YAML; 'idle-assets init' "
                                  "writes one), or --demo to run the bundled demo (a Finnish test town)"])
    config_path = Path(args.config) if args.config else demo_config_path()
    config = load_config(config_path)
    start = time.perf_counter()
    out = Path(args.out) if args.out else None
    with _engine(args) as client:
        if config.national is not None:
            return _national(config, config_path, out, client, args.force, start)
        compare = Path(args.compare) if args.compare else None
        result = run_project(config, out, force=args.force, cdn=args.cdn, client=client, compare=compare)
    print(f"idle-assets {__version__}: project '{config.project.name}' ({config_path})")
    print(terminal_text(run_summary(result)))
    if result.changes is not None:
        from .common.changes import summary as change_summary

        print(terminal_text(f"changes since the run in {result.compared_with}: {change_summary(result.changes)} "
                            "(changes.csv, and the annex's first section)"))
    if result.ledger is not None:
        assert config.ledger is not None
        print(terminal_text(f"ledger ({config.ledger.path or 'PostgreSQL'}): {result.ledger.summary()}; "
                            "see 'idle-assets status'"))
    print("files written:")
    for f in result.files:
        print(f"  {f}")
    map_file = next((f for f in result.files if f.suffix == ".html"), None)
    if map_file:
        print(f"open the map: {map_file.resolve().as_uri()}")
    cached = " (extract, transform and features from the stage cache; --force recomputes)" if result.stage_cache == "hit" else ""
    print(f"done in {time.perf_counter() - start:.1f} s{cached}")
    return 0


def _positive_int(text: str) -> int:
    """An argument that must be a whole number of 1 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value}: give 1 or more")
    return value


def cmd_survey_form(args: argparse.Namespace) -> int:
    """Write the survey pack of a project: the form (XLSForm, its asset list,
    the XForm), what to survey first, the route and the field sheet."""
    from .survey.pack import parse_start, survey_pack

    config_path = Path(args.config) if args.config else demo_config_path()
    config = load_config(config_path)
    start = parse_start(args.start) if args.start else None
    pack = survey_pack(config, Path(args.out) if args.out else None, args.visits, start)
    stops = len(pack.route_table) - 1
    print(f"survey pack for '{config.project.name}': a form for {len(pack.priority)} assets, converted by pyxform "
          f"without errors or warnings; a route of {stops} stops, {pack.route.total_m / 1000:.1f} km round trip")
    print("what to survey first:")
    for r in pack.priority.head(5).itertuples():
        print(terminal_text(f"  {r.priority_rank}. {r.name} [{r.asset_id}] ({r.priority:g}): {r.reason_en}"))
    print("files written:")
    for f in pack.files:
        print(f"  {f}")
    printed = "field_sheet.pdf" if any(f.name == "field_sheet.pdf" for f in pack.files) else (
        "field_sheet.html (no PDF: WeasyPrint is not installed, pip install -e '.[pdf]', or output.pdf is false)")
    print(f"upload form.xlsx with assets.csv as its media file to KoboToolbox or ODK Central; print {printed} "
          "for surveyors without phones")
    return 0


def cmd_form(args: argparse.Namespace) -> int:
    """Write the open call's or the citizens' report form of a project."""
    from .participation.pack import form_pack

    config = load_config(Path(args.config) if args.config else demo_config_path())
    files = form_pack(config, args.kind, Path(args.out) if args.out else None)
    print(f"{args.kind} form for '{config.project.name}', converted by pyxform without errors or warnings:")
    for f in files:
        print(f"  {f}")
    then = {"open-call": "point sources.organisations at its export (CSV or XLSX): it is read with no mapping",
            "reports": "run 'idle-assets reports-moderation' on its export",
            "weights": "set profiles.workshop to its export: the run takes the group's weights"}[args.kind]
    print(f"upload form.xlsx with assets.csv as its media file to KoboToolbox or ODK Central; {then}")
    return 0


def cmd_workshop_pack(args: argparse.Namespace) -> int:
    """Write the printed pack of a workshop."""
    from .participation.pack import workshop_pack

    config = load_config(Path(args.config) if args.config else demo_config_path())
    files = workshop_pack(config, Path(args.out) if args.out else None)
    print(f"workshop pack for '{config.project.name}':")
    for f in files:
        print(f"  {f}")
    if not any(f.suffix == ".pdf" for f in files):
        print("no PDF: WeasyPrint is not installed (pip install -e '.[pdf]') or output.pdf is false; print the HTML")
    print("print the map sheets and the dot-voting sheet on A3, the cards on A4; numbers.csv says which asset each "
          "number is. Collect weights with 'idle-assets weights-form'.")
    return 0


def cmd_reports_moderation(args: argparse.Namespace) -> int:
    """Write the moderation workbook of a report form's export."""
    from .participation.reports import check_kinds, moderation_rows, write_moderation_workbook

    target = Path(args.out)
    if target.exists():
        raise ConfigError(f"--out {target}", ["the file exists: give another name (a file of yours is never overwritten)"])
    rows = moderation_rows(Path(args.export))
    problems = check_kinds(rows)
    if problems:
        raise InputError(f"report form export {args.export}", problems)
    write_moderation_workbook(rows, target)
    print(terminal_text(f"wrote {target}: {len(rows)} report(s) to accept (δεκτή / accept) or reject with a reason; "
                        "then set sources.reports: {path: " + str(target) + "} and run"))
    return 0


def cmd_init(args: argparse.Namespace) -> int:
    from .common import settings
    from .common.i18n import coverage_figure, coverage_note
    from .init_config import declared_coverage, find_municipality, municipality_config, project_name
    from .common.io import write_text

    boundaries = Path(args.boundaries) if args.boundaries else _default_boundaries()
    if boundaries is None:
        raise IdleAssetsError("no Kallikratis boundaries file: pass --boundaries FILE "
                              "(e.g. kallikratis_dimoi_simpl50m.gpkg from geodata.gov.gr)")
    name, code = find_municipality(args.municipality, boundaries)
    out = Path(args.out) if args.out else Path("configs") / f"{project_name(name, code)}.yaml"
    if out.exists() and not args.force:
        raise IdleAssetsError(f"{out} exists; pass --force to overwrite it")
    write_text(municipality_config(name, code, Path(args.osm), boundaries, out), out)
    print(f"wrote {out} for Δήμος {name} ({code})")
    coverage, basis = declared_coverage(Path(args.osm), boundaries, code)
    if coverage is None:
        print("the OSM extract declares no bounds: `validate` measures how much of the municipality it covers")
    else:
        print(f"{coverage_note(coverage, basis or 'declared')} of Δήμος {name}")
    if coverage is not None and coverage < settings.MIN_COVERAGE:
        print(f"warning: the OSM extract covers {coverage_figure(coverage)} of Δήμος {name}: a run stops below "
              f"{settings.MIN_COVERAGE:.0%}. Use an extract of the whole municipality (e.g. Geofabrik's Greece "
              "extract), or add `partial: true` under sources.osm to go on with the figure printed on every output")
    print(f"next: idle-assets validate --config {out} && idle-assets run --config {out}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from .extract import extract
    from .score.profiles import load_profiles
    from .common.i18n import coverage_note
    from .runner import check_coverage, preflight, prepare

    config = load_config(Path(args.config))
    profiles = load_profiles(config.profiles)
    if config.national is None:
        preflight(config, Path(args.out) if args.out else None)
    prepared = prepare(config, extract(config, [p.name for p in profiles]))
    print(f"config {args.config}: valid; {len(profiles)} use profiles: {', '.join(p.name for p in profiles)}")
    print(f"project CRS: {prepared.crs.to_string()}; {coverage_note(prepared.coverage, prepared.coverage_basis)} of the boundary")
    check_coverage(config, prepared)
    report = prepared.report.frame()
    for row in report.itertuples():
        print(terminal_text(f"  {row.source}: {row.action}: {row.count}" + (f" ({row.detail})" if row.detail else "")))
    dropped = report[report["action"].str.startswith(("dropped", "not attached"))]
    if len(dropped):
        print(f"warning: {int(dropped['count'].sum())} input records were dropped or not attached (listed above)")
    print(f"{len(prepared.inventory)} idle assets would be scored")
    return 0


def cmd_criteria(_args: argparse.Namespace) -> int:
    """Print the criteria library (plugins' criteria included) as a Markdown table."""
    from .features import criteria_markdown
    from .plugins import load_plugins

    load_plugins()
    print(criteria_markdown(), end="")
    return 0


class Parser(argparse.ArgumentParser):
    """argparse with suggestions: a misspelt option or command is answered
    with the closest one the tool knows (``--fource``: did you mean ``--force``?)."""

    def _known(self) -> tuple[list[str], list[str]]:
        options = [o for a in self._actions for o in a.option_strings]
        commands: list[str] = []
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                commands += list(action.choices)
                options += [o for sub in action.choices.values() for a in sub._actions for o in a.option_strings]
        return options, commands

    def error(self, message: str):
        options, commands = self._known()
        hints = []
        if (unknown := re.search(r"unrecognized arguments: (.+)", message)):
            for arg in unknown.group(1).split():
                close = difflib.get_close_matches(arg.split("=")[0], options, n=1) if arg.startswith("-") else []
                hints += [f"{arg}: did you mean {close[0]}?"] if close else []
        if (choice := re.search(r"invalid choice: '([^']+)'", message)):
            close = difflib.get_close_matches(choice.group(1), commands, n=1)
            hints += [f"{choice.group(1)}: did you mean {close[0]}?"] if close else []
        super().error("\n  ".join([message, *hints]))


#: The forms for people: command, kind (pipeline.participation.pack.FORMS), help, what the form asks.
PEOPLES_FORMS = (
    ("open-call-form", "open-call", "write the open call's form (XLSForm) for organisations' expressions of interest",
     "for the open call to organisations: name, legal form, ΑΦΜ (checked), registration, members, workers, uses "
     "wanted, space, budget, area, the assets of interest (picked from the inventory) and a private contact. Its "
     "export is read back by the organisations source with no mapping."),
    ("report-form", "reports", "write the citizens' report form (XLSForm): idle here / not idle, where, how sure",
     "for citizens' reports: idle or in use, the asset or a point, certainty (hearsay, seen, confirmed), empty "
     "since, description, photo, an optional private contact. Its export goes through 'idle-assets "
     "reports-moderation'."),
    ("weights-form", "weights", "write the workshops' weights form (XLSForm): each participant rates each criterion 1-9",
     "in which each participant of a workshop rates how much each criterion of a use matters (1-9). Set "
     "profiles.workshop to its export: the run takes the group's weights (geometric mean) and reports the "
     "consensus (Kendall's W)."),
)


def build_parser() -> argparse.ArgumentParser:
    fmt = argparse.RawDescriptionHelpFormatter
    # --debug and --quiet are read before or after the command (`idle-assets run --quiet`)
    common = Parser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks and debug logging")
    common.add_argument("--quiet", action="store_true", default=argparse.SUPPRESS, help="only warnings and errors in the log")
    parser = Parser(
        prog="idle-assets", formatter_class=fmt,
        description="Find a municipality's idle public land and buildings, score them for "
                    "social-economy uses and publish maps and tables.",
        epilog=RUN_EXAMPLES + INIT_EXAMPLES + VALIDATE_EXAMPLES,
    )
    parser.add_argument("--version", action="version", version=f"idle-assets {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logging")
    parser.add_argument("--quiet", action="store_true", help="only warnings and errors in the log")
    sub = parser.add_subparsers(dest="command", required=True, metavar="{run,init,validate,criteria,survey-form,open-call-form,report-form,reports-moderation,weights-form,workshop-pack,status,decisions,validate-register}",
                                parser_class=Parser)

    run = sub.add_parser("run", parents=[common], help="run all stages and write tables and maps", formatter_class=fmt,
                         epilog=RUN_EXAMPLES, description="Run extract, transform, features, score, match and publish.")
    run.add_argument("--config", help="project YAML")
    run.add_argument("--demo", action="store_true", help="run the bundled demo project (offline, a Finnish test town)")
    run.add_argument("--out", help="write every output under this folder (default: data/processed/<project>/ and maps/<project>/)")
    run.add_argument("--force", action="store_true",
                     help="recompute every stage (by default unchanged inputs reuse the cached features)")
    run.add_argument("--compare", metavar="DIR",
                     help="say what changed against the run whose tables are in DIR (default: the run in the output folder)")
    run.add_argument("--cdn", action="store_true",
                     help="link Leaflet and plugins from their CDN instead of inlining them (smaller maps, need internet)")
    run.add_argument("--engine", choices=["local", "dask"], default="local",
                     help="where the features stage runs: this process, or a Dask cluster (partitioned in space, same results)")
    run.add_argument("--scheduler", metavar="ADDRESS",
                     help="with --engine dask: a running scheduler, e.g. tcp://10.0.0.5:8786 (default: a local cluster)")
    run.add_argument("--workers", type=int, default=2, help="with --engine dask and no --scheduler: local worker processes")
    run.set_defaults(func=cmd_run)

    init = sub.add_parser("init", parents=[common], help="write a config for a Greek municipality", formatter_class=fmt,
                          epilog=INIT_EXAMPLES, description="Write a ready project config for a Kallikratis municipality.")
    init.add_argument("--municipality", required=True, help="Kallikratis code (KWD_YPES, e.g. 9105) or Greek name")
    init.add_argument("--osm", required=True, help="OSM extract (.osm.pbf) covering the municipality")
    init.add_argument("--boundaries", help="Kallikratis municipalities file (default: ../shared/data's copy if present)")
    init.add_argument("--out", help="config file to write (default: configs/<name>.yaml)")
    init.add_argument("--force", action="store_true", help="overwrite an existing config")
    init.set_defaults(func=cmd_init)

    val = sub.add_parser("validate", parents=[common], help="check the config and every input without running", formatter_class=fmt,
                         epilog=VALIDATE_EXAMPLES, description="Read and check every input; report problems with file, row and reason.")
    val.add_argument("--config", required=True, help="project YAML")
    val.add_argument("--out", help="the output folder the run would use (checked too)")
    val.set_defaults(func=cmd_validate)

    crit = sub.add_parser("criteria", parents=[common], help="list the criteria profiles can use (Markdown table)",
                          description="List every registered criterion: unit, labels, the layers it reads and how far, "
                                      "the OSM tags it selects and its usual sense.")
    crit.set_defaults(func=cmd_criteria)

    form = sub.add_parser("survey-form", parents=[common],
                          help="write the field-survey pack: form (XLSForm), what to survey first, route, field sheet",
                          description="Write an XLSForm for KoboToolbox / ODK Collect with the project's assets as "
                                      "a pick list (converted with pyxform to check it), survey_priority.csv (what a "
                                      "visit could change most), a round trip along the OSM roads (route.csv, .gpx, "
                                      ".geojson) and a printable field sheet (field_sheet.html, .pdf).")
    form.add_argument("--config", help="project YAML (default: the bundled demo project)")
    form.add_argument("--out", help="folder for the survey pack (default: <tables>-survey/, beside the run's outputs)")
    form.add_argument("--visits", type=_positive_int, default=None, metavar="N",
                      help="at most N stops on the route, the most worth a visit first (default 25)")
    form.add_argument("--start", metavar="LAT,LON", help="where the route starts and ends (default: the first stop)")
    form.set_defaults(func=cmd_survey_form)
    for command, kind, short, long in PEOPLES_FORMS:
        parsed = sub.add_parser(command, parents=[common], help=short,
                                description="Write an XLSForm (Greek and English, converted by pyxform) " + long)
        parsed.add_argument("--config", help="project YAML (default: the bundled demo project)")
        parsed.add_argument("--out", help=f"folder for the form (default: <tables>-{kind}/, beside the run's outputs)")
        parsed.set_defaults(func=cmd_form, kind=kind)
    pack = sub.add_parser("workshop-pack", parents=[common],
                          help="write the printed workshop pack: numbered A3 map sheets, asset cards, dot-voting sheet",
                          description="Write workshop_pack.html and .pdf: an overview and A3 map sheets at 1:10,000 "
                                      "with every asset numbered, one card per asset (four to an A4 page: map, "
                                      "facts, best uses) and an A3 dot-voting sheet (a column per use); numbers.csv "
                                      "says which asset each number is.")
    pack.add_argument("--config", help="project YAML (default: the bundled demo project)")
    pack.add_argument("--out", help="folder for the pack (default: <tables>-workshop/, beside the run's outputs)")
    pack.set_defaults(func=cmd_workshop_pack)
    moderate = sub.add_parser("reports-moderation", parents=[common],
                              help="write the moderation workbook of the report form's export",
                              description="List every report of the form's export (CSV or XLSX) without the "
                                          "reporter's contact or free text, with a decision to take (accept, or "
                                          "reject with a reason). Point sources.reports at the filled workbook: "
                                          "accepted reports become evidence, rejected ones go nowhere.")
    moderate.add_argument("export", help="the report form's export (KoboToolbox or ODK, CSV or XLSX)")
    moderate.add_argument("--out", default="moderation.xlsx", help="the workbook to write (default: moderation.xlsx; never overwritten)")
    moderate.set_defaults(func=cmd_reports_moderation)
    add_status_parsers(sub, common)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    _memory.use_system_allocator()
    for noisy in ("pyogrio", "fiona", "rasterio", "urllib3", "matplotlib", "weasyprint", "fontTools"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    if not args.debug:
        import warnings

        for library in ("pyrosm", "pvlib", "rasterio", "pymcdm"):
            warnings.filterwarnings("ignore", module=library)  # their deprecation notices are not the user's concern
    try:
        return args.func(args)
    except IdleAssetsError as exc:
        if args.debug:
            raise
        print(terminal_text(f"error: {exc}"), file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` or a closed pager: not an error of the run
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("interrupted; outputs already written are complete, none is half-written", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: say so plainly, keep the traceback for --debug
        if args.debug:
            raise
        print(terminal_text(f"internal error: {type(exc).__name__}: {exc}\n(run again with --debug for the traceback "
                            "and please report it)"), file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
