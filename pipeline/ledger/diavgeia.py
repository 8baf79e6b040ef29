"""Council decisions from Diavgeia (diavgeia.gov.gr, Greece's transparency
portal, where every act of a municipality is published with its ΑΔΑ), matched
to the ledger's assets and proposed as events for an officer to accept.

The search is Diavgeia's open-data API (no account needed): ``GET
<url>/search.json?org=<organisation>&q=<text>&from_issue_date=…&to_issue_date=…
&page=…&size=…``, answering ``{"info": {"total", "page", "size", "actualSize"},
"decisions": [{"ada", "subject", "issueDate" (ms), "documentUrl", …}]}``. The
server cuts a date range longer than 180 days short without saying so, so
the range is asked for in windows of at most :data:`WINDOW_DAYS`.

A decision is matched to an asset when its subject cites the asset's ΚΑΕΚ (12
digits) or register id, or names it: every word of the asset's name, as a
stem that survives inflection (σχολείο, του σχολείου), begins a word of the
subject, case, accents and final sigma aside; a one-word name is too common
to count. Its words propose a status: a concession of use
(παραχώρηση χρήσης) or a lease (μίσθωση) proposes *assigned* with that
tenure, which also says the site is in active use; a call for expressions
of interest proposes *offered*; a decision that declares a site available
proposes *available*; other matches are listed with no status, for the
officer to read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from zoneinfo import ZoneInfo

import requests

from ..common._text import fold
from ..common.errors import InputError
from .store import Ledger

WINDOW_DAYS = 180
PAGE_SIZE = 500
ATHENS = ZoneInfo("Europe/Athens")
#: Phrases of a subject (compared folded) and the step each proposes; the first found wins.
PROPOSALS: tuple[tuple[str, str, str | None], ...] = (
    ("παραχώρηση χρήσης", "assigned", "concession"),
    ("δωρεάν παραχώρηση", "assigned", "concession"),
    ("μίσθωση", "assigned", "lease"),
    ("εκμίσθωση", "assigned", "lease"),
    ("εκδήλωσης ενδιαφέροντος", "offered", None),
    ("διαθέσιμο", "available", None),
    ("διάθεση ακινήτου", "available", None),
)
_KAEK = re.compile(r"(?<!\d)\d{12}(?!\d)")

Get = Callable[..., requests.Response]


def windows(since: dt.date, until: dt.date, days: int = WINDOW_DAYS) -> list[tuple[dt.date, dt.date]]:
    """``since``..``until`` in consecutive windows of at most ``days`` days."""
    out, start = [], since
    while start <= until:
        end = min(start + dt.timedelta(days=days - 1), until)
        out.append((start, end))
        start = end + dt.timedelta(days=1)
    return out


def search_decisions(url: str, org: str, terms: Iterable[str], since: dt.date, until: dt.date,
                     get: Get = requests.get) -> list[dict]:
    """Every published decision of ``org`` issued between the dates whose
    text matches one of ``terms``, each once (by ΑΔΑ), oldest first.

    Raises
    ------
    InputError
        When the server cannot be reached or does not answer as Diavgeia does.
    """
    found: dict[str, dict] = {}
    for term in terms:
        for start, end in windows(since, until):
            page = 0
            while True:
                params = {"org": org, "q": term, "from_issue_date": start.isoformat(), "to_issue_date": end.isoformat(),
                          "status": "PUBLISHED", "page": page, "size": PAGE_SIZE}
                answer = _ask(get, f"{url.rstrip('/')}/search.json", params)
                for decision in answer["decisions"]:
                    found.setdefault(decision["ada"], decision)
                info = answer["info"]
                page += 1
                if not answer["decisions"] or page * int(info.get("size") or PAGE_SIZE) >= int(info.get("total") or 0):
                    break
    return sorted(found.values(), key=lambda d: (d.get("issueDate") or 0, d["ada"]))


def _ask(get: Get, url: str, params: dict) -> dict:
    where = f"Diavgeia {url}"
    try:
        response = get(url, params=params, timeout=60, headers={"Accept": "application/json"})
    except requests.RequestException as exc:
        raise InputError(where, [f"cannot be reached ({type(exc).__name__}: {exc})"]) from None
    if response.status_code != 200:
        raise InputError(where, [f"answered HTTP {response.status_code} to {params}"])
    try:
        data = response.json()
        assert isinstance(data.get("decisions"), list) and isinstance(data.get("info"), dict)
        assert all("ada" in d for d in data["decisions"])
    except (ValueError, AssertionError, AttributeError):
        raise InputError(where, ["the answer is not Diavgeia's search JSON (info, decisions with their ada)"]) from None
    return data


def issue_date(decision: dict) -> str:
    """A decision's issue date (Diavgeia gives milliseconds), in Athens."""
    value = decision.get("issueDate")
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / 1000, tz=ATHENS).date().isoformat()
    return str(value)[:10]


def _stems(text: str) -> list[str]:
    """The words of a name as stems that survive Greek inflection (σχολείο,
    σχολείου, σχολεία: ``σχολε``): words of 4 letters or more, less their
    last two letters, never shorter than 4."""
    return [w[:max(4, len(w) - 2)] for w in re.findall(r"\w+", fold(text)) if len(w) >= 4]


def names_match(name: str | None, subject_words: list[str]) -> bool:
    """Every stem of ``name`` begins a word of the subject; a name of one
    word is too common a match to count (Αποθήκη, Σχολείο)."""
    stems = _stems(name or "")
    return len(stems) >= 2 and all(any(w.startswith(stem) for w in subject_words) for stem in stems)


def propose(decisions: list[dict], ledger: Ledger) -> list[dict]:
    """One proposal per (decision, asset) matched: the fill columns of the
    status workbook, with where it came from."""
    assets = [a for a in ledger.assets() if a["end_date"] is None]
    by_code = {a["parcel_code"]: a for a in assets if a.get("parcel_code")}
    proposals = []
    for decision in decisions:
        subject = str(decision.get("subject") or "")
        text = fold(subject)
        words = re.findall(r"\w+", text)
        matched: dict[str, str] = {}
        for code in _KAEK.findall(subject):
            if code in by_code:
                matched[by_code[code]["ledger_id"]] = f"ΚΑΕΚ {code}"
        for asset in assets:
            if asset["ledger_id"] in matched:
                continue
            register = asset.get("register_id")
            if register and re.search(rf"(?<!\w){re.escape(fold(register))}(?!\w)", text):
                matched[asset["ledger_id"]] = f"register id {register}"
            elif names_match(asset.get("name"), words):
                matched[asset["ledger_id"]] = "name"
        status, tenure = next(((s, t) for phrase, s, t in PROPOSALS if fold(phrase) in text), (None, None))
        for ledger_id, how in matched.items():
            proposals.append({
                "asset": ledger_id, "date": issue_date(decision), "status": status, "role": "council",
                "evidence": f"ΑΔΑ {decision['ada']}", "tenure": tenure, "note": subject[:500],
                "source": f"{decision.get('documentUrl') or 'https://diavgeia.gov.gr/doc/' + decision['ada']} "
                          f"(matched by {how})",
            })
    return proposals
