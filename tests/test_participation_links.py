"""Every popup and fact sheet links to the deployed forms with the asset
pre-filled (Enketo's d[/data/<question>]=<id>), and each fact sheet carries a
QR code of each link; without deployed forms nothing is added."""

from __future__ import annotations

import pytest

from pipeline.common.config import config_from_dict
from pipeline.common.errors import ConfigError
from pipeline.participation.links import asset_links, form_link, qr_svg
from pipeline.runner import run_project
from projects import demo_data

OPEN_CALL, REPORT = "https://ee.kobotoolbox.org/x/AbCd123", "https://odk.example.gr/-/single/Xy?st=1"


def test_a_link_prefills_the_asset_and_a_bad_address_is_refused(tmp_path):
    assert form_link(OPEN_CALL, "assets", "osm-way-1") == OPEN_CALL + "?d[/data/assets]=osm-way-1"
    assert form_link(REPORT, "asset_id", "reg-R 7/α") == REPORT + "&d[/data/asset_id]=reg-R%207%2F%CE%B1"
    data = demo_data()
    data["participation"] = {"report_url": "javascript:alert(1)"}
    with pytest.raises(ConfigError, match="is not an http"):
        config_from_dict(data, tmp_path)
    assert "<svg" in qr_svg(OPEN_CALL) and "<?xml" not in qr_svg(OPEN_CALL)


@pytest.mark.slow
def test_every_popup_and_fact_sheet_links_to_the_forms(tmp_path):
    from test_map_views import CHROMIUM, SIZES, open_map

    import playwright.sync_api as playwright

    data = demo_data()
    data["participation"] = {"open_call_url": OPEN_CALL, "report_url": REPORT}
    data["output"] = {"pdf": False}
    config = config_from_dict(data, tmp_path)
    result = run_project(config, tmp_path / "out")
    ids = list(result.features["asset_id"])
    for asset_id in ids:
        sheet = (tmp_path / "out" / "factsheets" / f"{asset_id}.html").read_text(encoding="utf-8")
        for (_, _), url in asset_links(config.participation, asset_id):
            assert url.replace("&", "&amp;") in sheet
        assert sheet.count("<svg") >= 2  # a QR code per form
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium)")
    use = result.profiles[0]
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        page = open_map(browser, tmp_path / "out" / "maps" / "index.html", SIZES[0])
        hrefs = page.evaluate("""([name, ids]) => ids.map((id) => {
            const f = window.idleAssets.layer(name).getLayers().find((l) => window.idleAssets.data.strings ?
                String(window.idleAssets.assetIndex(id)) === String(l.assetIndex) : false);
            if (!f) return null;
            return [...f.getPopup()._content(f).querySelectorAll("a")].map((a) => a.href);
        })""", [f"use:{use.name}", ids])
        browser.close()
    shown = [(i, h) for i, h in zip(ids, hrefs) if h is not None]
    assert shown
    for asset_id, links in shown:
        assert OPEN_CALL + "?d[/data/assets]=" + asset_id in links and REPORT + "&d[/data/asset_id]=" + asset_id in links
