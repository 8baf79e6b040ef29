import dataclasses
import html
import html.parser
import json
import re

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, box
from openpyxl import load_workbook

from pipeline.extract import RawSources
from pipeline.features import compute_features
from pipeline.common.io import atomic_path, write_text
from pipeline.plan.match import best_use
from pipeline.score.profiles import fit_to_sources, load_profiles
from pipeline.common.config import ProfilesSpec
from pipeline.publish import view_of, write_maps, write_tables
from pipeline.publish.maps import esc
from pipeline.publish.tables import public_inventory
from pipeline.score import score
from pipeline.transform import transform

PAYLOAD = '<script>window.__pwned=1</script><img src=x onerror="alert(1)">'


def attribution(map_html: str) -> str:
    """The tile layer's attribution as Leaflet receives it (JSON-decoded)."""
    return json.loads(re.search(r'"attribution": ("(?:[^"\\]|\\.)*")', map_html).group(1))


class Collect(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def page_data(map_html: str) -> dict:
    """The map's data block, as the page's script reads it."""
    block = re.search(r'<script type="application/json" id="idle-assets-data">(.*?)</script>', map_html, re.S)
    return json.loads(block.group(1))


@pytest.fixture
def published(toy_osm, toy_boundary, tmp_path):
    toy_osm.features.loc[toy_osm.features["osm_ref"] == "way/2", "name"] = PAYLOAD
    prepared = transform(RawSources(toy_boundary, toy_osm), "EPSG:2100")
    inv = prepared.inventory
    inv.loc[inv["asset_id"] == "osm-way-1", "photos"] = "javascript:alert(1);https://example.org/p.jpg"
    feats = compute_features(inv, prepared.context)
    profiles, _ = fit_to_sources(load_profiles(ProfilesSpec()), prepared.context.sources())
    scored = score(feats, profiles)
    matching = best_use(feats, scored.scores, [p.name for p in profiles])
    public = public_inventory(feats, scored.scores, matching)
    credits = ["© OpenStreetMap contributors (ODbL 1.0)", "Boundaries: test <b>credit</b>"]
    view = view_of(public, scored.scores, profiles, prepared.context.boundary, contributions=scored.contributions,
                   matching=matching, explanations=scored.explanations, credits=credits, title="Toy town")
    files = write_tables(view, tmp_path)
    map_file = write_maps(dataclasses.replace(view, title="Toy <i>town</i>"), tmp_path / "maps")[0]
    return files, map_file, profiles, public


@pytest.mark.slow
def test_map_has_one_layer_per_use_legend_and_attribution(published):
    _, map_file, profiles, public = published
    text = map_file.read_text(encoding="utf-8")
    parser = Collect()
    parser.feed(text)  # parses
    assert any(tag == "script" for tag, _ in parser.tags)
    data = page_data(text)
    uses = {u["name"]: u for u in data["uses"]}
    assert list(uses) == [p.name for p in profiles]  # the index map carries every use
    with_assets = [p for p in profiles if public[f"score_{p.name}"].notna().any()]
    assert len(with_assets) >= 2
    for p in profiles:
        # the eligible assets of each use, best last (drawn on top), with their scores
        scores = public.set_index("asset_id")[f"score_{p.name}"].dropna()
        ids = [data["strings"][data["assets"]["id"][i]] for i in uses[p.name]["asset"]]
        assert sorted(ids) == sorted(scores.index)
        assert uses[p.name]["score"] == sorted(uses[p.name]["score"])
        assert uses[p.name]["score"] == [int(f"{scores[a]:.0f}") for a in ids]
    assert len(data["assets"]["id"]) == len(public)
    assert "Suitability score (0-100)" in text  # legend caption
    assert "OpenStreetMap contributors" in attribution(text)
    assert "leaflet-control-layers-list" in text and "L.Control.Locate" in text  # the layer list, locate me


@pytest.mark.slow
def test_per_use_maps_carry_only_their_use(published):
    _, map_file, profiles, _ = published
    for p in profiles:
        data = page_data((map_file.parent / f"{p.name}.html").read_text(encoding="utf-8"))
        assert [u["name"] for u in data["uses"]] == [p.name]
    assert (map_file.parent / "embed.html").read_text(encoding="utf-8").count("<iframe") == len(profiles) + 1


@pytest.mark.slow
def test_input_text_is_escaped_in_the_map(published):
    _, map_file, _, _ = published
    text = map_file.read_text(encoding="utf-8")
    strings = page_data(text)["strings"]
    assert PAYLOAD in strings  # the payload is there, as data
    assert "<script>window.__pwned" not in text and 'onerror="alert(1)"' not in text
    parser = Collect()
    parser.feed(text)
    assert not [a for tag, a in parser.tags if tag == "img" or "onerror" in a]
    assert [a.get("type") for tag, a in parser.tags if tag == "script" and not a.get("src")].count("application/json") == 1
    assert "Boundaries: test &lt;b&gt;credit&lt;/b&gt;" in attribution(text)
    assert "<title>Toy &lt;i&gt;town&lt;/i&gt;</title>" in text
    assert 'href="javascript' not in text


def test_escape_helpers():
    assert esc('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert esc(None) == "" and esc(float("nan")) == ""


@pytest.mark.slow
def test_tables(published, tmp_path):
    files, _, profiles, public = published
    names = {f.name for f in files}
    assert {"idle_assets.gpkg", "matching.csv", "scores.csv", "idle_assets.xlsx"} <= names
    assert {f"ranking_{p.name}.csv" for p in profiles} <= names
    raw = (tmp_path / "matching.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM for Excel
    matching = pd.read_csv(tmp_path / "matching.csv", encoding="utf-8-sig")
    assert matching["attribution"].str.contains("OpenStreetMap contributors").all()
    assert len(matching) == len(public)
    gpkg = gpd.read_file(tmp_path / "idle_assets.gpkg", layer="idle_assets")
    assert gpkg.crs.to_epsg() == 2100 and len(gpkg) == len(public)
    assert {f"score_{p.name}" for p in profiles} <= set(gpkg.columns)
    assert "surveyor" not in gpkg.columns
    wb = load_workbook(tmp_path / "idle_assets.xlsx")
    assert wb.sheetnames[:1] == ["matching"] and "sources" in wb.sheetnames and "method_weights" in wb.sheetnames
    assert "OpenStreetMap" in wb["matching"]["A2"].value
    assert wb["matching"]["A3"].font.bold


def test_atomic_write_keeps_the_old_file_when_writing_fails(tmp_path):
    target = write_text("good", tmp_path / "out.txt")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("disk full")
    assert target.read_text() == "good"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_an_offscreen_figure_is_drawn_once_when_saved_and_looks_the_same(monkeypatch):
    """GeoPandas' plot asks the canvas to draw after every layer; the
    report figures draw once, in savefig, and give the same image."""
    import io

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from shapely.geometry import LineString, box

    from pipeline.publish._canvas import offscreen_figure

    draws = []
    real_draw = FigureCanvasAgg.draw
    monkeypatch.setattr(FigureCanvasAgg, "draw", lambda self, *a, **k: (draws.append(1), real_draw(self, *a, **k))[1])

    def png(fig) -> bytes:
        ax = fig.add_axes((0, 0, 1, 1))
        gpd.GeoSeries([box(0, 0, 10, 10), box(20, 0, 30, 5)]).plot(ax=ax, color="#d6d0c8")
        gpd.GeoSeries([LineString([(0, 12), (30, 12)])]).plot(ax=ax, color="#8f8f8f")
        gpd.GeoSeries([box(2, 2, 6, 6)]).plot(ax=ax, color="#1a9641", alpha=0.35)
        out = io.BytesIO()
        fig.savefig(out, format="png")
        return out.getvalue()

    plain = Figure(figsize=(3, 2), dpi=50)
    FigureCanvasAgg(plain)
    expected = png(plain)
    assert len(draws) == 4  # each plot, then savefig
    draws.clear()
    assert png(offscreen_figure((3, 2), 50)) == expected
    assert len(draws) == 1


def test_score_classes_are_the_fixed_20_point_classes_upper_bounds_included():
    import numpy as np

    from pipeline.publish.mapdata import score_classes

    scores = np.array([0, 19.99, 20, 20.001, 40, 59.9, 60, 80, 80.5, 100, 100 + 1e-9, np.nan])
    assert score_classes(scores).tolist() == [0, 0, 0, 1, 1, 2, 2, 3, 4, 4, 4, -1]
    assert score_classes(np.array([])).tolist() == []


def test_every_built_in_use_has_its_own_colour_and_scores_darken_as_they_rise():
    from matplotlib.colors import to_rgb

    from pipeline.publish.mapdata import SCORE_COLOURS, USE_COLOURS
    from pipeline.score.profiles import builtin_profile_names

    assert len(set(USE_COLOURS)) == len(USE_COLOURS) >= len(builtin_profile_names())
    luminance = [0.2126 * r + 0.7152 * g + 0.0722 * b for r, g, b in map(to_rgb, SCORE_COLOURS)]
    assert luminance == sorted(luminance, reverse=True)  # readable in greyscale: light is low, dark is high


def test_a_site_without_a_name_is_called_by_what_it_is_and_its_street():
    from pipeline.common.labels import site_labels

    inv = gpd.GeoDataFrame({"asset_id": ["a", "b", "c", "d"], "name": ["Παλιό σχολείο", None, "  ", None],
                            "kind": ["building", "land", "land", "building"],
                            "landuse": [None, "grass", "brownfield", None], "building": ["school", None, None, "yes"]},
                           geometry=[box(0, 0, 10, 10), box(0, 30, 10, 40), box(500, 500, 510, 510),
                                     box(0, 60, 10, 70)], crs=2100)
    roads = gpd.GeoDataFrame({"name": ["Ιάσονος", None, "Λεωφόρος Αθηνών"]},
                             geometry=[LineString([(-50, 45), (50, 45)]), LineString([(505, 480), (505, 520)]),
                                       LineString([(-50, 80), (50, 80)])], crs=2100)
    labels = site_labels(inv, roads).tolist()
    assert labels[0] == "Παλιό σχολείο"  # a name is kept
    assert labels[1].endswith(", οδός Ιάσονος") and not labels[1].isascii()  # the nearest named road, in Greek
    assert labels[2] == "Εγκαταλελειμμένος βιομηχανικός χώρος"  # only an unnamed road near: what it is
    assert labels[3] == "Κτίριο, Λεωφόρος Αθηνών"  # a road name that says its kind is not prefixed
