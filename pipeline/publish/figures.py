"""Static figures for reports: the inventory and each use's top sites, with
north arrow, scale bar and data credits, sized for an A4 page (16 cm wide),
as PNG (200 dpi) and SVG."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from matplotlib import rc_context
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib_scalebar.scalebar import ScaleBar

from ..common._text import plain_mpl
from ..common.io import atomic_path
from ..score.profiles import Profile
from .view import Published
from ._canvas import offscreen_figure
from .mapdata import KIND_COLOURS, SCORE_BINS, SCORE_COLOURS, score_classes

A4_TEXT_WIDTH_IN = 16 / 2.54
DPI = 200


def _extent(boundary: gpd.GeoDataFrame, focus: gpd.GeoDataFrame | None) -> tuple[float, float, float, float]:
    """The frame: the sites shown (with a margin) or the boundary, in the axes' 4:3 shape."""
    w, s, e, n = (focus if focus is not None and len(focus) else boundary).total_bounds
    pad = max(250.0, 0.12 * max(e - w, n - s))
    cx, cy, half_w, half_h = (w + e) / 2, (s + n) / 2, (e - w) / 2 + pad, (n - s) / 2 + pad
    half_w, half_h = max(half_w, half_h / 0.75), max(half_h, half_w * 0.75)
    return cx - half_w, cy - half_h, cx + half_w, cy + half_h


def _frame(boundary: gpd.GeoDataFrame, context, title: str, credits: list[str], focus: gpd.GeoDataFrame | None = None):
    """Figure and axes with context, boundary, north arrow, scale bar and
    credits, framed on ``focus`` (the sites shown) when given, else the boundary.
    Context layers are cut to the frame before drawing."""
    fig = offscreen_figure((A4_TEXT_WIDTH_IN, A4_TEXT_WIDTH_IN * 0.75), DPI)
    ax = fig.add_axes((0.02, 0.08, 0.96, 0.84))
    x0, y0, x1, y1 = _extent(boundary, focus)
    if context is not None:
        landuse = context.landuse.cx[x0:x1, y0:y1]
        roads = context.roads.cx[x0:x1, y0:y1]
        if len(landuse):
            landuse.plot(ax=ax, color="#e8efdc", edgecolor="none", zorder=1)
        if len(roads):
            roads.plot(ax=ax, color="#9a9a9a", linewidth=0.4, zorder=2)
    boundary.boundary.plot(ax=ax, color="#333333", linewidth=1.0, linestyle="--", zorder=3)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.add_artist(ScaleBar(1, units="m", location="lower left", box_alpha=0.8, font_properties={"size": 7}))
    ax.annotate("N", xy=(0.96, 0.95), xytext=(0.96, 0.83), xycoords="axes fraction", ha="center", va="center",
                fontsize=10, fontweight="bold", arrowprops={"arrowstyle": "-|>", "color": "black", "lw": 1.5})
    fig.suptitle(plain_mpl(title), fontsize=10, fontweight="bold", y=0.97)
    fig.text(0.02, 0.02, plain_mpl("Data: " + "; ".join(credits)), fontsize=5.5, color="#444444", wrap=True)
    return fig, ax


def save_figure(fig: Figure, stem: Path) -> list[Path]:
    """``fig`` as ``stem``.png and ``stem``.svg, the same bytes for the same figure."""
    for ax in fig.axes:  # geopandas labels the axes with the CRS's; the scale bar says enough
        ax.set_xlabel("")
        ax.set_ylabel("")
    written = []
    # the same figure gives the same bytes: no date in the SVG, clip-path ids
    # from a fixed salt instead of a random one
    options: dict[str, dict] = {"png": {"pil_kwargs": {"compress_level": 2}},  # zlib's default level costs time for a few % of size
               "svg": {"metadata": {"Date": None}}}
    with rc_context({"svg.hashsalt": "idle-assets"}):
        for ext in ("png", "svg"):
            target = stem.with_suffix(f".{ext}")
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=ext, dpi=DPI, **options[ext])
            written.append(target)
    return written


def inventory_figure(inventory: gpd.GeoDataFrame, boundary: gpd.GeoDataFrame, context, credits: list[str],
                     title: str, stem: Path) -> list[Path]:
    """All idle assets by kind, with their short ids."""
    fig, ax = _frame(boundary, context, f"{title}: idle assets / αδρανή ακίνητα", credits, inventory)
    if len(inventory):
        inventory.plot(ax=ax, color=[KIND_COLOURS[k] for k in inventory["kind"]], edgecolor="black", linewidth=0.4,
                       alpha=0.8, zorder=4)
    ax.legend(handles=[Patch(color=c, label=f"{k}") for k, c in KIND_COLOURS.items()], loc="upper left", fontsize=7)
    return save_figure(fig, stem)


def use_figure(inventory: gpd.GeoDataFrame, scores: pd.DataFrame, profile: Profile, boundary: gpd.GeoDataFrame,
               context, credits: list[str], stem: Path, top: int = 10) -> list[Path]:
    """One use: eligible sites coloured by score class, the best ``top`` numbered."""
    s = scores[(scores["use"] == profile.name) & scores["eligible"]].sort_values("rank")
    focus = inventory[inventory["asset_id"].isin(s["asset_id"])]
    fig, ax = _frame(boundary, context, f"{profile.label.en} / {profile.label.el}", credits, focus)
    if len(s):
        sites = inventory.set_index("asset_id").loc[s["asset_id"]]
        sites = gpd.GeoDataFrame(sites, geometry=sites.geometry, crs=inventory.crs)
        colours = [SCORE_COLOURS[c] for c in score_classes(s["score"].to_numpy(dtype=float))]
        sites.plot(ax=ax, color=colours, edgecolor="black", linewidth=0.4, zorder=4)
        for rank, geom in zip(s["rank"].head(top), sites.geometry.head(top)):
            p = geom.representative_point()
            ax.annotate(str(int(rank)), (p.x, p.y), fontsize=7, fontweight="bold", ha="center", va="center", zorder=5,
                        bbox={"boxstyle": "circle,pad=0.2", "fc": "white", "ec": "black", "lw": 0.5})
    else:
        ax.text(0.5, 0.5, "no eligible asset / κανένα κατάλληλο ακίνητο", transform=ax.transAxes, ha="center")
    labels = [f"{a}-{b}" for a, b in zip(SCORE_BINS[:-1], SCORE_BINS[1:])]
    ax.legend(handles=[Patch(color=c, label=l) for c, l in zip(SCORE_COLOURS, labels)], title="score / βαθμός",
              loc="upper left", fontsize=6, title_fontsize=6)
    return save_figure(fig, stem)


def write_figures(view: Published, folder: Path) -> list[Path]:
    """The inventory figure and one figure per use of the view, PNG and SVG,
    into ``folder``; the OSM coverage follows the credits on each."""
    folder = Path(folder)
    note = view.coverage_text
    credits = [*view.credits, note] if note else list(view.credits)
    inventory, scores, boundary, context, title = view.inventory, view.scores, view.boundary, view.context, view.title
    files = inventory_figure(inventory, boundary, context, credits, title, folder / "inventory")
    for p in view.profiles:
        files += use_figure(inventory, scores, p, boundary, context, credits, folder / p.name)
    return files
