"""Exceptions raised by the pipeline.

Every error a user can meet derives from :class:`IdleAssetsError`, so the
command-line interface can print it without a traceback. Errors that gather
several problems keep them in ``problems`` and print one per line.
"""

from __future__ import annotations

from collections.abc import Iterable


class IdleAssetsError(Exception):
    """Base class of every error reported to the user."""


class ProblemsError(IdleAssetsError):
    """An error that lists every problem found, one per line.

    Parameters
    ----------
    title : str
        What was being checked, e.g. ``"config configs/volos.yaml"``.
    problems : iterable of str
        One human-readable sentence per problem.
    """

    def __init__(self, title: str, problems: Iterable[str]):
        self.title = title
        self.problems = list(problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{title}: {n} problem{'s' if n != 1 else ''}\n{lines}")


class ConfigError(ProblemsError):
    """The project configuration (YAML) or a use profile is invalid."""


class InputError(ProblemsError):
    """An input file is missing, unreadable or holds unusable records."""


class ContractError(ProblemsError):
    """A stage produced output that breaks its data contract (a bug, not bad input)."""


class CoverageError(InputError):
    """The OSM extract covers too little of the boundary; ``coverage`` is the share (0-1)."""

    def __init__(self, title: str, problems: Iterable[str], coverage: float):
        super().__init__(title, problems)
        self.coverage = coverage
