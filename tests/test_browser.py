"""The maps in a real browser: Debian's Chromium driven by Playwright, with
every network request except local files refused (so the self-contained mode
is what is tested; basemap tiles are expected to fail and nothing else)."""

import shutil
from pathlib import Path

import pytest

from pipeline.config import config_from_dict, demo_config_path, read_yaml
from pipeline.runner import run_project

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
playwright = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (Debian: apt-get install chromium)")

COUNT_LAYERS = """() => {
  const out = {};
  for (const k of Object.keys(window)) {
    if (/^layer_control_.*_layers$/.test(k)) {
      for (const [name, layer] of Object.entries(window[k].overlays)) {
        let n = 0; layer.eachLayer(l => { n += l.getLayers ? l.getLayers().length : 1; }); out[name] = n;
      }
    }
  }
  return out;
}"""


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
        page.wait_for_function("() => document.querySelectorAll('.leaflet-container').length > 0")
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
        name = f"{p.label.en} / {p.label.el}".replace("&", "&amp;")
        assert counts.get(name, 0) == eligible, name
        assert counts.get(f"{name}: excluded / αποκλεισμένα", 0) == int((scores["use"] == p.name).sum()) - eligible
    assert counts["All idle assets / Όλα τα αδρανή ακίνητα"] == len(result.features)
    assert counts["Plan: assigned uses / Σχέδιο: ανάθεση χρήσεων"] == len(result.plan)
    # a real click on the best social farm opens its popup with the reason
    farm = scores[(scores["use"] == "social_farm") & scores["eligible"]].sort_values("score").iloc[-1]
    x, y = page.evaluate("""(id) => {
      const map = window[Object.keys(window).find(k => /^map_[0-9a-f]+$/.test(k))];
      for (const k of Object.keys(window)) {
        if (!/^layer_control_.*_layers$/.test(k)) continue;
        let point = null;
        window[k].overlays["Social farm / community garden / Κοινωνικό αγρόκτημα / λαχανόκηπος"].eachLayer(g => g.eachLayer(f => {
          if (f.feature.properties.popup.includes(id)) {
            const box = f._path.getBoundingClientRect();
            // a pixel inside the polygon: scan the box for one the path covers
            for (let i = 1; i < 20 && !point; i++) for (let j = 1; j < 20 && !point; j++) {
              const px = box.left + box.width * i / 20, py = box.top + box.height * j / 20;
              if (document.elementFromPoint(px, py) === f._path) point = [px, py];
            }
          }
        }));
        return point;
      }
    }""", farm["asset_id"])
    page.mouse.click(x, y)
    popup = page.wait_for_selector(".leaflet-popup-content", timeout=5000).inner_text()
    assert farm["reason_en"] in popup and "of weight draws" in popup
    page.wait_for_timeout(400)  # the popup's fade-in
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo_map.png"))
    assert (ARTIFACTS / "demo_map.png").stat().st_size > 10_000
    page.close()


def test_a_map_per_use_and_the_embed_snippet_work(browser, demo_run):
    out, result = demo_run
    scores = result.scored.scores
    for p in result.profiles:
        page, problems, _ = open_page(browser, (out / "maps" / f"{p.name}.html").as_uri())
        counts = page.evaluate(COUNT_LAYERS)
        label = f"{p.label.en} / {p.label.el}".replace("&", "&amp;")
        allowed = {"Boundary / Όριο", "Roads / Δρόμοι", "Land use / Χρήσεις γης", label,
                   f"{label}: excluded / αποκλεισμένα", "Plan: assigned uses / Σχέδιο: ανάθεση χρήσεων",
                   "All idle assets / Όλα τα αδρανή ακίνητα"}
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
      for (const k of Object.keys(window)) {
        if (!/^layer_control_.*_layers$/.test(k)) continue;
        for (const layer of Object.values(window[k].overlays)) {
          layer.eachLayer(g => g.eachLayer && g.eachLayer(f => f.fire('click', {latlng: f.getBounds ? f.getBounds().getCenter() : f.getLatLng()}, true)));
        }
      }
    }""")
    page.wait_for_timeout(300)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator(".leaflet-popup-content").count() >= 1
    assert "window.__pwned=1" in page.content()  # shown as text
    assert problems == []
    page.close()
