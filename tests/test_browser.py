"""The maps in a real browser: Debian's Chromium driven by Playwright, with
every network request except local files refused (so the self-contained mode
is what is tested; basemap tiles are expected to fail and nothing else)."""

import shutil

import pandas as pd
from pathlib import Path

import pytest

from pipeline.common.config import config_from_dict, demo_config_path, read_yaml
from pipeline.runner import run_project

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")]

COUNT_LAYERS = "() => Object.fromEntries(Object.keys(window.idleAssets.overlays).map(k => [k, window.idleAssets.count(k)]))"
POPUP_TEXT = "([name, id]) => window.idleAssets.popupText(name, id)"


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def open_page(browser, url: str, has_map: bool = True):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    problems, failed = [], []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" and "Failed to load resource" not in m.text else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.on("requestfailed", lambda r: failed.append(r.url))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.goto(url)
    if has_map:
        page.wait_for_function("() => window.idleAssets !== undefined")
        page.evaluate("() => window.idleAssets.setLanguage('both')")  # these tests read both languages
    page.wait_for_timeout(500)
    return page, problems, failed


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("browser")
    result = run_project(config_from_dict(read_yaml(demo_config_path()), demo_config_path().parent, "demo"), out, cache=False)
    return out, result


def test_demo_map_loads_offline_with_expected_layers_and_popups(browser, demo_run):
    out, result = demo_run
    page, problems, failed = open_page(browser, (out / "maps" / "index.html").as_uri())
    assert problems == []
    assert all("tile.openstreetmap.org" in u for u in failed), [u for u in failed if "tile.openstreetmap.org" not in u]
    counts = page.evaluate(COUNT_LAYERS)
    scores = result.scored.scores
    for p in result.profiles:
        eligible = int(scores[(scores["use"] == p.name) & scores["eligible"]].shape[0])
        name = f"use:{p.name}"
        assert counts.get(name, 0) == eligible, name
        assert counts.get(f"{name}:excluded", 0) == int((scores["use"] == p.name).sum()) - eligible
    assert counts["all"] == len(result.features)
    assert counts["plan"] == len(result.plan)
    # with the context layers switched on (they go underneath), a real click
    # inside the best social farm opens its popup with the reason
    page.evaluate("""() => { const A = window.idleAssets;
      for (const n of ['roads', 'landuse']) if (A.overlays[n]) A.layer(n).addTo(A.map);
      return 0; }""")
    farm = scores[(scores["use"] == "social_farm") & scores["eligible"]].sort_values("score").iloc[-1]
    geom = result.features.set_index("asset_id").loc[[farm["asset_id"]]].to_crs(4326).representative_point().iloc[0]
    x, y = page.evaluate("([lat, lng]) => { const p = window.idleAssets.map.latLngToContainerPoint([lat, lng]); return [p.x, p.y]; }",
                         [geom.y, geom.x])
    page.mouse.click(x, y)
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5000).inner_text()
    assert farm["reason_en"] in popup and farm["reason_el"] in popup and "of random weightings" in popup
    page.wait_for_timeout(400)  # the popup's fade-in
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo_map.png"))
    assert (ARTIFACTS / "demo_map.png").stat().st_size > 10_000
    page.close()


def test_every_popup_says_what_the_score_stage_said(browser, demo_run):
    """The browser writes the reasons from compact parts; every one of them,
    eligible or excluded, in both languages, equals the scores table."""
    out, result = demo_run
    page, problems, _ = open_page(browser, (out / "maps" / "index.html").as_uri())
    checked = 0
    for p in result.profiles:
        name = f"use:{p.name}"
        for _, row in result.scored.scores[result.scored.scores["use"] == p.name].iterrows():
            layer = name if row["eligible"] else f"{name}:excluded"
            text = page.evaluate(POPUP_TEXT, [layer, row["asset_id"]])
            assert row["reason_en"] in text and row["reason_el"] in text, (layer, row["reason_en"], text)
            checked += 1
    assert checked == len(result.scored.scores) and problems == []
    page.close()


def test_a_map_per_use_and_the_embed_snippet_work(browser, demo_run):
    out, result = demo_run
    scores = result.scored.scores
    for p in result.profiles:
        page, problems, _ = open_page(browser, (out / "maps" / f"{p.name}.html").as_uri())
        counts = page.evaluate(COUNT_LAYERS)
        label = f"use:{p.name}"
        allowed = {"boundary", "roads", "landuse", label,
                   f"{label}:excluded", "plan",
                   "all"}
        assert problems == [] and set(counts) <= allowed, set(counts) - allowed
        eligible = int((scores["use"].eq(p.name) & scores["eligible"]).sum())
        assert counts.get(label, 0) == eligible
        page.close()
    snippet = (out / "maps" / "embed.html").read_text(encoding="utf-8")
    assert snippet.count("<iframe") == len(result.profiles) + 1
    host = out / "maps" / "report_page.html"
    host.write_text(f"<html><body><h1>Report</h1>{snippet}</body></html>", encoding="utf-8")
    page, problems, _ = open_page(browser, host.as_uri(), has_map=False)
    frame = page.frame_locator("iframe").first
    frame.locator(".folium-map").wait_for(timeout=5000)  # the map inside the first iframe
    assert problems == []
    page.close()


def test_script_payloads_in_the_inputs_never_run(browser, tmp_path):
    payload = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2;alert(1)">'
    register = tmp_path / "register.csv"
    register.write_text("register_id,name,status,kind,osm_ref\n"
                        f'R1,"{payload.replace(chr(34), chr(34) * 2)}",idle,building,way/424090325\n', encoding="utf-8")
    survey = tmp_path / "survey.csv"
    survey.write_text("_id,_geolocation,occupancy,notes,photo_url\n"
                      f'1,"[60.531759, 26.957567]",vacant,"{payload.replace(chr(34), chr(34) * 2)}",javascript:window.__pwned=3\n',
                      encoding="utf-8")
    data = read_yaml(demo_config_path())
    data["sources"]["register"] = {"path": str(register)}
    data["sources"]["survey"] = {"path": str(survey)}
    result = run_project(config_from_dict(data, tmp_path, "xss"), tmp_path / "out", cache=False)
    assert payload in set(result.features["name"])
    page, problems, _ = open_page(browser, (tmp_path / "out" / "maps" / "index.html").as_uri())
    page.evaluate("""() => {   // open every popup of every layer
      for (const name of Object.keys(window.idleAssets.overlays)) {
        const layer = window.idleAssets.layer(name);
        layer.addTo(window.idleAssets.map);
        layer.eachLayer(f => f.getPopup() && f.openPopup());
      }
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator(".leaflet-popup-content").count() >= 1
    asset = result.features.loc[result.features["name"] == payload, "asset_id"].iloc[0]
    shown = page.evaluate(POPUP_TEXT, ["all", asset])
    assert shown.count(payload) == 2  # as text: the title and the survey notes (the survey point attached to it)
    assert "javascript:window.__pwned=3" in shown  # a photo "link" that is not http(s) stays text
    assert page.evaluate("() => document.querySelectorAll('img[src=\"x\"], a[href^=\"javascript\"]').length") == 0
    page.locator("input.search-input").press_sequentially("<script>")  # the search box's tips are text too
    tip = page.wait_for_selector(".search-tip", timeout=5000)
    assert tip.inner_text().startswith(payload)
    assert page.evaluate("() => window.__pwned") is None
    assert problems == []
    page.close()


def test_popups_match_the_scores_on_varied_synthetic_assets(browser, tmp_path):
    """Many combinations of strong, weak and unknown criteria and of broken
    rules: the browser's sentences equal the score stage's, word for word."""
    import geopandas as gpd
    import numpy as np
    from shapely import box

    from pipeline.common.config import ProfilesSpec, SensitivitySpec
    from pipeline.features import REGISTRY
    from pipeline.score.profiles import load_profiles
    from pipeline.publish import view_of
    from pipeline.publish.maps import build_map, render
    from pipeline.score import score

    rng = np.random.default_rng(3)
    n = 150
    x, y = 405000 + rng.uniform(0, 3000, n), 4355000 + rng.uniform(0, 3000, n)
    inv = gpd.GeoDataFrame({
        "asset_id": [f"s{i}" for i in range(n)], "name": [f"Site {i}" if i % 3 else None for i in range(n)],
        "kind": rng.choice(["land", "building"], n), "area_m2": rng.uniform(100, 30000, n), "sources": "osm",
        "idle_evidence": "landuse=brownfield",
    }, geometry=[box(a, b, a + 30, b + 30) for a, b in zip(x, y)], crs=2100)
    for name, crit in REGISTRY.items():
        if crit.kind == "category":
            values = rng.choice(["farmland", "industrial", "good", "poor", "vacant", "211", "unknown"], n).astype(object)
        else:
            values = rng.uniform(0, 1, n) if crit.unit == "0-1" else rng.uniform(0, 2000, n)
        values[rng.random(n) < 0.15] = None
        inv[f"c_{name}"] = values
    boundary = gpd.GeoDataFrame(geometry=[box(405000, 4355000, 408100, 4358100)], crs=2100)
    profiles = load_profiles(ProfilesSpec())
    scored = score(inv, profiles, SensitivitySpec())
    path = tmp_path / "synthetic.html"
    view = view_of(inv, scored.scores, profiles, boundary, explanations=scored.explanations, credits=["synthetic"],
                   sensitivity=SensitivitySpec())
    path.write_text(render(build_map(view, profiles, "s"), True), encoding="utf-8")
    page, problems, _ = open_page(browser, path.as_uri())
    rows = scored.scores
    assert rows["eligible"].any() and (~rows["eligible"]).any() and rows["reason_en"].str.contains("no data for").any()
    for p in profiles:
        name = f"use:{p.name}"
        mine = rows[rows["use"] == p.name]
        texts = page.evaluate("""([layer, ids]) => ids.map(id => window.idleAssets.popupText(layer, id))""",
                              [name, mine.loc[mine["eligible"], "asset_id"].tolist()])
        texts += page.evaluate("""([layer, ids]) => ids.map(id => window.idleAssets.popupText(layer, id))""",
                               [f"{name}:excluded", mine.loc[~mine["eligible"], "asset_id"].tolist()])
        expected = pd.concat([mine[mine["eligible"]], mine[~mine["eligible"]]])
        for text, en, el in zip(texts, expected["reason_en"], expected["reason_el"]):
            assert en in text and el in text, (en, text)
    assert problems == []
    page.close()
