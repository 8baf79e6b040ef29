"""The plan's ledger: every asset ever found and each step of its path from
report to operating, kept per project across runs.

The embedded store is one SQLite file beside the project (``ledger.sqlite``):
writes are transactions taken with ``BEGIN IMMEDIATE`` under a lock file, so
two writers never interleave, and the schema carries its version
(:data:`MIGRATIONS`, applied in order, each once). Events are append-only: the
database itself refuses to change or delete one (triggers), so the history
an officer reads is the history that was recorded.

Statuses follow the peers' registers (CNIG's friches, the UK brownfield
registers, Scotland's vacant and derelict land survey) and the plan's
method: reported → identified → verified → available (a council decision
that it can be offered) → offered → requested → assigned → in preparation →
operating → exited, with blocked (a dispute, a claim by another public body)
possible at any step.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

from .common.errors import InputError

#: Each status with its Greek and English label, in the order of the path.
STATUSES: dict[str, tuple[str, str]] = {
    "reported": ("αναφέρθηκε", "reported"),
    "identified": ("εντοπίστηκε", "identified"),
    "verified": ("επαληθεύτηκε", "verified"),
    "available": ("διαθέσιμο (απόφαση Δ.Σ.)", "available (council decision)"),
    "offered": ("προσφέρθηκε", "offered"),
    "requested": ("ζητήθηκε", "requested"),
    "assigned": ("παραχωρήθηκε", "assigned"),
    "in_preparation": ("σε προετοιμασία", "in preparation"),
    "operating": ("σε λειτουργία", "operating"),
    "exited": ("εξήλθε από το μητρώο", "exited"),
    "blocked": ("σε εκκρεμότητα (διαφορά ή διεκδίκηση)", "blocked (dispute or claim)"),
}
#: How an assigned asset is held.
TENURES: dict[str, tuple[str, str]] = {
    "concession": ("παραχώρηση χρήσης", "concession of use"),
    "lease": ("μίσθωση", "lease"),
    "other": ("άλλο", "other"),
}
#: Why an asset left the register without a new use.
EXIT_REASONS: dict[str, tuple[str, str]] = {
    "merged": ("συγχωνεύτηκε", "merged"),
    "split": ("διαιρέθηκε", "split"),
    "sold": ("πωλήθηκε", "sold"),
    "naturalised": ("αποκαταστάθηκε ως φυσικός χώρος", "naturalised"),
    "removed": ("αφαιρέθηκε (εκτός ορισμού)", "removed by definition"),
}
#: Who records an event.
ROLES = ("pipeline", "officer", "surveyor", "council", "organisation")

#: The schema, one step per version; a ledger is brought up to the last on opening.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE assets (
        ledger_id TEXT PRIMARY KEY,
        name TEXT,
        kind TEXT,
        previously_part_of TEXT,
        first_added TEXT NOT NULL,
        last_updated TEXT NOT NULL,
        end_date TEXT
    );
    CREATE TABLE events (
        event_id INTEGER PRIMARY KEY AUTOINCREMENT,
        ledger_id TEXT NOT NULL REFERENCES assets(ledger_id),
        date TEXT NOT NULL,
        status TEXT NOT NULL,
        role TEXT NOT NULL,
        evidence TEXT,
        tenure TEXT,
        term_years REAL,
        new_use TEXT,
        area_m2 REAL,
        funding TEXT,
        reason TEXT,
        note TEXT,
        recorded_at TEXT NOT NULL
    );
    CREATE INDEX events_by_asset ON events(ledger_id, date, event_id);
    CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
        BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
    CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
        BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
    """,
)


@dataclass(frozen=True)
class Event:
    """One step of an asset's path, as recorded."""

    ledger_id: str
    date: str
    status: str
    role: str
    evidence: str | None = None
    tenure: str | None = None
    term_years: float | None = None
    new_use: str | None = None
    area_m2: float | None = None
    funding: str | None = None
    reason: str | None = None
    note: str | None = None


def event_problems(event: Event, today: dt.date | None = None) -> list[str]:
    """Everything wrong with ``event``, each a sentence naming the field."""
    problems = []
    if event.status not in STATUSES:
        problems.append(f"status {event.status!r} is not one of {', '.join(STATUSES)}")
    if event.role not in ROLES:
        problems.append(f"role {event.role!r} is not one of {', '.join(ROLES)}")
    try:
        day = dt.date.fromisoformat(event.date)
        if day > (today or dt.date.today()):
            problems.append(f"date {event.date} is in the future")
    except (TypeError, ValueError):
        problems.append(f"date {event.date!r} is not a date (YYYY-MM-DD)")
    if event.tenure is not None and event.tenure not in TENURES:
        problems.append(f"tenure {event.tenure!r} is not one of {', '.join(TENURES)}")
    if event.tenure is not None and event.status not in ("assigned", "in_preparation", "operating"):
        problems.append(f"a tenure is granted with an assignment, not with status {event.status!r}")
    if event.term_years is not None and not event.term_years > 0:
        problems.append(f"term_years {event.term_years} is not a positive number of years")
    if event.area_m2 is not None and not event.area_m2 > 0:
        problems.append(f"area_m2 {event.area_m2} is not a positive area")
    if event.reason is not None and event.reason not in EXIT_REASONS:
        problems.append(f"reason {event.reason!r} is not one of {', '.join(EXIT_REASONS)}")
    if event.status == "exited" and not (event.new_use or event.reason):
        problems.append("an exit records the new use (new_use) or why it left the register (reason)")
    if event.status == "available" and not event.evidence:
        problems.append("'available' is a council decision: give its evidence (e.g. the Diavgeia ΑΔΑ)")
    return problems


class Ledger:
    """A project's ledger in an SQLite file; open it with :func:`open_ledger`."""

    def __init__(self, path: Path, connection: sqlite3.Connection):
        self.path = path
        self._db = connection

    @property
    def version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def add_asset(self, ledger_id: str, date: str, name: str | None = None, kind: str | None = None,
                  previously_part_of: str | None = None) -> bool:
        """Add an asset not in the ledger yet; False when it is already there."""
        with self._write():
            found = self._db.execute("SELECT 1 FROM assets WHERE ledger_id = ?", (ledger_id,)).fetchone()
            if found:
                return False
            self._db.execute("INSERT INTO assets VALUES (?, ?, ?, ?, ?, ?, NULL)",
                             (ledger_id, name, kind, previously_part_of, date, date))
            return True

    def record(self, event: Event) -> int:
        """Append ``event`` (its asset must be in the ledger); its id.

        Raises
        ------
        InputError
            Naming every problem of the event.
        """
        problems = event_problems(event)
        if problems:
            raise InputError(f"ledger event for {event.ledger_id}", problems)
        with self._write():
            if not self._db.execute("SELECT 1 FROM assets WHERE ledger_id = ?", (event.ledger_id,)).fetchone():
                raise InputError(f"ledger event for {event.ledger_id}", [f"no asset {event.ledger_id!r} in {self.path}"])
            now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
            names = [f.name for f in fields(Event)]
            cursor = self._db.execute(
                f"INSERT INTO events ({', '.join(names)}, recorded_at) VALUES ({', '.join('?' * (len(names) + 1))})",
                (*(getattr(event, n) for n in names), now))
            self._db.execute("UPDATE assets SET last_updated = max(last_updated, ?), end_date = ? WHERE ledger_id = ?",
                             (event.date, event.date if event.status == "exited" else None, event.ledger_id))
            return int(cursor.lastrowid or 0)

    def history(self, ledger_id: str) -> list[dict]:
        """Every event of an asset, oldest first."""
        cursor = self._db.execute("SELECT * FROM events WHERE ledger_id = ? ORDER BY date, event_id", (ledger_id,))
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def current(self) -> dict[str, str]:
        """Each asset's status now: that of its latest event (by date, then as recorded)."""
        rows = self._db.execute(
            "SELECT ledger_id, status FROM events e WHERE event_id = (SELECT event_id FROM events WHERE "
            "ledger_id = e.ledger_id ORDER BY date DESC, event_id DESC LIMIT 1)").fetchall()
        return dict(rows)

    def assets(self) -> list[dict]:
        cursor = self._db.execute("SELECT * FROM assets ORDER BY ledger_id")
        columns = [c[0] for c in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _write(self) -> Iterator[None]:
        """One transaction that no other writer can interleave with."""
        lock = FileLock(str(self.path) + ".lock")
        try:
            lock.acquire(timeout=30)
        except Timeout:
            raise InputError(str(self.path), ["another process is writing the ledger; try again when it is done"]) from None
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()
        finally:
            lock.release()


def open_ledger(path: Path) -> Ledger:
    """The ledger at ``path``, created or migrated to the current schema.

    Raises
    ------
    InputError
        When the file is not a ledger of ours or is newer than this version.
    """
    path = Path(path)
    try:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA foreign_keys = ON")
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as exc:
        raise InputError(str(path), [f"not an SQLite ledger ({exc})"]) from None
    if version == 0 and tables - {"sqlite_sequence"}:
        db.close()
        raise InputError(str(path), ["an SQLite file that is not a ledger of ours; give another path"])
    if version > len(MIGRATIONS):
        db.close()
        raise InputError(str(path), [f"ledger schema {version} is newer than this idle-assets ({len(MIGRATIONS)})"])
    ledger = Ledger(path, db)
    for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
        with ledger._write():
            for statement in _statements(script):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {number}")
    return ledger


def _statements(script: str) -> list[str]:
    """The statements of a migration (triggers keep their inner semicolons)."""
    out, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER") or text.upper().endswith("END;")):
            out.append(text)
            current = []
    return out
