"""Where the ledger lives: an SQLite file beside the project (embedded, the
default) or a PostgreSQL/PostGIS database its officers share, through one
class and one schema.

Both keep the schema's version in ``ledger_schema`` and bring a ledger up to
:data:`MIGRATIONS`' last on opening, each step once. Every write is one
transaction no other writer can interleave with: ``BEGIN IMMEDIATE`` under a
lock file in SQLite, a transaction-level advisory lock in PostgreSQL. Events
are append-only, and the database itself refuses to change or delete one
(triggers), so the history an officer reads is the history recorded.
Geometries are kept in lon/lat (EPSG:4326), as WKB in SQLite and as a
PostGIS geometry in PostgreSQL; rows come back alike from both.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator, Sequence
from abc import ABC, abstractmethod
from contextlib import AbstractContextManager, contextmanager
from dataclasses import fields
from decimal import Decimal
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from ..common.errors import InputError
from ._gpkg import gpkg_blob, make_geopackage
from .model import Event, Site, event_problems

#: The columns of the assets table, in order.
ASSET_COLUMNS = ("ledger_id", "name", "kind", "previously_part_of", "first_added", "last_updated", "end_date",
                 "last_seen", "area_m2", "geometry", "parcel_code", "register_id")
EVENT_COLUMNS = tuple(f.name for f in fields(Event))

#: The schema, one step per version, in each dialect (SQL, or a function of the connection).
MIGRATIONS: tuple[dict[str, Any], ...] = (
    {
        "sqlite": """
        CREATE TABLE assets (
            ledger_id TEXT PRIMARY KEY, name TEXT, kind TEXT, previously_part_of TEXT,
            first_added TEXT NOT NULL, last_updated TEXT NOT NULL, end_date TEXT, last_seen TEXT,
            area_m2 REAL, geometry BLOB
        );
        CREATE TABLE events (
            event_id INTEGER PRIMARY KEY AUTOINCREMENT,
            ledger_id TEXT NOT NULL REFERENCES assets(ledger_id),
            date TEXT NOT NULL, status TEXT NOT NULL, role TEXT NOT NULL, evidence TEXT,
            tenure TEXT, term_years REAL, new_use TEXT, area_m2 REAL, funding TEXT, reason TEXT, note TEXT,
            recorded_at TEXT NOT NULL
        );
        CREATE INDEX events_by_asset ON events(ledger_id, date, event_id);
        CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
            BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
        CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
            BEGIN SELECT RAISE(ABORT, 'ledger events are append-only'); END;
        """,
        "postgresql": """
        CREATE EXTENSION IF NOT EXISTS postgis;
        CREATE TABLE assets (
            ledger_id text PRIMARY KEY, name text, kind text, previously_part_of text,
            first_added date NOT NULL, last_updated date NOT NULL, end_date date, last_seen date,
            area_m2 double precision, geometry geometry(Geometry, 4326)
        );
        CREATE INDEX assets_geometry ON assets USING gist (geometry);
        CREATE TABLE events (
            event_id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            ledger_id text NOT NULL REFERENCES assets(ledger_id),
            date date NOT NULL, status text NOT NULL, role text NOT NULL, evidence text,
            tenure text, term_years double precision, new_use text, area_m2 double precision, funding text,
            reason text, note text, recorded_at timestamptz NOT NULL
        );
        CREATE INDEX events_by_asset ON events(ledger_id, date, event_id);
        CREATE FUNCTION ledger_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'ledger events are append-only'; END $$;
        CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
            FOR EACH ROW EXECUTE FUNCTION ledger_events_append_only();
        """,
    },
    {  # 2: the keys council decisions name a site by (a Diavgeia decision cites its ΚΑΕΚ or register entry)
        "sqlite": """
        ALTER TABLE assets ADD COLUMN parcel_code TEXT;
        ALTER TABLE assets ADD COLUMN register_id TEXT;
        """,
        "postgresql": """
        ALTER TABLE assets ADD COLUMN parcel_code text;
        ALTER TABLE assets ADD COLUMN register_id text;
        """,
    },
    {  # 3: the use agreed with an assignment, which the plan's targets are counted against
        "sqlite": "ALTER TABLE events ADD COLUMN use TEXT;",
        "postgresql": "ALTER TABLE events ADD COLUMN use text;",
    },
    {  # 4: the SQLite file is a GeoPackage too, with a 'sites' layer GIS tools open (PostGIS is spatial already)
        "sqlite": make_geopackage,
        "postgresql": "SELECT 1;",
    },
)

_LOCK_KEY = 7_326_411  # the advisory lock every idle-assets writer of a PostgreSQL ledger takes


def _plain(value: Any) -> Any:
    """A database value as both stores give it back: ISO dates, floats, bytes."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat(timespec="seconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, memoryview):
        return bytes(value)
    return value


class Ledger(ABC):
    """A project's ledger; open it with :func:`open_ledger`. Each store
    (:class:`SqliteLedger`, :class:`PostgresLedger`) provides the abstract
    methods: running SQL, one writer's transaction, applying a migration
    step, listing its tables and closing."""

    dialect = ""

    def __init__(self, where: str):
        self.where = where

    # ---------------------------------------------------------------- what the dialects provide
    @abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run ``sql`` (``?`` placeholders); the cursor."""

    @abstractmethod
    def _write(self) -> AbstractContextManager[None]:
        """One transaction no other writer can interleave with (re-entrant)."""

    def _geometry_in(self) -> str:
        """The SQL of a WKB parameter stored as the geometry column."""
        return "?"

    def _geometry_out(self) -> str:
        return "geometry"

    @abstractmethod
    def _apply(self, script) -> None:
        """Apply one migration step of this store's dialect."""

    @abstractmethod
    def _tables(self) -> set[str]:
        """The tables of the ledger's schema."""

    @abstractmethod
    def close(self) -> None:
        """Close the connection."""

    # ---------------------------------------------------------------- the schema
    @property
    def version(self) -> int:
        if "ledger_schema" not in self._tables():
            return 0
        row = self._execute("SELECT max(version) FROM ledger_schema").fetchone()
        return int(row[0] or 0)

    def _migrate(self) -> None:
        tables = self._tables()
        if "ledger_schema" not in tables and tables - {"sqlite_sequence", "spatial_ref_sys"}:
            raise InputError(self.where, ["a database that is not a ledger of ours (it has other tables); "
                                          "give an empty one or another path"])
        with self._write():
            self._execute("CREATE TABLE IF NOT EXISTS ledger_schema (version integer NOT NULL, applied_at text NOT NULL)")
        version = self.version
        if version > len(MIGRATIONS):
            raise InputError(self.where, [f"ledger schema {version} is newer than this idle-assets ({len(MIGRATIONS)})"])
        for number, step in enumerate(MIGRATIONS[version:], start=version + 1):
            with self._write():
                self._apply(step[self.dialect])
                self._execute("INSERT INTO ledger_schema VALUES (?, ?)", (number, _now()))

    # ---------------------------------------------------------------- assets and events
    def add_asset(self, ledger_id: str, date: str, site: Site | None = None) -> bool:
        """Add an asset not in the ledger yet, first found on ``date``; False
        (and nothing changed) when it is there."""
        site = site or Site()
        with self._write():
            if self._execute("SELECT 1 FROM assets WHERE ledger_id = ?", (ledger_id,)).fetchone():
                return False
            self._execute(
                f"INSERT INTO assets ({', '.join(ASSET_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, "
                f"{self._geometry_in()}, ?, ?)",
                (ledger_id, site.name, site.kind, site.previously_part_of, date, date, date, site.area_m2, site.wkb,
                 site.parcel_code, site.register_id))
            return True

    def seen(self, ledger_ids: Sequence[str], date: str) -> None:
        """Note that a run on ``date`` found these assets again."""
        with self._write():
            for ledger_id in ledger_ids:
                self._execute("UPDATE assets SET last_seen = ? WHERE ledger_id = ? AND (last_seen IS NULL OR last_seen < ?)",
                              (date, ledger_id, date))

    def record(self, event: Event, today: dt.date | None = None) -> int:
        """Append ``event`` to its asset's history; its id.

        Raises
        ------
        InputError
            Naming every problem of the event, or an asset not in the ledger.
        """
        problems = event_problems(event, today)
        if problems:
            raise InputError(f"ledger event for {event.ledger_id}", problems)
        with self._write():
            if not self._execute("SELECT 1 FROM assets WHERE ledger_id = ?", (event.ledger_id,)).fetchone():
                raise InputError(f"ledger event for {event.ledger_id}", [f"no asset {event.ledger_id!r} in {self.where}"])
            values = (*(getattr(event, n) for n in EVENT_COLUMNS), _now())
            self._execute(f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}, recorded_at) "
                          f"VALUES ({', '.join('?' * len(values))})", values)
            event_id = self._execute("SELECT max(event_id) FROM events").fetchone()[0]
            self._execute("UPDATE assets SET last_updated = ? WHERE ledger_id = ? AND last_updated < ?",
                          (event.date, event.ledger_id, event.date))
            if event.status == "exited":
                self._execute("UPDATE assets SET end_date = ? WHERE ledger_id = ?", (event.date, event.ledger_id))
            return int(event_id)

    def history(self, ledger_id: str | None = None) -> list[dict]:
        """Every event of an asset (of all assets when None), oldest first."""
        where, params = ("WHERE ledger_id = ?", (ledger_id,)) if ledger_id else ("", ())
        return self._rows(f"SELECT * FROM events {where} ORDER BY ledger_id, date, event_id", params)

    def current(self) -> dict[str, str]:
        """Each asset's status now: that of its latest event (by date, then as recorded)."""
        rows = self._execute(
            "SELECT ledger_id, status FROM events e WHERE event_id = (SELECT event_id FROM events x WHERE "
            "x.ledger_id = e.ledger_id ORDER BY date DESC, event_id DESC LIMIT 1)").fetchall()
        return {r[0]: r[1] for r in rows}

    def assets(self) -> list[dict]:
        """Every asset ever found, its geometry as WKB (lon/lat)."""
        columns = [c if c != "geometry" else f"{self._geometry_out()} AS geometry" for c in ASSET_COLUMNS]
        return self._rows(f"SELECT {', '.join(columns)} FROM assets ORDER BY ledger_id")

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict]:
        cursor = self._execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [{n: _plain(v) for n, v in zip(names, row)} for row in cursor.fetchall()]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Several writes as one: all recorded, or none."""
        with self._write():
            yield

    def __enter__(self) -> "Ledger":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


class SqliteLedger(Ledger):
    """The embedded ledger: one SQLite file."""

    dialect = "sqlite"

    def __init__(self, path: Path):
        super().__init__(str(path))
        self.path = Path(path)
        self._lock = FileLock(str(self.path) + ".lock")
        try:
            self._db = sqlite3.connect(self.path, isolation_level=None)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._tables()
        except sqlite3.DatabaseError as exc:
            raise InputError(self.where, [f"not an SQLite ledger ({exc})"]) from None

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._db.execute(sql, tuple(params))

    def _tables(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _apply(self, script) -> None:
        if callable(script):
            script(self._db)
            return
        for statement in _statements(script):
            self._db.execute(statement)

    def add_asset(self, ledger_id: str, date: str, site: Site | None = None) -> bool:
        """As :meth:`Ledger.add_asset`, the site also drawn in the GeoPackage's ``sites`` layer."""
        with self._write():
            added = super().add_asset(ledger_id, date, site)
            if added and "sites" in self._tables():
                self._db.execute("INSERT INTO sites (ledger_id, name, geom) VALUES (?, ?, ?)",
                                 (ledger_id, (site or Site()).name, gpkg_blob((site or Site()).wkb)))
            return added

    @contextmanager
    def _write(self) -> Iterator[None]:
        if self._db.in_transaction:  # already inside this ledger's write
            yield
            return
        try:
            self._lock.acquire(timeout=30)
        except Timeout:
            raise InputError(self.where, ["another process is writing the ledger; try again when it is done"]) from None
        try:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._db.rollback()
                raise
            self._db.commit()
        finally:
            self._lock.release()

    def close(self) -> None:
        self._db.close()


class PostgresLedger(Ledger):
    """A shared ledger in PostgreSQL with PostGIS."""

    dialect = "postgresql"

    def __init__(self, url: str):
        super().__init__(_without_password(url))
        try:
            import psycopg
        except ImportError:
            raise InputError(self.where, ["a PostgreSQL ledger needs psycopg: pip install 'idle-assets[postgres]'"]) from None
        try:
            self._db = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise InputError(self.where, [f"cannot connect ({str(exc).strip()})"]) from None
        self._depth = 0

    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._db.execute(sql.replace("?", "%s"), tuple(params))

    def _tables(self) -> set[str]:
        rows = self._db.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()").fetchall()
        return {r[0] for r in rows}

    def _apply(self, script: str) -> None:
        self._db.execute(script)

    def _geometry_in(self) -> str:
        return "ST_GeomFromWKB(%s, 4326)".replace("%s", "?")

    def _geometry_out(self) -> str:
        return "ST_AsBinary(geometry)"

    @contextmanager
    def _write(self) -> Iterator[None]:
        if self._depth:
            yield
            return
        import psycopg

        self._depth += 1
        try:
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                yield
        except psycopg.errors.RaiseException as exc:
            raise InputError(self.where, [str(exc).strip()]) from None
        finally:
            self._depth -= 1

    def close(self) -> None:
        self._db.close()


def _without_password(url: str) -> str:
    """A database URL fit for messages (no password)."""
    head, sep, tail = url.partition("@")
    if not sep or "://" not in head:
        return url
    scheme, _, user = head.partition("://")
    return f"{scheme}://{user.split(':')[0]}@{tail}"


def open_ledger(where: str | Path) -> Ledger:
    """The ledger at ``where`` (an SQLite path, or a ``postgresql://`` URL),
    created or migrated to the current schema.

    Raises
    ------
    InputError
        When it cannot be opened, is not a ledger of ours, or is newer than
        this version of idle-assets.
    """
    text = str(where)
    ledger: Ledger = PostgresLedger(text) if text.startswith(("postgresql://", "postgres://")) else SqliteLedger(Path(text))
    try:
        ledger._migrate()
    except BaseException:
        ledger.close()
        raise
    return ledger


def _statements(script: str) -> list[str]:
    """The statements of an SQLite migration (a trigger keeps its inner semicolons)."""
    out, current = [], []
    for line in script.strip().splitlines():
        current.append(line)
        text = "\n".join(current).strip()
        if text.endswith(";") and (not text.upper().startswith("CREATE TRIGGER") or text.upper().endswith("END;")):
            out.append(text)
            current = []
    return out
