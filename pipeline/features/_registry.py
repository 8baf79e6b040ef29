"""The criteria registry: what a criterion is (:class:`Criterion`), the
decorator that registers one, and what derives from the registry (each
layer's reach, the stage-cache fingerprint, the criteria table)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import pandas as pd

from ..common import settings
from ..transform import Context

log = logging.getLogger(__name__)

CriterionFn = Callable[[gpd.GeoDataFrame, Context], pd.Series]


#: The context layers a criterion can read (see :class:`~pipeline.transform.Context`).
CONTEXT_LAYERS = ("buildings", "landuse", "roads", "pois")
#: Those that can hold the assets themselves (OSM buildings, areas and nodes),
#: which criteria leave out of the context (:func:`_not_self`).
SELF_LAYERS = ("buildings", "landuse", "pois")


@dataclass(frozen=True)
class Criterion:
    """A registered criterion: what it measures, what it needs and how far it reads.

    Attributes
    ----------
    name, unit, label_en, label_el : str
        Its name in profiles and column ``c_<name>``, unit and labels.
    kind : str
        ``number`` or ``category``.
    func : callable
        ``func(assets, context) -> Series`` on the assets' index.
    needs : str, optional
        The optional source it reads (a raster kind, ``zone:<kind>``,
        ``solar`` or a registered source's name); without it the criterion
        is left out of a project.
    direction : str
        Its usual sense: ``benefit``, ``cost``, ``depends on the use`` or ``class``.
    reads : mapping or None
        For each context layer it reads, how far beyond an asset (m); a
        layer not named is not read. ``None``: not declared, so a partitioned
        run gives it every layer within the widest reach (exact, slower).
    tags : mapping
        The OSM tags (key -> values, ``None`` for any value) it selects in
        those layers, for the documentation.
    """

    name: str
    unit: str
    label_en: str
    label_el: str
    kind: str
    func: CriterionFn
    needs: str | None = None
    direction: str = "benefit"
    reads: Mapping[str, float] | None = None
    tags: Mapping[str, frozenset[str] | None] = field(default_factory=dict)


REGISTRY: dict[str, Criterion] = {}


def criterion(name: str, unit: str, en: str, el: str, *, needs: str | None = None, direction: str = "benefit",
              reads: Mapping[str, float] | None = None, tags: Mapping[str, Iterable[str] | None] | None = None):
    """Register a criterion function under ``name`` (see :class:`Criterion`).

    ``needs`` names the optional source it reads; ``direction`` is its usual
    sense (a profile's value function sets the sense for each use; ``class``
    makes it a category, else a number);
    ``reads`` says how far beyond an asset it reads each context layer
    (``{}``: none, only the asset itself); ``tags`` the OSM tags it selects.
    """
    unknown = set(reads or {}) - set(CONTEXT_LAYERS)
    if unknown:
        raise ValueError(f"criterion {name}: unknown context layers {sorted(unknown)}; known: {CONTEXT_LAYERS}")

    def register(func: CriterionFn) -> CriterionFn:
        REGISTRY[name] = Criterion(name, unit, en, el, "category" if direction == "class" else "number", func, needs,
                                   direction, None if reads is None else dict(reads),
                                   {k: None if v is None else frozenset(v) for k, v in (tags or {}).items()})
        return func
    return register


def widest_reach() -> float:
    """The farthest any registered criterion reads a layer (the halo of a
    partition that must give every criterion its real neighbours)."""
    return max([settings.NEAREST_SEARCH_M, *(d for c in REGISTRY.values() for d in (c.reads or {}).values())])


def layer_halos(names: Iterable[str]) -> dict[str, float | None]:
    """For each context layer, how far beyond a tile the criteria ``names``
    read it (``None``: not read at all); a criterion that does not declare
    what it reads (or is unknown) gets every layer within :func:`widest_reach`."""
    halo: dict[str, float | None] = dict.fromkeys(CONTEXT_LAYERS)
    for name in names:
        crit = REGISTRY.get(name)
        reads = crit.reads if crit is not None and crit.reads is not None else dict.fromkeys(CONTEXT_LAYERS, widest_reach())
        for layer, reach in reads.items():
            halo[layer] = max(halo[layer] or 0.0, reach)
    return halo


def registry_fingerprint() -> str:
    """A digest of every registered criterion (name, unit, needs, reach, tags
    and the code of its function), for the stage-cache key: a criterion
    added, removed or edited makes cached features stale."""
    import hashlib
    import inspect

    def code(func) -> str:
        try:
            return inspect.getsource(func)
        except (OSError, TypeError):  # defined where the source is not kept (a REPL)
            return f"{func.__module__}.{func.__qualname__}"

    facts = [[c.name, c.unit, c.kind, c.needs, c.direction, sorted((c.reads or {}).items()) if c.reads is not None else None,
              sorted((k, sorted(v) if v is not None else None) for k, v in c.tags.items()), code(c.func)]
             for c in REGISTRY.values()]
    return hashlib.sha256(repr(sorted(facts, key=lambda f: str(f[0]))).encode()).hexdigest()[:16]


def criteria_markdown() -> str:
    """The criteria library as a Markdown table (the README's, which a test keeps equal to it)."""
    def layers(c: Criterion) -> str:
        needs = [f"`{c.needs}`"] if c.needs else []
        if c.reads is None:
            return ", ".join([*needs, "any layer"])
        if not c.reads:
            return ", ".join(needs or ["the asset only"])
        return ", ".join([*needs, *(f"{k} within {v:g} m" if v else f"{k} on the asset" for k, v in c.reads.items())])

    def tags(c: Criterion) -> str:
        return "; ".join(f"`{k}`" if v is None else f"`{k}`=" + "/".join(sorted(v)) for k, v in c.tags.items())

    rows = ["| criterion | unit | what it measures | στα ελληνικά | reads | OSM tags | sense |",
            "|---|---|---|---|---|---|---|"]
    rows += [f"| `{c.name}` | {c.unit} | {c.label_en} | {c.label_el} | {layers(c)} | {tags(c)} | {c.direction} |"
             for c in REGISTRY.values()]
    return "\n".join(rows) + "\n"


