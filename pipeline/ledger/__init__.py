"""The plan's ledger: every asset ever found and each step of its path from
report to operating, kept per project across runs, in an SQLite file beside
the project or a PostgreSQL/PostGIS database its officers share.

- :mod:`.model`: the statuses, tenures, exit reasons and roles (Greek and
  English), and one event with its checks;
- :mod:`.store`: the two stores behind one class, with a versioned schema;
- :mod:`.runs`: what a run records (assets identified, survey answers that
  verify them, sites split or merged since the last run).
"""

from .model import EXIT_REASONS, ROLES, STATUSES, TENURES, Event, Site, event_problems
from .runs import record_run
from .store import MIGRATIONS, Ledger, open_ledger

__all__ = ["EXIT_REASONS", "MIGRATIONS", "ROLES", "STATUSES", "TENURES", "Event", "Ledger", "Site", "event_problems",
           "open_ledger", "record_run"]
