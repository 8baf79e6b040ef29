"""What counts as idle, who owns a site, and how sure the inventory is.

The rules are one table, ``evidence.yaml`` beside this module (a project
overrides entries under ``inventory:`` in its config); the functions here apply
it. Strengths rank ``strong > medium > weak``; ``not_idle`` marks land in use.
Confidence per asset:

- ``confirmed``: a register or survey record says the site is idle, its
  ownership is known and no source contradicts another (a different name
  alone is not a contradiction);
- ``probable``: strong OSM evidence only, ownership known, no conflict;
- ``to verify``: weak or medium evidence without a record, unknown
  ownership, or a conflict between sources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from . import _yaml
from ._text import fold

STRENGTHS = ("weak", "medium", "strong")
OWNERSHIP = ("municipal", "other_public", "private", "unknown")
PUBLIC = ("municipal", "other_public")
CONFIDENCE = ("confirmed", "probable", "to verify")
_RANK = {s: i for i, s in enumerate(STRENGTHS)}


@lru_cache(maxsize=1)
def default_table() -> dict:
    """The package's evidence table (``evidence.yaml``)."""
    return _yaml.load((Path(__file__).parent / "evidence.yaml").read_text(encoding="utf-8"))


def _tag_rule(rule: str) -> tuple[str, str]:
    key, _, value = rule.partition("=")
    return key, value or "*"


@dataclass(frozen=True)
class Rules:
    """The evidence table in a form fast to apply."""

    osm: dict[str, str]
    register: dict[str, str]
    survey: dict[str, str]
    reports: dict[str, str]
    infrastructure: tuple[str, ...]
    corridors: tuple[tuple[str, str], ...]
    active_tags: tuple[tuple[str, str], ...]
    active_share: float
    ownership: dict[str, tuple[str, ...]]
    words: tuple[tuple[str, ...], tuple[re.Pattern, ...], tuple[str, ...]] = ((), (), ())
    partly_vacant: tuple[tuple[str, ...], str] = ((), "weak")
    urban_atlas: dict[str, str] = field(default_factory=dict)
    built_up_osm: tuple[tuple[str, str], ...] = ()
    built_up_urban_atlas: tuple[str, ...] = ()

    @classmethod
    def from_table(cls, table: dict) -> "Rules":
        words = lambda block: {fold(w): s for s in ("medium", "strong") for w in block.get(s, [])}
        certainty = lambda block: {fold(w): s for s in STRENGTHS for w in block.get(s, [])}
        return cls(osm=dict(table["osm"]), register=words(table["register"]), survey=words(table["survey"]),
                   reports=certainty(table.get("reports", {})),
                   infrastructure=tuple(table["infrastructure"]),
                   corridors=tuple(_tag_rule(r) for r in table["corridors"]),
                   active_tags=tuple(_tag_rule(r) for r in table["active_use"]["tags"]),
                   active_share=float(table["active_use"]["share"]),
                   ownership={k: tuple(fold(w) for w in v) for k, v in table["ownership"].items()},
                   words=_words(table.get("words", {})),
                   partly_vacant=(tuple(table.get("partly_vacant", {}).get("keys", ())),
                                  table.get("partly_vacant", {}).get("strength", "weak")),
                   urban_atlas={str(k): v for k, v in table.get("urban_atlas", {}).items()},
                   built_up_osm=tuple(_tag_rule(r) for r in table.get("built_up", {}).get("osm", ())),
                   built_up_urban_atlas=tuple(str(c) for c in table.get("built_up", {}).get("urban_atlas", ())))

    # ---- OSM tags

    def osm_match(self, tags: dict) -> tuple[str | None, list[str]]:
        """The strength a feature's tags earn (``None`` when no rule matches;
        ``"not_idle"`` when only a not-idle rule does) and the matching tags."""
        hits: dict[str, str] = {}
        for k, v in tags.items():
            rule = (self.osm.get(f"{k}={v}") or self.osm.get(f"{k}=*")
                    or (self.osm.get(f"{k.split(':', 1)[0]}:*") if ":" in k else None))
            if rule:
                hits[f"{k}={v}"] = rule
        said = self.words_said(tags)
        if said:
            hits[said] = "weak"
        if not hits:
            return None, []
        ranked = [s for s in hits.values() if s in _RANK]
        if "not_idle" in hits.values() and "strong" not in ranked:
            return "not_idle", sorted(hits)
        return max(ranked, key=_RANK.__getitem__), sorted(k for k, s in hits.items() if s != "not_idle")

    def words_said(self, tags: dict) -> str | None:
        """``key=text`` of the first note or description whose words say the
        site may be idle (``words`` in the table), the text cut to 80 characters."""
        keys, patterns, exceptions = self.words
        for key in keys:
            text = tags.get(key)
            if not isinstance(text, str) or not text:
                continue
            folded = fold(text)
            for phrase in exceptions:
                folded = folded.replace(phrase, " ")
            if any(p.search(folded) for p in patterns):
                short = " ".join(text.split()).replace(";", ",").replace("|", "/")  # our separators
                return f"{key}={short[:77] + '…' if len(short) > 80 else short}"
        return None

    def is_infrastructure(self, tags: dict) -> bool:
        """A network piece (crossing, switch, pole, ...): its only idle signal is
        on a network key, directly or in a lifecycle namespace."""
        keys = {k.split(":", 1)[1] if k.startswith(("disused:", "abandoned:")) else k for k in tags}
        return any(k in self.infrastructure for k in keys) and "building" not in tags and "landuse" not in tags

    def corridor(self, tags: dict) -> str | None:
        """The corridor rule a feature matches (``railway=abandoned``), or None."""
        for key, value in self.corridors:
            if key in tags and (value == "*" or tags[key] == value):
                return f"{key}={tags[key]}"
        return None

    def active_use(self, tags: dict) -> list[str]:
        """The tags of ``tags`` that mark land in active use."""
        return [f"{k}={tags[k]}" for k, v in self.active_tags if k in tags and (v == "*" or tags[k] == v)]

    # ---- records

    def record_strength(self, source: str, value) -> str | None:
        """The strength of a register status, a survey occupancy or a citizen
        report's certainty; None when not idle."""
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return None
        table = {"register": self.register, "survey": self.survey, "reports": self.reports}[source]
        return table.get(fold(value))

    # ---- ownership

    def ownership_class(self, text) -> str | None:
        """``municipal``, ``other_public`` or ``private`` from an owner's name, None if it says nothing."""
        if text is None or (isinstance(text, float) and np.isnan(text)) or not str(text).strip():
            return None
        folded = fold(text)
        for klass in ("municipal", "other_public", "private"):
            if any(_word_pattern(word).search(folded) for word in self.ownership.get(klass, ())):
                return klass
        return None


def _word_pattern(word: str) -> re.Pattern:
    """A word of the tables as a pattern: whole words, or a word's start for ``stem*``."""
    stem = word[:-1] if word.endswith("*") else word
    return re.compile(r"(?:^|(?<=[^\w]))" + re.escape(stem) + ("" if word.endswith("*") else r"(?!\w)"))


def _words(block: dict) -> tuple[tuple[str, ...], tuple[re.Pattern, ...], tuple[str, ...]]:
    return (tuple(block.get("keys", ())), tuple(_word_pattern(fold(w)) for w in block.get("weak", ())),
            tuple(fold(p) for p in block.get("except", ())))


def merge_table(base: dict, override: dict | None) -> dict:
    """``base`` with a project's ``inventory:`` overrides: entries of ``osm``
    replaced or added, status lists and active-use settings replaced."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in base.items()}
    for section, value in (override or {}).items():
        if section == "osm":
            out["osm"] = {**out["osm"], **value}
        elif section == "active_use":
            out["active_use"] = {**out["active_use"], **value}
        else:
            out[section] = value
    return out


def check_overrides(override: dict) -> list[str]:
    """Problems of a project's ``inventory:`` overrides (empty when valid)."""
    problems = []
    known = set(default_table())
    for section, value in override.items():
        if section not in known:
            problems.append(f"{section}: unknown section (known: {', '.join(sorted(known))})")
        elif section == "osm":
            if not isinstance(value, dict):
                problems.append("osm: give 'key=value: strength' entries")
                continue
            for rule, strength in value.items():
                if "=" not in str(rule):
                    problems.append(f"osm.{rule}: write the tag as key=value (or key=*)")
                if strength not in (*STRENGTHS, "not_idle"):
                    problems.append(f"osm.{rule}: '{strength}' is not one of strong, medium, weak, not_idle")
        elif section == "active_use" and isinstance(value, dict):
            share = value.get("share", 0.5)
            if not isinstance(share, (int, float)) or not 0 < share <= 1:
                problems.append(f"active_use.share: {share!r} is not a share between 0 and 1")
    if not problems:
        try:
            rules(override)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            problems.append(f"the overrides do not fit the table's shape ({exc})")
    return problems


def rules(override: dict | None = None) -> Rules:
    """The rules in force: the package's table with ``override`` applied."""
    return Rules.from_table(merge_table(default_table(), override))


def strongest(values) -> str | None:
    ranked = [v for v in values if v in _RANK]
    return max(ranked, key=_RANK.__getitem__) if ranked else None


def confidence(record_says_idle: pd.Series, strength: pd.Series, ownership: pd.Series,
               conflict: pd.Series) -> pd.Series:
    """Confidence per asset (see the module's docstring)."""
    verify = conflict.to_numpy(bool) | (ownership.to_numpy(object) == "unknown")
    verify |= ~record_says_idle.to_numpy(bool) & (strength.to_numpy(object) != "strong")
    out = np.where(verify, "to verify", np.where(record_says_idle.to_numpy(bool), "confirmed", "probable"))
    return pd.Series(out, index=strength.index, dtype=object)


#: Sources whose claim is a record of the site: a register entry, a survey visit, a citizen's report.
RECORDS = ("register", "survey", "reports")


def unrecorded(assets: pd.DataFrame) -> pd.Series:
    """True where an asset rests on weak evidence alone (a vacant plot by the
    parcel rule, an empty block, a note, a past use) and no record backs it:
    never planned on, and surveyed first."""
    recorded = assets["sources"].map(lambda s: isinstance(s, str) and any(r in s.split(";") for r in RECORDS))
    return (assets["evidence_strength"] == "weak") & ~recorded.astype(bool)
