"""The plan's ledger on its embedded store (SQLite): assets kept across runs,
an append-only history the database itself defends, checked events, a
versioned schema, and one writer at a time."""

from __future__ import annotations

import sqlite3

import pytest

from pipeline.common.errors import InputError
from pipeline.ledger import MIGRATIONS, STATUSES, Event, open_ledger


@pytest.fixture
def ledger(tmp_path):
    book = open_ledger(tmp_path / "ledger.sqlite")
    yield book
    book.close()


def test_an_asset_walks_its_path_and_its_status_is_the_latest_event(ledger):
    assert ledger.add_asset("reg-R1", "2026-01-10", name="Old school", kind="building")
    assert not ledger.add_asset("reg-R1", "2026-02-01")  # a second run finds it again: kept once
    ledger.record(Event("reg-R1", "2026-01-10", "identified", "pipeline", evidence="register row R1"))
    ledger.record(Event("reg-R1", "2026-03-02", "verified", "surveyor", evidence="survey submission 17"))
    ledger.record(Event("reg-R1", "2026-05-20", "available", "council", evidence="ΑΔΑ 6ΞΒ4ΩΛΛ-ΑΒΓ"))
    ledger.record(Event("reg-R1", "2026-09-01", "assigned", "council", evidence="ΑΔΑ 9ΠΡ4ΩΛΛ-ΔΕΖ",
                        tenure="concession", term_years=10, note="to a KOINSEP for a social farm"))
    assert ledger.current() == {"reg-R1": "assigned"}
    assert [e["status"] for e in ledger.history("reg-R1")] == ["identified", "verified", "available", "assigned"]
    row = ledger.assets()[0]
    assert (row["first_added"], row["last_updated"], row["end_date"]) == ("2026-01-10", "2026-09-01", None)


def test_an_exit_ends_the_asset_and_needs_its_new_use_or_reason(ledger):
    ledger.add_asset("osm-way-5", "2026-01-10")
    with pytest.raises(InputError, match="an exit records the new use"):
        ledger.record(Event("osm-way-5", "2026-04-01", "exited", "officer"))
    ledger.record(Event("osm-way-5", "2026-04-01", "exited", "officer", reason="sold"))
    assert ledger.assets()[0]["end_date"] == "2026-04-01"


def test_every_problem_of_an_event_is_named_at_once(ledger):
    ledger.add_asset("reg-R2", "2026-01-10")
    with pytest.raises(InputError) as err:
        ledger.record(Event("reg-R2", "2026-13-01", "leased", "mayor", tenure="gift", term_years=-1))
    problems = err.value.problems
    assert any("status 'leased'" in p for p in problems) and any("role 'mayor'" in p for p in problems)
    assert any("'2026-13-01' is not a date" in p for p in problems) and any("tenure 'gift'" in p for p in problems)
    assert any("term_years -1" in p for p in problems)
    assert ledger.history("reg-R2") == []


def test_a_council_decision_needs_its_evidence_and_an_unknown_asset_is_refused(ledger):
    ledger.add_asset("reg-R3", "2026-01-10")
    with pytest.raises(InputError, match="Diavgeia"):
        ledger.record(Event("reg-R3", "2026-02-01", "available", "council"))
    with pytest.raises(InputError, match="no asset 'reg-R9'"):
        ledger.record(Event("reg-R9", "2026-02-01", "verified", "surveyor"))


def test_the_history_cannot_be_changed_or_deleted(ledger, tmp_path):
    ledger.add_asset("reg-R1", "2026-01-10")
    ledger.record(Event("reg-R1", "2026-01-10", "identified", "pipeline"))
    raw = sqlite3.connect(tmp_path / "ledger.sqlite")
    for statement in ("UPDATE events SET status = 'operating'", "DELETE FROM events"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            raw.execute(statement)
    raw.close()
    assert [e["status"] for e in ledger.history("reg-R1")] == ["identified"]


def test_the_schema_is_versioned_and_a_foreign_file_is_refused(tmp_path):
    book = open_ledger(tmp_path / "ledger.sqlite")
    assert book.version == len(MIGRATIONS)
    book.close()
    again = open_ledger(tmp_path / "ledger.sqlite")  # reopening applies nothing twice
    assert again.version == len(MIGRATIONS)
    again.close()
    other = sqlite3.connect(tmp_path / "theirs.sqlite")
    other.execute("CREATE TABLE notes (x)")
    other.commit()
    other.close()
    with pytest.raises(InputError, match="not a ledger of ours"):
        open_ledger(tmp_path / "theirs.sqlite")
    (tmp_path / "text.sqlite").write_text("not a database at all, just text" * 10, encoding="utf-8")
    with pytest.raises(InputError, match="not an SQLite ledger"):
        open_ledger(tmp_path / "text.sqlite")


def test_a_second_writer_waits_its_turn(ledger, tmp_path):
    from filelock import FileLock

    ledger.add_asset("reg-R1", "2026-01-10")
    held = FileLock(str(tmp_path / "ledger.sqlite") + ".lock")
    held.acquire()
    try:
        import pipeline.ledger as module

        with pytest.MonkeyPatch.context() as mp:
            real = module.FileLock
            mp.setattr(module, "FileLock", lambda path: _Quick(real(path)))
            with pytest.raises(InputError, match="another process is writing the ledger"):
                ledger.record(Event("reg-R1", "2026-01-11", "verified", "surveyor"))
    finally:
        held.release()
    assert ledger.history("reg-R1") == []


class _Quick:
    """A lock that gives up at once, so the test need not wait 30 s."""

    def __init__(self, lock):
        self.lock = lock

    def acquire(self, timeout):
        return self.lock.acquire(timeout=0.1)

    def release(self):
        self.lock.release()


def test_every_status_has_a_greek_and_an_english_label():
    assert all(el and en and el != en for el, en in STATUSES.values())
    assert list(STATUSES)[:3] == ["reported", "identified", "verified"] and "blocked" in STATUSES
