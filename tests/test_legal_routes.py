"""The legal route to each planned asset: the shipped table cites a source for
every rule and condition, the most specific rule wins, a planner's file
changes it (and a bad one is refused naming what is wrong), the interested
organisations that do not meet their legal form's conditions are warned
about with the others they could join, and a run shows the route with its
source for every planned asset in the plan, the fact sheets, the annex and
legal_routes.csv."""

from __future__ import annotations

import re

from pathlib import Path

import pandas as pd
import pytest

from pipeline.common.config import config_from_dict
from pipeline.common.errors import ConfigError
from pipeline.common.evidence import OWNERSHIP
from pipeline.common.legal import default_table, legal_table
from pipeline.plan.legal import condition_warnings, legal_routes, route_rule
from pipeline.runner import run_project
from projects import demo_data

MEADOW = "osm-way-369836455"  # the demo's "Riverside meadow (sample)", a social farm in the plan
DEPOT = "osm-way-369836401"   # a municipal building the demo's plan gives a recycling centre


def test_every_rule_and_condition_of_the_shipped_table_cites_a_source_it_holds():
    table = legal_table()
    assert table.problems() == []
    for rule in table.rules:
        assert rule.sources and all(table.sources[s].title and table.sources[s].read for s in rule.sources), rule.id
    for form, condition in table.legal_forms.items():
        assert table.sources[condition.source].title, form
    # every owner has a route whatever the use and the legal form
    for owner in OWNERSHIP:
        for form in ("koinsep", "energy_community", "informal_group", "association", None):
            assert route_rule(table, owner, "social_farm", form) is not None, (owner, form)


def test_the_most_specific_rule_wins():
    table = default_table()
    assert route_rule(table, "municipal", "social_farm", "koinsep").id == "municipal_social_economy_grant"
    assert route_rule(table, "municipal", "solar_ground", "energy_community").id == "municipal_energy_community"
    assert route_rule(table, "municipal", "social_farm", "energy_community").id == "municipal_lease_auction"
    assert route_rule(table, "municipal", "social_farm", None).id == "municipal_no_organisation"
    assert route_rule(table, "municipal", "cultural_space", "informal_group").id == "municipal_not_formed"
    assert route_rule(table, "unknown", "social_farm", "koinsep").id == "owner_unknown"


def write_override(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "my_routes.yaml"
    path.write_text(text, encoding="utf-8")
    return path


OVERRIDE = """
sources:
  council_2026:
    title: "Απόφαση δημοτικού συμβουλίου 12/2026: κανονισμός παραχωρήσεων"
    url: https://diavgeia.gov.gr/
    read: "2026-12-06, the council's decision"
rules:
  - id: municipal_social_economy_grant
    owner: [municipal]
    legal_forms: [koinsep, workers_coop, koispe]
    instrument: {el: "Παραχώρηση κατά τον δημοτικό κανονισμό", en: "Grant under the municipal regulation"}
    body: {el: "Δημοτικό συμβούλιο", en: "Municipal council"}
    law: {el: "Κανονισμός 12/2026", en: "Regulation 12/2026"}
    source: council_2026
"""


def test_a_planner_s_file_replaces_a_rule_by_its_id(tmp_path):
    table = legal_table(write_override(tmp_path, OVERRIDE), ["social_farm", "cultural_space"])
    rule = route_rule(table, "municipal", "social_farm", "koinsep")
    assert (rule.id, rule.instrument.en, rule.sources) == ("municipal_social_economy_grant",
                                                           "Grant under the municipal regulation", ["council_2026"])
    assert len(table.rules) == len(default_table().rules)  # replaced, not added
    assert "kdk_192" in table.sources  # the shipped sources stay


EXTRA = """
  - id: extra
    owner: [municipal]
    uses: [no_such_use]
    legal_forms: [cooperative_bank]
    instrument: {el: "x", en: "x"}
    body: {el: "x", en: "x"}
    law: {el: "x", en: "x"}
    source: council_2026
"""


def test_a_bad_planner_s_file_is_refused_naming_every_problem(tmp_path):
    unsafe = OVERRIDE.replace("url: https://diavgeia.gov.gr/", "url: javascript:alert(1)")
    with pytest.raises(ConfigError) as err:
        legal_table(write_override(tmp_path, unsafe), ["social_farm"])
    assert "my_routes.yaml" in str(err.value) and "sources.council_2026.url" in str(err.value)
    bad = OVERRIDE.replace("source: council_2026", "source: nowhere") + EXTRA
    with pytest.raises(ConfigError) as err:
        legal_table(write_override(tmp_path, bad), ["social_farm"])
    text = str(err.value)
    assert "(municipal_social_economy_grant): source 'nowhere' is not under sources" in text
    assert "(extra): legal form 'cooperative_bank' is not one of" in text
    assert "(extra): use 'no_such_use' is not a profile of this project" in text


def interest_of(rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["asset_id", "org_id", "organisation", "legal_form", "uses", "space_m2"])


def test_a_group_below_its_legal_form_s_minimum_is_warned_with_whom_it_could_join():
    table = default_table()
    interest = interest_of([("A", "o1", "Αγρός", "koinsep", "social_farm", None),
                            ("A", "o2", "Κήποι", "association", "social_farm", None),
                            ("A", "o3", "Επισκευές", "informal_group", "", None),
                            ("A", "o4", "Μακριά", "koinsep", "cultural_space", None),
                            ("B", "o5", "Αλλού", "koinsep", "social_farm", None)])
    orgs = pd.DataFrame({"org_id": ["o1", "o2", "o3", "o4", "o5"], "members": [3, 25, 4, 2, 9]})
    el, en = condition_warnings("A", "social_farm", interest, orgs, table)
    assert len(en) == 2  # o1 below 5; o3 not formed; o2 meets its minimum; o4 wants another use
    assert en[0].startswith("Αγρός has 3 members; KoinSEp: at least 5 members")
    assert en[0].endswith("it could join: Κήποι, Επισκευές, Μακριά")
    assert en[1].startswith("Επισκευές (Group not yet formed): has no legal form yet")
    assert el[0].startswith("Αγρός έχει 3 μέλη· ΚοινΣΕπ: τουλάχιστον 5 μέλη")
    orgs.loc[0, "members"] = 5
    assert len(condition_warnings("A", "social_farm", interest, orgs, table)[1]) == 1
    orgs.loc[0, "members"] = None
    assert "Αγρός: members not stated" in condition_warnings("A", "social_farm", interest, orgs, table)[1][0]


def test_each_plan_row_gets_the_route_of_its_leading_candidate():
    plan = pd.DataFrame({"asset_id": ["A", "B", "C"], "use": ["social_farm", "solar_ground", "social_farm"],
                         "ownership": ["municipal", "municipal", "other_public"],
                         "candidate_legal_forms": ["koinsep;association", "energy_community", None]})
    routes = legal_routes(plan, interest_of([]), None, default_table())
    assert routes["legal_rule"].tolist() == ["municipal_social_economy_grant", "municipal_energy_community",
                                             "other_public_owner"]
    assert routes.loc[1, "legal_sources"] == "kdk_192;pd_270_1981;law_5037_2023"
    assert routes["legal_warning_en"].isna().all()


@pytest.mark.slow
def test_a_run_shows_a_route_with_its_source_for_every_planned_asset(tmp_path):
    orgs = tmp_path / "organisations.csv"
    pd.DataFrame([
        {"org_id": "o1", "name": "ΚοινΣΕπ Αγρός", "legal_form": "koinsep", "members": 3, "uses": "social_farm",
         "assets": MEADOW},
        {"org_id": "o2", "name": "Σύλλογος Κήπων", "legal_form": "association", "members": 25, "uses": "social_farm",
         "assets": MEADOW},
        {"org_id": "o3", "name": "Ομάδα Επισκευών", "legal_form": "informal_group", "members": 4,
         "uses": "recycling_centre", "assets": DEPOT},
    ]).to_csv(orgs, index=False)
    data = demo_data()
    data["sources"]["organisations"] = {"path": str(orgs)}
    data["output"] = {"pdf": False}
    data.setdefault("plan", {})["legal_routes"] = str(write_override(tmp_path, OVERRIDE))
    out = tmp_path / "out"
    result = run_project(config_from_dict(data, tmp_path), out)
    plan, table = result.plan, result.legal
    assert len(plan) and plan["legal_rule"].notna().all()
    for rule_id, sources in zip(plan["legal_rule"], plan["legal_sources"]):
        rule = next(r for r in table.rules if r.id == rule_id)
        assert sources.split(";") == rule.sources and all(s in table.sources for s in rule.sources)
    meadow = plan[(plan["asset_id"] == MEADOW) & (plan["use"] == "social_farm")].iloc[0]
    assert meadow["legal_route_en"].startswith("Grant under the municipal regulation")  # the planner's rule
    assert "it could join: Σύλλογος Κήπων" in meadow["legal_warning_en"]
    routes = pd.read_csv(out / "legal_routes.csv", encoding="utf-8-sig")
    assert routes[["asset_id", "use"]].values.tolist() == plan[["asset_id", "use"]].values.tolist()
    assert routes["sources"].notna().all()
    sheet = (out / "factsheets" / f"{MEADOW}.html").read_text(encoding="utf-8")
    words = re.sub(r"<[^>]+>", "", sheet)  # the sides are marked with their language
    assert "Νομική οδός / Legal route" in words and "Παραχώρηση κατά τον δημοτικό κανονισμό" in sheet
    assert "href='https://diavgeia.gov.gr/'" in sheet and "θα μπορούσε να συμπράξει με: Σύλλογος Κήπων" in sheet
    annex = (out / "annex.md").read_text(encoding="utf-8")
    assert "Η νομική οδός για κάθε ακίνητο / The legal route to each site" in annex
    assert "Απόφαση δημοτικού συμβουλίου 12/2026" in annex and "Ομάδα Επισκευών" in annex
    depot = plan[(plan["asset_id"] == DEPOT) & (plan["use"] == "recycling_centre")]
    assert depot["legal_rule"].tolist() == ["municipal_not_formed"]
