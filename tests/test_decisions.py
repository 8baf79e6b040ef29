"""Council decisions from Diavgeia proposed as ledger steps: the search asks
in windows of at most 180 days and walks every page; decisions are matched to
assets by ΚΑΕΚ, register id or name; an officer accepts each in the
proposals workbook and only the accepted are recorded. The server is a local
replay of Diavgeia's documented search JSON (no test reaches the internet)."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from pipeline.cli import main
from pipeline.common._text import fold
from pipeline.common.errors import InputError
from pipeline.ledger import Event, Site, open_ledger
from pipeline.ledger.diavgeia import propose, search_decisions, windows
from pipeline.ledger.workbook import HEADERS
from projects import demo_data, write_config
from replay import Replay


def decision(ada: str, subject: str, day: str) -> dict:
    """A decision as Diavgeia's search answers it (issueDate in ms, midnight in Athens)."""
    midnight = dt.datetime.fromisoformat(day).replace(tzinfo=ZoneInfo("Europe/Athens"))
    ms = int(midnight.timestamp() * 1000)
    return {"ada": ada, "subject": subject, "protocolNumber": "112/2026", "issueDate": ms, "publishTimestamp": ms + 86_400_000,
            "submissionTimestamp": ms + 86_400_000, "organizationId": "6300", "unitIds": ["81689"], "signerIds": ["100009559"],
            "decisionTypeId": "2.4.7.1", "thematicCategoryIds": ["20"], "extraFieldValues": {}, "status": "PUBLISHED",
            "versionId": "0d4c6a2e-1111-4c3e-9a55-000000000000", "correctedVersionId": None, "privateData": False,
            "documentUrl": f"https://diavgeia.gov.gr/doc/{ada}", "url": f"https://diavgeia.gov.gr/luminapi/opendata/decisions/{ada}",
            "attachments": []}


DECISIONS = [
    decision("6ΞΒ4ΩΛΛ-ΑΒΓ", "Παραχώρηση χρήσης του ακινήτου με ΚΑΕΚ 050841234567 στην ΚοινΣΕπ «Αλληλεγγύη» "
                            "για κοινωνικό αγρόκτημα", "2026-05-20"),
    decision("9ΠΡ4ΩΛΛ-ΔΕΖ", "ΜΙΣΘΩΣΗ ΤΟΥ ΠΑΛΙΟΥ ΣΧΟΛΕΙΟΥ ΑΓΡΙΑΣ σε ενεργειακή κοινότητα", "2025-03-02"),
    decision("Ψ1Α2ΩΛΛ-ΚΛΜ", "Έγκριση προϋπολογισμού οικονομικού έτους 2026 (μίσθωση οχημάτων)", "2025-04-10"),
]


def diavgeia_search(query: dict) -> bytes:
    """Diavgeia's /search.json: the decisions whose subject holds ``q``, issued in the range, one page."""
    start, end = dt.date.fromisoformat(query["from_issue_date"]), dt.date.fromisoformat(query["to_issue_date"])
    hits = [d for d in DECISIONS if fold(query["q"]) in fold(d["subject"])
            and start <= dt.datetime.fromtimestamp(d["issueDate"] / 1000, ZoneInfo("Europe/Athens")).date() <= end]
    page, size = int(query["page"]), min(int(query["size"]), 1)  # one per page: the client must walk them
    shown = hits[page * size:(page + 1) * size]
    return json.dumps({"info": {"query": query["q"], "page": page, "size": size, "actualSize": len(shown),
                                "total": len(hits), "order": "desc"}, "decisions": shown}, ensure_ascii=False).encode()


@pytest.fixture
def diavgeia():
    with Replay({"/opendata/search.json": (200, "application/json", diavgeia_search)}) as server:
        yield server


@pytest.fixture
def ledger(tmp_path):
    with open_ledger(tmp_path / "plan.ledger.sqlite") as book:
        book.add_asset("reg-A", "2026-01-10", Site(name="Αγροτεμάχιο Λεχωνίων", parcel_code="050841234567"))
        book.add_asset("osm-way-7", "2026-01-10", Site(name="Παλιό σχολείο Αγριάς"))
        book.add_asset("reg-C", "2026-01-10", Site(name="Αποθήκη", register_id="R-19"))
        for asset in ("reg-A", "osm-way-7", "reg-C"):
            book.record(Event(asset, "2026-01-10", "identified", "pipeline"))
        yield book


def test_a_long_range_is_asked_in_windows_of_180_days():
    parts = windows(dt.date(2025, 1, 1), dt.date(2026, 6, 30))
    assert parts[0][0] == dt.date(2025, 1, 1) and parts[-1][1] == dt.date(2026, 6, 30)
    assert all((b - a).days + 1 <= 180 for a, b in parts) and len(parts) == 4
    assert all(parts[i][1] + dt.timedelta(days=1) == parts[i + 1][0] for i in range(len(parts) - 1))


def test_decisions_are_found_page_by_page_and_matched_by_kaek_and_name(diavgeia, ledger):
    found = search_decisions(diavgeia.url + "/opendata", "dvolou", ["παραχώρηση χρήσης", "μίσθωση"],
                             dt.date(2025, 1, 1), dt.date(2026, 6, 30))
    assert [d["ada"] for d in found] == ["9ΠΡ4ΩΛΛ-ΔΕΖ", "Ψ1Α2ΩΛΛ-ΚΛΜ", "6ΞΒ4ΩΛΛ-ΑΒΓ"]  # each once, oldest first
    asked = [q for _, _, q in diavgeia.requests]
    assert all(q["org"] == "dvolou" and q["status"] == "PUBLISHED" for q in asked)
    assert {q["page"] for q in asked} >= {"0", "1"}  # the second page of 'μίσθωση' was asked for
    proposals = {p["asset"]: p for p in propose(found, ledger)}
    assert set(proposals) == {"reg-A", "osm-way-7"}  # the budget's vehicle lease names no asset
    assert (proposals["reg-A"]["status"], proposals["reg-A"]["tenure"], proposals["reg-A"]["date"]) == (
        "assigned", "concession", "2026-05-20")
    assert proposals["reg-A"]["evidence"] == "ΑΔΑ 6ΞΒ4ΩΛΛ-ΑΒΓ" and "ΚΑΕΚ 050841234567" in proposals["reg-A"]["source"]
    assert (proposals["osm-way-7"]["tenure"], proposals["osm-way-7"]["date"]) == ("lease", "2025-03-02")
    assert "matched by name" in proposals["osm-way-7"]["source"]


def test_an_officer_accepts_one_proposal_and_only_it_is_recorded(diavgeia, ledger, tmp_path, capsys):
    data = demo_data()
    data["ledger"] = {"path": str(ledger.path), "diavgeia": {"org": "dvolou", "url": diavgeia.url + "/opendata"}}
    config = write_config(tmp_path, data)
    out = tmp_path / "decisions.xlsx"
    assert main(["decisions", "--config", str(config), "--since", "2025-01-01", "--until", "2026-06-30",
                 "--out", str(out)]) == 0
    assert "2 matched to assets" in capsys.readouterr().out
    book = load_workbook(out)
    sheet = book["status"]
    column = {HEADERS[c.value]: c.column for c in sheet[1]}
    assert any(v.type == "list" and "lists!$" in str(v.formula1) for v in sheet.data_validations.dataValidation)
    for row in range(2, sheet.max_row + 1):
        accepted = sheet.cell(row, column["asset"]).value == "reg-A"
        sheet.cell(row, column["accept"]).value = "ναι / yes" if accepted else "όχι / no"
    book.save(out)
    assert main(["status", "import", str(out), "--config", str(config)]) == 0
    assert ledger.current() == {"reg-A": "assigned", "osm-way-7": "identified", "reg-C": "identified"}
    step = ledger.history("reg-A")[-1]
    assert (step["evidence"], step["tenure"], step["role"], step["date"]) == ("ΑΔΑ 6ΞΒ4ΩΛΛ-ΑΒΓ", "concession", "council",
                                                                            "2026-05-20")
    assert main(["decisions", "--config", str(config), "--out", str(out)]) == 2  # the officer's file is not overwritten
    assert "the file exists" in capsys.readouterr().err


def test_a_server_that_is_not_diavgeia_is_a_plain_error(ledger):
    with Replay({"/opendata/search.json": (200, "application/json", b'{"results": []}')}) as server:
        with pytest.raises(InputError, match="not Diavgeia's search JSON"):
            search_decisions(server.url + "/opendata", "dvolou", ["μίσθωση"], dt.date(2026, 1, 1), dt.date(2026, 2, 1))
    with Replay({}) as server:
        with pytest.raises(InputError, match="answered HTTP 404"):
            search_decisions(server.url + "/opendata", "dvolou", ["μίσθωση"], dt.date(2026, 1, 1), dt.date(2026, 2, 1))
