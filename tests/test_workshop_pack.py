"""The printed workshop pack: map sheets of one scale that hold every asset,
numbers that run sheet by sheet north to south, one card per asset and a
dot-voting sheet, as HTML and a PDF of A3 and A4 pages; numbers.csv says
which asset each number is."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
import geopandas as gpd

from pipeline.cli import main
from pipeline.common.config import demo_config_path, load_config
from pipeline.publish.workshop_pack import MAP_MM, OVERLAP, SCALE, map_sheets, number_assets
from pipeline.runner import analyse


def test_the_sheets_hold_every_point_at_one_scale_and_the_numbers_run_north_to_south():
    rng = np.random.default_rng(7)
    # two clusters 12 km apart: sheets over each, none over the empty ground between
    pts = np.concatenate([rng.normal((0, 0), 400, (30, 2)), rng.normal((12_000, -3_000), 400, (30, 2))])
    points = shapely.points(pts)
    sheets = map_sheets(points)
    w, h = MAP_MM[0] * SCALE / 1000, MAP_MM[1] * SCALE / 1000
    widths = shapely.bounds(sheets.to_numpy())
    assert np.allclose(widths[:, 2] - widths[:, 0], w) and np.allclose(widths[:, 3] - widths[:, 1], h)
    assert 2 <= len(sheets) <= 6  # the empty 12 km between the clusters is not printed
    inv = gpd.GeoDataFrame({"asset_id": [f"a{i}" for i in range(len(pts))]}, geometry=points)
    numbered = number_assets(inv, sheets)
    assert sorted(numbered["number"]) == list(range(1, len(pts) + 1))
    cells = sheets.loc[numbered["sheet"]].to_numpy()
    inner = shapely.buffer(cells, -OVERLAP * h * 0.999, join_style="mitre")
    mine = inv.set_index("asset_id").geometry.loc[numbered["asset_id"]].to_numpy()
    assert shapely.contains(cells, mine).all()  # each asset on its own sheet
    assert shapely.contains(inner, mine).mean() > 0.9  # and off its margin, but for the odd one on a cell's edge
    for _, g in numbered.groupby("sheet"):
        ys = shapely.get_y(inv.set_index("asset_id").geometry.loc[g.sort_values("number")["asset_id"]].to_numpy())
        assert (np.diff(ys) <= 0).all()  # north to south within a sheet


@pytest.mark.slow
def test_the_pack_of_the_demo_numbers_every_asset_and_prints_a3_maps_a4_cards(tmp_path):
    assert main(["--quiet", "workshop-pack", "--out", str(tmp_path / "pack")]) == 0
    inventory = analyse(load_config(demo_config_path())).features
    numbers = pd.read_csv(tmp_path / "pack" / "numbers.csv", encoding="utf-8-sig")
    assert sorted(numbers["asset_id"]) == sorted(inventory["asset_id"])
    assert numbers["number"].tolist() == list(range(1, len(inventory) + 1))
    assert numbers["best_uses"].str.len().gt(0).any() and numbers["attribution"].str.contains("OpenStreetMap").all()
    page = (tmp_path / "pack" / "workshop_pack.html").read_text(encoding="utf-8")
    assert page.count("class='card'") == len(inventory) and page.count("<td class='box'></td>") > len(inventory)
    for n in numbers["number"]:
        assert f"<span class='no'>{n}</span>" in page
    pdf = tmp_path / "pack" / "workshop_pack.pdf"
    if not pdf.exists():
        pytest.skip("WeasyPrint is not installed: no PDF")
    from pypdf import PdfReader

    sizes = [(round(float(p.mediabox.width) / 72 * 25.4), round(float(p.mediabox.height) / 72 * 25.4))
             for p in PdfReader(pdf).pages]
    sheets = numbers["sheet"].nunique()
    assert sizes[: 1 + sheets] == [(420, 297)] * (1 + sheets)  # the overview and the map sheets, A3 landscape
    assert sizes[1 + sheets] == (210, 297) and sizes[-1] == (420, 297)  # cards on A4, the dot voting on A3
    assert sizes.count((210, 297)) == -(-len(inventory) // 4)  # four cards to a page
