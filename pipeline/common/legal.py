"""The legal routes table (``legal_routes.yaml``): by owner, use and legal
form, the instrument that gives an organisation a site, the body that
decides, the law and article and the usual documents; and the legal forms'
own conditions (minimum members and the like). Every rule and condition
cites a source of the table.

A planner's file (the config's ``plan.legal_routes``), of the same shape,
changes it: a rule, source or legal form with an id already in the table
replaces it, a new one is added. Read here, a shared leaf; the plan, which
reads no file, gets the merged table (:func:`pipeline.plan.legal.legal_routes`).
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError

from . import _yaml
from .errors import ConfigError
from .evidence import OWNERSHIP
from .i18n import LEGAL_FORMS
from .schema import Strict, format_validation_error

DEFAULT = Path(__file__).parent / "legal_routes.yaml"
#: ``legal_forms: [none]`` in a rule: no organisation is known for the site yet.
NO_ORGANISATION = "none"


class Text(Strict):
    """A text in Greek and English."""

    el: str = Field(min_length=1)
    en: str = Field(min_length=1)


class Documents(Strict):
    """The usual documents, in Greek and English."""

    el: list[str] = Field(default_factory=list)
    en: list[str] = Field(default_factory=list)


class LegalSource(Strict):
    """Where a rule comes from: its title (the law and article), an address, and
    where and when it was read for the table (or that it was not)."""

    title: str = Field(min_length=1)
    url: Annotated[str, Field(pattern=r"^https?://\S+$")] | None = None
    read: str = Field(min_length=1)


class FormCondition(Strict):
    """A legal form's own conditions."""

    min_members: int | None = Field(None, ge=1)
    must_form: bool = False
    note: Text
    source: str


class Rule(Strict):
    """One route: when (owner, uses, legal forms; left out: any), then what."""

    id: str = Field(min_length=1)
    owner: list[Literal["municipal", "other_public", "private", "unknown"]] | None = None
    uses: list[str] | None = None
    legal_forms: list[str] | None = None
    instrument: Text
    body: Text
    law: Text
    documents: Documents = Documents()
    note: Text | None = None
    source: str | list[str]

    @property
    def sources(self) -> list[str]:
        return [self.source] if isinstance(self.source, str) else list(self.source)

    @property
    def specificity(self) -> int:
        return sum(x is not None for x in (self.owner, self.uses, self.legal_forms))


class LegalTable(Strict):
    """The rule table: sources, legal forms' conditions and routes."""

    sources: dict[str, LegalSource] = Field(default_factory=dict)
    legal_forms: dict[str, FormCondition] = Field(default_factory=dict)
    rules: list[Rule] = Field(default_factory=list)

    def merged(self, other: LegalTable) -> LegalTable:
        """This table changed by ``other``: same ids replaced, new ones added (after)."""
        theirs = {r.id: r for r in other.rules}
        rules = [theirs.pop(r.id, r) for r in self.rules] + list(theirs.values())
        return LegalTable(sources={**self.sources, **other.sources},
                          legal_forms={**self.legal_forms, **other.legal_forms}, rules=rules)

    def problems(self, uses: list[str] | None = None, planned: frozenset[str] = frozenset()) -> list[str]:
        """Every problem of the table: a source not in it, an unknown legal
        form, a rule id given twice, an owner no rule covers; and, for the
        rules whose ids are in ``planned`` (a planner's), a use not among
        ``uses`` (the shipped rules name uses a project may not score)."""
        out = []
        forms = set(LEGAL_FORMS) | {NO_ORGANISATION}
        seen: set[str] = set()
        for i, r in enumerate(self.rules):
            where = f"rules[{i}] ({r.id})"
            if r.id in seen:
                out.append(f"{where}: id {r.id!r} given twice")
            seen.add(r.id)
            out += [f"{where}: source {s!r} is not under sources" for s in r.sources if s not in self.sources]
            out += [f"{where}: legal form {f!r} is not one of {', '.join(sorted(forms))}"
                    for f in r.legal_forms or () if f not in forms]
            if uses is not None and r.id in planned:
                out += [f"{where}: use {u!r} is not a profile of this project ({', '.join(uses)})"
                        for u in r.uses or () if u not in uses]
        for form, c in self.legal_forms.items():
            if form not in LEGAL_FORMS:
                out.append(f"legal_forms.{form}: not one of {', '.join(LEGAL_FORMS)}")
            if c.source not in self.sources:
                out.append(f"legal_forms.{form}: source {c.source!r} is not under sources")
        for owner in OWNERSHIP:
            if not any(r.owner is None or owner in r.owner for r in self.rules if r.uses is None and r.legal_forms is None):
                out.append(f"rules: no rule for every use and legal form of owner {owner!r} (a rule with only "
                           f"'owner: [{owner}]')")
        return out


def _read(path: Path) -> LegalTable:
    what = f"legal routes {path}"
    try:
        data = _yaml.load(Path(path).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise ConfigError(what, [f"cannot be read: {exc.strerror or exc}"]) from None
    except _yaml.DuplicateKeysError as exc:
        raise ConfigError(what, exc.problems) from None
    except _yaml.yaml.YAMLError as exc:
        raise ConfigError(what, [f"not valid YAML: {exc}"]) from None
    try:
        return LegalTable.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(what, format_validation_error(exc, LegalTable)) from None


@lru_cache(maxsize=1)
def default_table() -> LegalTable:
    """The table shipped with the pipeline."""
    return _read(DEFAULT)


def legal_table(override: Path | None = None, uses: list[str] | None = None) -> LegalTable:
    """The shipped table, changed by the planner's ``override`` file.

    Raises
    ------
    ConfigError
        Naming the file and every problem of the merged table.
    """
    theirs = None if override is None else _read(override)
    table = default_table() if theirs is None else default_table().merged(theirs)
    problems = table.problems(uses, frozenset(r.id for r in theirs.rules) if theirs is not None else frozenset())
    if problems:
        raise ConfigError(f"legal routes {override or DEFAULT}", problems)
    return table
