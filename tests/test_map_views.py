"""The map as a council member opens it on a phone (400×800) and on a desktop
(1400×900): the Volos project (real OSM, boundary and DEM, Greek names) in
Debian's Chromium, every network request except local files refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from pipeline.common.config import load_config
from pipeline.runner import run_project

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
pytestmark = [pytest.mark.slow, pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")]
SIZES = [(400, 800), (1400, 900)]
RECT = "(sel) => { const e = document.querySelector(sel); if (!e) return null; const r = e.getBoundingClientRect(); " \
       "return r.width && r.height ? [r.left, r.top, r.right, r.bottom] : null; }"


@pytest.fixture(scope="module")
def volos_map(shared, tmp_path_factory):
    out = tmp_path_factory.mktemp("volos_map")
    result = run_project(load_config(ROOT / "configs" / "volos.yaml"), out)
    return out / "maps" / "index.html", result


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-quic"])
        yield b
        b.close()


def open_map(browser, path: Path, size):
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.goto(path.as_uri())
    page.wait_for_function("() => window.idleAssets !== undefined")
    page.wait_for_timeout(400)
    assert not errors, errors
    return page


def overlap(a, b) -> bool:
    return a is not None and b is not None and a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("size", SIZES, ids=["phone", "desktop"])
def test_controls_leave_the_map_usable(browser, volos_map, size):
    page = open_map(browser, volos_map[0], size)
    expanded = page.evaluate("() => !!document.querySelector('.leaflet-control-layers-expanded')")
    assert expanded == (size[0] >= 700)  # the layer list folds into its button on a phone
    legend, minimap = page.evaluate(RECT, ".ia-legend"), page.evaluate(RECT, ".leaflet-control-minimap")
    layers, search = page.evaluate(RECT, ".leaflet-control-layers"), page.evaluate(RECT, ".leaflet-control-search")
    assert legend is not None and not overlap(legend, minimap) and not overlap(legend, layers)
    assert not overlap(search, layers)
    # on a phone the legend starts folded, on a desktop open; it always shows the title
    is_open = page.evaluate("() => document.querySelector('.ia-legend').open")
    assert is_open == (size[0] >= 700)
    assert "Δήμος Βόλου" in page.evaluate("() => document.querySelector('.ia-legend summary').textContent")
    page.close()


@pytest.mark.parametrize("size", SIZES, ids=["phone", "desktop"])
def test_first_view_shows_the_assets_and_a_button_shows_the_municipality(browser, volos_map, size):
    page = open_map(browser, volos_map[0], size)
    inside = page.evaluate("""() => { const m = window.idleAssets.map, v = m.getBounds(), g = window.idleAssets.layer('all');
        return [g.getLayers().every((l) => v.contains(l.getBounds())), m.getZoom()]; }""")
    assert inside[0], "an asset is outside the first view"
    page.click(".ia-views a:nth-child(2)")  # whole municipality
    page.wait_for_timeout(600)
    whole = page.evaluate("() => window.idleAssets.map.getZoom()")
    assert whole < inside[1]  # the municipality (385 km²) needs a wider view than its assets
    page.close()


@pytest.mark.parametrize("size", SIZES, ids=["phone", "desktop"])
def test_a_popup_never_opens_under_the_search_box(browser, volos_map, size):
    page = open_map(browser, volos_map[0], size)
    layer = "all"
    ids = page.evaluate(f"() => window.idleAssets.layer({layer!r}).getLayers().map((l) => window.idleAssets.data.strings[window.idleAssets.data.assets.id[l.assetIndex]])")
    assert len(ids) == len(volos_map[1].features)
    for asset in ids:
        page.evaluate(f"""() => {{ const g = window.idleAssets.layer({layer!r});
            g.getLayers().find((l) => window.idleAssets.data.strings[window.idleAssets.data.assets.id[l.assetIndex]] === {asset!r}).openPopup(); }}""")
        page.wait_for_timeout(450)
        popup, search = page.evaluate(RECT, ".leaflet-popup-content-wrapper"), page.evaluate(RECT, ".leaflet-control-search")
        assert popup is not None and popup[1] >= search[3], (asset, popup, search)
        buttons = page.evaluate("() => Array.from(document.querySelectorAll('.leaflet-top.leaflet-left .leaflet-bar, "
                                ".leaflet-control-measure')).map((e) => { const r = e.getBoundingClientRect(); "
                                "return [r.left, r.top, r.right, r.bottom]; })")
        assert not any(overlap(popup, b) for b in buttons), (asset, popup, buttons)  # no button lies on the popup
        assert popup[3] <= size[1]  # it fits on the screen (scrolling inside when long)
        page.evaluate("() => { window.idleAssets.map.closePopup(); }")
    page.close()


def test_popups_say_the_statistics_in_plain_words_in_both_languages(browser, volos_map):
    page = open_map(browser, volos_map[0], SIZES[1])
    result = volos_map[1]
    use = result.profiles[0]
    best = result.scored.scores.query("use == @use.name and eligible").sort_values("rank").iloc[0]
    page.evaluate("() => window.idleAssets.setLanguage('both')")
    text = page.evaluate("([n, id]) => window.idleAssets.popupText(n, id)", [f"use:{use.name}", best["asset_id"]])
    assert "of random weightings" in text and "τυχαίων σταθμίσεων" in text and "by TOPSIS" in text
    page.close()


def test_the_plan_has_a_legend_of_its_colours(browser, volos_map):
    page = open_map(browser, volos_map[0], SIZES[1])
    hidden = page.evaluate("() => getComputedStyle(document.querySelector('.ia-plan-legend')).display")
    assert hidden == "none"
    page.evaluate("() => { window.idleAssets.setLanguage('both'); window.idleAssets.map.addLayer(window.idleAssets.overlays['plan']); }")
    page.wait_for_timeout(200)
    legend = page.evaluate("() => document.querySelector('.ia-plan-legend').innerText")
    for use in set(volos_map[1].plan["use"]):
        label = next(p.label for p in volos_map[1].profiles if p.name == use)
        assert label.en in legend and label.el in legend
    page.close()


@pytest.mark.parametrize("query", ["πρωην", "ΠΡΩΗΝ", "Πρώην", "διδακτ", "osm-way-48087193", "48087193"])
def test_search_ignores_case_accents_and_position_and_finds_ids(browser, volos_map, query):
    page = open_map(browser, volos_map[0], SIZES[0])
    page.locator("input.search-input").click()
    page.keyboard.type(query, delay=20)
    page.wait_for_timeout(800)
    tips = page.evaluate("() => Array.from(document.querySelectorAll('.search-tooltip li')).map((li) => li.textContent)")
    assert any("Πρώην διδακτήριο" in tip for tip in tips), (query, tips)
    page.close()


def test_plan_popups_show_no_missing_values(browser, volos_map):
    page = open_map(browser, volos_map[0], SIZES[1])
    layer = "plan"
    texts = page.evaluate(f"""() => window.idleAssets.layer({layer!r}).getLayers().map((l) => l.getPopup()._content(l).textContent)""")
    assert len(texts) == len(volos_map[1].plan)
    for text in texts:
        assert "nan" not in text.split() and "None" not in text and "Υποψήφιοι φορείς" in text, text
    page.close()


#: A phone of 360 px, a phone of 400 px and a desktop (issue 30, item 1).
SCREENS = [(360, 740), (400, 800), (1400, 900)]
#: The boxes a popup must keep clear of: the search box, the buttons, the legend and the mini-map.
CONTROLS = ("() => Array.from(document.querySelectorAll('.leaflet-control-search, .leaflet-top.leaflet-left .leaflet-bar, "
            ".ia-legend, .leaflet-control-minimap, .leaflet-control-layers')).map((e) => { const r = e.getBoundingClientRect(); "
            "return r.width && r.height ? [e.className, r.left, r.top, r.right, r.bottom] : null; }).filter((b) => b)")


def popup_problems(page, size) -> list[str]:
    """What is wrong with the open popup: off the screen, its close button out of reach, or under a control."""
    popup = page.evaluate(RECT, ".leaflet-popup-content-wrapper")
    close = page.evaluate(RECT, ".leaflet-popup-close-button")
    if popup is None or close is None:
        return ["no popup open"]
    out = []
    if popup[0] < 0 or popup[1] < 0 or popup[2] > size[0] or popup[3] > size[1]:
        out.append(f"popup {popup} runs off the {size[0]}x{size[1]} screen")
    if close[0] < 0 or close[1] < 0 or close[2] > size[0] or close[3] > size[1]:
        out.append(f"close button {close} is off the screen")
    out += [f"popup {popup} lies under {c[0]} {c[1:]}" for c in page.evaluate(CONTROLS) if overlap(popup, c[1:])]
    return out


@pytest.mark.parametrize("size", SCREENS, ids=["360", "400", "1400"])
def test_every_popup_stays_whole_on_the_screen_clear_of_the_controls(browser, volos_map, size):
    page = open_map(browser, volos_map[0], size)
    if size[0] >= 700:  # the desktop's legend starts open, and may be opened on a phone too
        assert page.evaluate("() => document.querySelector('.ia-legend').open")
    layer = "all"
    ids = page.evaluate(f"() => window.idleAssets.layer({layer!r}).getLayers().map((l) => window.idleAssets.data.strings[window.idleAssets.data.assets.id[l.assetIndex]])")
    problems = {}
    for legend_open in (False, True):
        page.evaluate(f"() => {{ document.querySelector('.ia-legend').open = {str(legend_open).lower()}; }}")
        for asset in ids:
            page.evaluate(f"""() => {{ const g = window.idleAssets.layer({layer!r});
                g.getLayers().find((l) => window.idleAssets.data.strings[window.idleAssets.data.assets.id[l.assetIndex]] === {asset!r}).openPopup(); }}""")
            page.wait_for_timeout(450)
            found = popup_problems(page, size)
            if found:
                problems[(asset, legend_open)] = found
            page.evaluate("() => { window.idleAssets.map.closePopup(); }")
    assert problems == {}
    page.close()


@pytest.mark.parametrize("size", SCREENS, ids=["360", "400", "1400"])
def test_a_search_result_opens_whole_on_the_screen(browser, volos_map, size):
    page = open_map(browser, volos_map[0], size)
    page.evaluate("() => { window.idleAssets.map.setZoom(12); }")  # far out: the result is a long way off
    page.wait_for_timeout(400)
    page.locator("input.search-input").click()
    page.keyboard.type("διδακτ", delay=20)
    page.wait_for_timeout(800)
    page.locator(".search-tooltip li").first.click()
    page.wait_for_timeout(900)
    assert popup_problems(page, size) == []
    assert "Πρώην διδακτήριο" in page.evaluate("() => document.querySelector('.leaflet-popup-content').textContent")
    page.close()


def _data_texts(result) -> set[str]:
    """The input texts a Greek map may quote as they were written: site and organisation names."""
    names = set(result.features["name"].dropna())
    organisations = result.prepared.organisations if getattr(result.prepared, "organisations", None) is not None else None
    if organisations is not None and len(organisations):
        names |= set(organisations["name"].dropna())
    return {str(n) for n in names}


GREEK_SIDE = """() => { const A = window.idleAssets, out = [];
  for (const k of Object.keys(A.overlays)) {
    if (['boundary', 'roads', 'landuse'].includes(k)) continue;
    A.map.addLayer(A.overlays[k]);
    A.layer(k).getLayers().forEach((l) => out.push(A.popupText(k, A.data.strings[A.data.assets.id[l.assetIndex]])));
  }
  document.querySelectorAll('.ia-views a')[2].click();  // the ranked list
  for (const sel of ['.ia-legend', '.ia-layers', '.ia-ranked']) out.push(document.querySelector(sel).textContent);
  out.push(document.title, document.querySelector('input.search-input').placeholder);
  document.querySelectorAll('.leaflet-control a[title]').forEach((a) => out.push(a.title));
  return out; }"""


def test_a_greek_project_s_map_is_greek_and_the_reader_s_language_is_remembered(browser, volos_map):
    from greek_side import ascii_semicolons, english_words

    page = open_map(browser, volos_map[0], SCREENS[2])
    assert page.evaluate("() => window.idleAssets.language()") == "el"
    texts = page.evaluate(GREEK_SIDE)
    data = _data_texts(volos_map[1])
    assert len(texts) > len(volos_map[1].features)
    found = {w for text in texts for w in english_words(text, data)}
    assert found == set(), found
    assert sum(ascii_semicolons(text, data) for text in texts) == 0, [t for t in texts if ascii_semicolons(t, data)]
    # the reader picks English: the same popups in English, still after reloading the page
    page.locator(".ia-lang button").nth(1).click()
    asset = volos_map[1].plan["asset_id"].iloc[0]
    text = page.evaluate("([n, id]) => window.idleAssets.popupText(n, id)", ["all", asset])
    assert "Area" in text and "Εμβαδόν" not in text
    page.reload()
    page.wait_for_function("() => window.idleAssets !== undefined")
    assert page.evaluate("() => window.idleAssets.language()") == "en"
    assert page.evaluate("() => document.querySelector('.ia-lang button[aria-pressed=true]').textContent") == "EN"
    page.close()


def test_the_layer_list_is_three_short_groups(browser, volos_map):
    page = open_map(browser, volos_map[0], SCREENS[2])
    groups = page.evaluate("() => Array.from(document.querySelectorAll('.ia-layers details')).map((d) => "
                           "[d.querySelector('summary').textContent, d.querySelectorAll('input').length])")
    assert [g[0] for g in groups] == ["Καταλληλότητα ανά χρήση", "Απογραφή και σχέδιο", "Υπόβαθρο"]
    keys = page.evaluate("() => Object.keys(window.idleAssets.overlays)")
    assert sum(g[1] for g in groups) == len(keys)
    labels = page.evaluate("() => Array.from(document.querySelectorAll('.ia-layers label')).map((l) => l.textContent)")
    # a use no site is eligible for keeps its name beside its excluded sites (not under another use)
    alone = [label for label in labels if "αποκλεισμένα" in label and ":" in label]
    scores = volos_map[1].scored.scores
    assert len(alone) == sum(not scores[scores["use"] == p.name]["eligible"].any() for p in volos_map[1].profiles)
    english = [p.label.en for p in volos_map[1].profiles] + ["All idle assets", "Boundary", "Roads", "excluded"]
    assert not [label for label in labels if any(en in label for en in english)]  # one language, not every label twice
    page.close()


def test_without_a_basemap_the_context_comes_on_and_the_legend_names_its_use(browser, volos_map):
    page = open_map(browser, volos_map[0], SCREENS[2])  # every tile request is refused
    page.wait_for_timeout(500)
    on = page.evaluate("() => ['roads', 'landuse'].filter((k) => window.idleAssets.map.hasLayer(window.idleAssets.overlays[k]))")
    assert on == ["roads", "landuse"]
    legend = page.evaluate("() => document.querySelector('.ia-legend').textContent")
    first = volos_map[1].profiles[0]
    assert "Χωρίς υπόβαθρο" in legend and f"Βαθμός καταλληλότητας (0-100) για: {first.label.el}" in legend
    page.close()


def test_a_use_map_with_no_eligible_site_says_why(browser, volos_map):
    out, result = volos_map[0].parent, volos_map[1]
    scores = result.scored.scores
    empty = [p for p in result.profiles if not scores[(scores["use"] == p.name)]["eligible"].any()]
    assert empty, "the Volos project has a use no site is eligible for (recycling centre: too near homes)"
    from pipeline.score import commonest_exclusions

    for p in empty:
        page = open_map(browser, out / f"{p.name}.html", SCREENS[0])
        page.evaluate("() => { document.querySelector('.ia-legend').open = true; }")
        legend = page.evaluate("() => document.querySelector('.ia-legend').textContent")
        rule_el, n = commonest_exclusions(result.scored.explanations[p.name])[0][1:]
        assert f"Κανένα ακίνητο δεν είναι κατάλληλο για {p.label.el}" in legend and f"«{rule_el}»" in legend
        assert f"({n} από {int((scores['use'] == p.name).sum())})" in legend
        page.close()


def test_a_link_opens_its_site_and_an_open_popup_is_a_link(browser, volos_map):
    path, result = volos_map
    asset = result.plan["asset_id"].iloc[-1]
    page = open_map(browser, path, SCREENS[0])
    page.goto(path.as_uri() + "#site=" + asset)
    page.reload()
    page.wait_for_function("() => window.idleAssets !== undefined")
    page.wait_for_timeout(600)
    title = page.evaluate("(id) => { const A = window.idleAssets; return A.data.strings[A.data.assets.name[A.assetIndex(id)]]; }", asset)
    assert page.evaluate("() => document.querySelector('.leaflet-popup-content b').textContent") == title
    assert asset in page.evaluate("() => document.querySelector('.leaflet-popup-content').textContent")
    assert popup_problems(page, SCREENS[0]) == []
    page.evaluate("() => { window.idleAssets.map.closePopup(); }")
    assert page.evaluate("() => window.location.hash") == ""
    other = result.features["asset_id"].iloc[0]
    page.evaluate(f"""() => {{ const A = window.idleAssets;
        A.layer('all').getLayers().find((l) => l.assetIndex === A.assetIndex({other!r})).openPopup(); }}""")
    assert page.evaluate("() => decodeURIComponent(window.location.hash)") == f"#site={other}"
    page.close()


def test_the_ranked_list_follows_the_ranks_and_opens_a_site(browser, volos_map):
    path, result = volos_map
    use = result.profiles[0]
    page = open_map(browser, path, SCREENS[1])
    page.locator(".ia-views a").nth(2).click()
    items = page.evaluate("() => Array.from(document.querySelectorAll('.ia-ranked li a')).map((a) => a.title)")
    scores = result.scored.scores
    ranked = scores[(scores["use"] == use.name) & scores["eligible"]].sort_values("rank")["asset_id"].tolist()
    assert items == ranked
    assert not overlap(page.evaluate(RECT, ".ia-ranked"), page.evaluate(RECT, ".leaflet-control-minimap"))
    page.locator(".ia-ranked li a").first.click()
    page.wait_for_timeout(600)
    assert "#1 από" in page.evaluate("() => document.querySelector('.leaflet-popup-content').textContent")
    assert popup_problems(page, SCREENS[1]) == []
    page.close()


def test_the_shown_layers_download_as_csv_and_geojson(browser, volos_map):
    import io
    import json

    import pandas as pd

    path, result = volos_map
    use = result.profiles[0]
    page = open_map(browser, path, SCREENS[2])
    page.locator(".ia-views a").nth(3).click()
    with page.expect_download() as csv_download:
        page.locator(".ia-menu a").nth(0).click()
    table = pd.read_csv(io.BytesIO(open(csv_download.value.path(), "rb").read()), encoding="utf-8-sig", dtype=str)
    shown = result.scored.scores.query("use == @use.name and eligible")
    # every idle asset (the layer shown with the use), then the use's eligible sites with their scores
    assert len(table) == len(result.features) + len(shown)
    mine = table[table["Χρήση"] == use.label.el].set_index("Κωδικός")
    assert mine["Βαθμός"].astype(int).to_dict() == shown.set_index("asset_id")["score"].round().astype(int).to_dict()
    page.locator(".ia-views a").nth(3).click()
    with page.expect_download() as json_download:
        page.locator(".ia-menu a").nth(1).click()
    collection = json.loads(open(json_download.value.path(), encoding="utf-8").read())
    assert len(collection["features"]) == len(table)
    import shapely.geometry

    shapes = [shapely.geometry.shape(f["geometry"]) for f in collection["features"]]
    assert all(s.is_valid and s.area > 0 for s in shapes)
    lon, lat = shapes[0].representative_point().coords[0]
    assert 22.0 < lon < 23.5 and 39.0 < lat < 39.6  # Volos, longitude first
    page.close()


def test_the_print_view_shows_the_map_and_legend_without_buttons(browser, volos_map):
    page = open_map(browser, volos_map[0], SCREENS[2])
    page.emulate_media(media="print")
    hidden = page.evaluate("() => ['.ia-layers', '.leaflet-control-search', '.leaflet-control-zoom', '.ia-views']"
                           ".map((s) => getComputedStyle(document.querySelector(s)).display)")
    assert hidden == ["none"] * 4
    assert page.evaluate("() => getComputedStyle(document.querySelector('.ia-legend')).display") != "none"
    page.close()


def test_locate_me_shows_where_the_surveyor_stands(browser, volos_map):
    path, result = volos_map
    site = result.features.to_crs(4326).representative_point().iloc[0]
    context = browser.new_context(viewport={"width": 400, "height": 800}, permissions=["geolocation"],
                                  geolocation={"latitude": site.y, "longitude": site.x, "accuracy": 20})
    page = context.new_page()
    page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(("file:", "data:")) else r.abort())
    page.goto(path.as_uri())
    page.wait_for_function("() => window.idleAssets !== undefined")
    page.wait_for_timeout(300)
    assert page.locator(".leaflet-control-locate a").get_attribute("title") == "Η θέση μου"
    page.evaluate("() => { window.idleAssets.map.setZoom(11); }")
    page.wait_for_timeout(600)  # the zoom settles first (a zoom while locating is the reader's: the view stays)
    page.locator(".leaflet-control-locate a").click()
    page.wait_for_timeout(1500)
    seen, zoom, active = page.evaluate(f"""() => {{ const m = window.idleAssets.map;
        return [m.getBounds().contains([{site.y}, {site.x}]), m.getZoom(),
                document.querySelector('.leaflet-control-locate').classList.contains('active')]; }}""")
    assert seen and zoom >= 15 and active  # the map came to the surveyor, close up, and follows
    context.close()
