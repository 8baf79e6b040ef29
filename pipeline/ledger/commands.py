"""``idle-assets status``: each asset's place on its path, and ``status set``
to record a step (a council decision, an assignment, an exit)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections import Counter
from pathlib import Path

from ..common.config import ProjectConfig, demo_config_path, load_config
from ..common.errors import ConfigError, InputError
from ..common._text import terminal_text
from .model import EXIT_REASONS, ROLES, STATUSES, TENURES, Event, Site
from .store import Ledger, open_ledger
from .diavgeia import propose, search_decisions
from .exchange import import_register, register_frame, register_problems, write_register
from .progress import Snapshot
from .workbook import record_workbook, write_status_workbook

EXAMPLES = """
examples:
  idle-assets status --config configs/volos.yaml
  idle-assets status set reg-R7 available --config configs/volos.yaml --date 2026-05-20 \\
      --role council --evidence "ΑΔΑ 6ΞΒ4ΩΛΛ-ΑΒΓ" --note "απόφαση Δ.Σ. 112/2026"
  idle-assets status set reg-R7 assigned --config configs/volos.yaml --role council \\
      --evidence "ΑΔΑ 9ΠΡ4ΩΛΛ-ΔΕΖ" --tenure concession --term-years 10
  idle-assets status workbook --config configs/volos.yaml --out status.xlsx   # fill it in a spreadsheet, then
  idle-assets status import status.xlsx --config configs/volos.yaml
  idle-assets decisions --config configs/volos.yaml --since 2025-01-01 --out decisions.xlsx
  idle-assets status import decisions.xlsx --config configs/volos.yaml   # the rows accepted (ναι / yes)
"""


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    """The ``status`` command and its ``set`` action, on the main parser's subparsers."""
    fmt = argparse.RawDescriptionHelpFormatter
    status = sub.add_parser("status", parents=[common], formatter_class=fmt, epilog=EXAMPLES,
                            help="the plan's ledger: each asset's status, or record a step with 'status set'",
                            description="Show how many assets are at each step of their path, and each asset's "
                                        "status with its date; 'status set' records a step.")
    status.add_argument("--config", help="project YAML with a 'ledger' section (default: the bundled demo project)")
    actions = status.add_subparsers(dest="action", metavar="{set,workbook,import,export,import-register}")
    record = actions.add_parser("set", parents=[common], formatter_class=fmt, epilog=EXAMPLES,
                                help="record a step of an asset's path")
    record.add_argument("asset", help="the asset's id, as in the run's tables (reg-R7, osm-way-123)")
    record.add_argument("status", choices=list(STATUSES), help="the step reached")
    record.add_argument("--config", help="project YAML with a 'ledger' section (default: the bundled demo project)")
    record.add_argument("--date", default=None, help="when it happened, YYYY-MM-DD (default: today)")
    record.add_argument("--role", choices=list(ROLES), default="officer", help="who records it (default: officer)")
    record.add_argument("--evidence", help="what shows it: a Diavgeia ΑΔΑ, a survey submission, a register row")
    record.add_argument("--tenure", choices=list(TENURES), help="with assigned/in_preparation/operating: how it is held")
    record.add_argument("--term-years", type=float, help="the tenure's term in years")
    record.add_argument("--new-use", help="with exited: the use the site has now")
    record.add_argument("--area-m2", type=float, help="with exited: the area brought back into use")
    record.add_argument("--funding", help="with exited: how the new use was funded")
    record.add_argument("--reason", choices=list(EXIT_REASONS), help="with exited: why it left the register")
    record.add_argument("--note")
    record.add_argument("--use", help="with offered, requested, assigned and after: the use agreed (a profile's name, "
                                      "e.g. social_farm), which the plan's targets are counted against")
    record.add_argument("--new", action="store_true",
                        help="add the asset to the ledger first (a site people reported that no run has found yet; "
                             "give the id a run will know it by, e.g. osm-way-123)")
    record.add_argument("--name", help="with --new: the site's name")
    book = actions.add_parser("workbook", parents=[common], help="write the status workbook an officer fills")
    book.add_argument("--config", help="project YAML with a 'ledger' section (default: the bundled demo project)")
    book.add_argument("--out", default="status.xlsx", help="the workbook to write (default: status.xlsx; never overwritten)")
    read = actions.add_parser("import", parents=[common], help="record the steps of a filled status workbook")
    read.add_argument("workbook", help="the filled workbook")
    read.add_argument("--config", help="project YAML with a 'ledger' section (default: the bundled demo project)")
    export = actions.add_parser("export", parents=[common],
                                help="write the register of sites for others: CSV + GeoPackage with a Table Schema")
    export.add_argument("--config", help="project YAML with a 'ledger' section (default: the bundled demo project)")
    export.add_argument("--out", required=True, help="a new folder for register.csv, register.gpkg, the schema and datapackage.json")
    restore = actions.add_parser("import-register", parents=[common],
                                 help="start the ledger from a register export (its sites, each at its current step)")
    restore.add_argument("file", help="register.csv (register.gpkg beside it gives the shapes)")
    restore.add_argument("--config", help="project YAML with a 'ledger' section (default: the bundled demo project)")
    status.set_defaults(func=cmd_status)

    check = sub.add_parser("validate-register", parents=[common], formatter_class=fmt,
                           help="check a register of sites against the exchange format (every problem, by row)",
                           description="Check a register CSV (as 'idle-assets status export' writes, or a "
                                       "municipality's own) against the Table Schema, and for coordinates swapped or "
                                       "outside Greece, dates out of order and exits without an end date.")
    check.add_argument("file", help="the register CSV (UTF-8)")
    check.set_defaults(func=cmd_validate_register)

    found = sub.add_parser("decisions", parents=[common], formatter_class=fmt, epilog=EXAMPLES,
                           help="search the municipality's council decisions on Diavgeia and propose ledger steps",
                           description="Search Diavgeia for the municipality's decisions (concessions of use, leases, "
                                       "social co-operatives, energy communities), match them to the ledger's assets "
                                       "by ΚΑΕΚ, register id or name, and write the proposed steps into a workbook: "
                                       "an officer accepts each (ναι / yes), then 'idle-assets status import' records them.")
    found.add_argument("--config", help="project YAML with 'ledger.diavgeia' (default: the bundled demo project)")
    found.add_argument("--since", type=dt.date.fromisoformat, help="first issue date, YYYY-MM-DD (default: two years ago)")
    found.add_argument("--until", type=dt.date.fromisoformat, help="last issue date, YYYY-MM-DD (default: today)")
    found.add_argument("--out", default="decisions.xlsx", help="the proposals workbook (default: decisions.xlsx; never overwritten)")
    found.set_defaults(func=cmd_decisions)


def _ledger(args: argparse.Namespace) -> tuple[ProjectConfig, Ledger]:
    config = load_config(args.config or demo_config_path())
    if config.ledger is None:
        raise ConfigError(f"config {args.config or demo_config_path()}",
                          ["no 'ledger' section: add e.g. 'ledger: {path: <name>.ledger.gpkg}' to keep the plan's ledger"])
    return config, open_ledger(config.ledger.location())


def _uses(config: ProjectConfig) -> set[str]:
    from ..score.profiles import load_profiles

    return {p.name for p in load_profiles(config.profiles)}


def cmd_status(args: argparse.Namespace) -> int:
    config, ledger = _ledger(args)
    with ledger:
        if args.action == "set":
            if args.use is not None and args.use not in (uses := _uses(config)):
                raise ConfigError(f"--use {args.use}", [f"not a use of this project ({', '.join(sorted(uses))})"])
            event = Event(args.asset, args.date or dt.date.today().isoformat(), args.status, args.role,
                          evidence=args.evidence, tenure=args.tenure, term_years=args.term_years, new_use=args.new_use,
                          area_m2=args.area_m2, funding=args.funding, reason=args.reason, note=args.note, use=args.use)
            with ledger.transaction():  # a new asset and its first step, or neither
                if args.new and not ledger.add_asset(args.asset, event.date, Site(name=args.name)):
                    raise ConfigError(f"status set {args.asset} --new", ["the asset is already in the ledger: leave out --new"])
                ledger.record(event)
            print(terminal_text(f"{args.asset}: {STATUSES[args.status][0]} / {STATUSES[args.status][1]} "
                                f"({event.date}) recorded in {ledger.where}"))
            return 0
        if args.action == "workbook":
            target = Path(args.out)
            if target.exists():
                raise ConfigError(f"--out {target}", ["the file exists: give another name (a file of yours is never overwritten)"])
            write_status_workbook(ledger, target)
            print(f"wrote {target}: fill the yellow columns, then 'idle-assets status import {target}'")
            return 0
        if args.action == "export":
            folder = Path(args.out)
            if folder.exists() and any(folder.iterdir()):
                raise ConfigError(f"--out {folder}", ["the folder is not empty: give a new one (files of yours are never overwritten)"])
            folder.mkdir(parents=True, exist_ok=True)
            geometries = {a["ledger_id"]: a["geometry"] for a in ledger.assets()}
            written = write_register(register_frame(Snapshot.of(ledger), geometries), folder)
            print(terminal_text(f"wrote {', '.join(str(p) for p in written)} (checked against register.schema.json)"))
            return 0
        if args.action == "import-register":
            count = import_register(Path(args.file), ledger)
            print(terminal_text(f"{count} site(s) from {args.file} added to {ledger.where}, each at its current step"))
            return 0
        if args.action == "import":
            events = record_workbook(Path(args.workbook), ledger, uses=_uses(config))
            print(terminal_text(f"{len(events)} step(s) recorded from {args.workbook} in {ledger.where}"))
            return 0
        print(terminal_text(status_table(ledger)))
    return 0


def cmd_validate_register(args: argparse.Namespace) -> int:
    problems = register_problems(Path(args.file))
    if problems:
        raise InputError(f"register {args.file}", problems)
    print(terminal_text(f"{args.file}: no problem found (Table Schema and the checks beyond it)"))
    return 0


def cmd_decisions(args: argparse.Namespace) -> int:
    config, ledger = _ledger(args)
    with ledger:
        assert config.ledger is not None
        spec = config.ledger.diavgeia
        if spec is None:
            raise ConfigError("ledger", ["no 'diavgeia' section: add 'diavgeia: {org: <the municipality's Diavgeia "
                                         "organisation>}' under 'ledger'"])
        target = Path(args.out)
        if target.exists():
            raise ConfigError(f"--out {target}", ["the file exists: give another name (a file of yours is never overwritten)"])
        until = args.until or dt.date.today()
        since = args.since or until - dt.timedelta(days=730)
        decisions = search_decisions(spec.url, spec.org, spec.terms, since, until)
        proposals = propose(decisions, ledger)
        write_status_workbook(ledger, target, proposals=proposals)
    print(terminal_text(f"{len(decisions)} decision(s) of {spec.org} from {since} to {until}; {len(proposals)} "
                        f"matched to assets, written to {target}: mark each to record with ναι / yes, then "
                        f"'idle-assets status import {target}'"))
    return 0


def status_table(ledger: Ledger, today: dt.date | None = None) -> str:
    """The counts per status and each asset's status, since when, as text."""
    history = ledger.history()
    latest: dict[str, dict] = {}
    for event in history:  # oldest first: the last one seen is the current
        latest[event["ledger_id"]] = event
    names = {a["ledger_id"]: a["name"] or "" for a in ledger.assets()}
    counts = Counter(e["status"] for e in latest.values())
    today = today or dt.date.today()
    lines = [f"{len(names)} assets in {ledger.where}", "", "| status | κατάσταση | assets |", "| --- | --- | ---: |"]
    lines += [f"| {STATUSES[s][1]} | {STATUSES[s][0]} | {counts[s]} |" for s in STATUSES if counts[s]]
    lines += ["", "| asset | name | status | since | days |", "| --- | --- | --- | --- | ---: |"]
    for ledger_id, event in sorted(latest.items()):
        days = (today - dt.date.fromisoformat(event["date"])).days
        name = names.get(ledger_id, "").replace("|", "/")
        lines.append(f"| {ledger_id} | {name} | {STATUSES[event['status']][1]} | {event['date']} | {days} |")
    return "\n".join(lines)
