  /* idle-assets map page, part 2 of 2: the controls around the layers of part 1 (map.js): the layer
     list in three groups with the language switch, search, the buttons for the two views, the ranked
     list, downloads and printing, the legend, the context layers when no basemap loads, and links to a
     site (#site=<id>). Every text goes in with textContent. */

  const shown = (key) => map.hasLayer(overlays[key]);
  /* the page's title in its language: the project's, and the use of a map of one use */
  const pageTitle = () => D.title + (D.use_page ? ": " + pick(D.uses[0].en, D.uses[0].el) : "");
  const useKeys = () => D.uses.map((U, u) => [U, u, "use:" + U.name]).filter(([, , key]) => overlays[key]);
  const fillIn = (key, values) => pick(fill(LBL.en[key], values("en")), fill(LBL.el[key], values("el")));
  const button = (text, title, go) => {
    const a = el("a", text);
    a.href = "#"; a.title = title; a.setAttribute("role", "button"); a.setAttribute("aria-label", title);
    L.DomEvent.on(a, "click", (ev) => { L.DomEvent.preventDefault(ev); go(a); });
    return a;
  };
  const rerender = [];  // what is written again when the language changes

  /* the layer list: the language switch, then the uses, the inventory and plan, and the context */
  const openGroups = { uses: true, plan: true, context: !narrow };
  const GROUPS = [["uses", "group_uses"], ["plan", "group_plan"], ["context", "group_context"]];
  const sizes = { all: n, plan: D.plan.length };
  D.uses.forEach((U) => { sizes["use:" + U.name] = U.asset.length; sizes["use:" + U.name + ":excluded"] = U.excluded.length; });
  const panelBox = el("div"), panelList = el("div");
  panelBox.className = "leaflet-control-layers ia-layers" + (narrow ? "" : " leaflet-control-layers-expanded");
  panelList.className = "leaflet-control-layers-list";
  const panelToggle = button("", "", () => panelBox.classList.add("leaflet-control-layers-expanded"));
  panelToggle.className = "leaflet-control-layers-toggle";
  panelBox.append(panelToggle, panelList);
  if (narrow) map.on("click", () => panelBox.classList.remove("leaflet-control-layers-expanded"));
  function renderPanel() {
    panelToggle.title = say("layers"); panelToggle.setAttribute("aria-label", say("layers"));
    const choice = el("div");
    choice.className = "ia-lang";
    choice.append(el("span", say("language") + ": "));
    [["el", "ΕΛ"], ["en", "EN"], ["both", "ΕΛ+EN"]].forEach(([code, text]) => {
      const b = el("button", text);
      b.type = "button"; b.setAttribute("aria-pressed", String(code === lang));
      b.title = code === "both" ? say("lang_both") : text;
      L.DomEvent.on(b, "click", () => setLanguage(code));
      choice.append(b);
    });
    if (narrow) choice.append(button("\u00d7", "", () => panelBox.classList.remove("leaflet-control-layers-expanded")));
    const parts = [choice];
    GROUPS.forEach(([group, title]) => {
      const keys = order.filter((k) => groups[k] === group);
      if (!keys.length) return;
      const box = el("details");
      box.open = openGroups[group];
      box.addEventListener("toggle", () => { openGroups[group] = box.open; });
      box.append(el("summary", say(title)));
      keys.forEach((key) => {
        // a use's excluded sites under the use; alone (no site eligible) with the use's name
        const sub = key.endsWith(":excluded") && Boolean(overlays[key.slice(0, -":excluded".length)]), label = el("label");
        if (sub) label.className = "ia-sub";
        const tick = el("input");
        tick.type = "checkbox"; tick.checked = shown(key); tick.dataset.layer = key;
        L.DomEvent.on(tick, "change", () => (tick.checked ? map.addLayer(overlays[key]) : map.removeLayer(overlays[key])));
        label.append(tick, " " + (sub ? say("excluded_layer") : names[key]()) + (key in sizes ? " (" + sizes[key] + ")" : ""));
        box.append(label);
      });
      parts.push(box);
    });
    panelList.replaceChildren(...parts);
  }
  const panel = L.control({ position: "topright" });
  panel.onAdd = () => {
    L.DomEvent.disableClickPropagation(panelBox);
    L.DomEvent.disableScrollPropagation(panelBox);
    return panelBox;
  };
  renderPanel();
  rerender.push(renderPanel);
  panel.addTo(map);

  let search = null;
  if (n > 0) {
    search = new L.Control.Search({
      layer: everything, propertyName: "search", marker: false, collapsed: false, position: "topleft",
      textPlaceholder: say("search"), textCancel: say("cancel"), textErr: say("not_found"), initial: false,
      /* any part of a name or id, without regard to case or accents ("πρωην" finds "Πρώην") */
      filterData: (text, records) => {
        const wanted = fold(text), out = {};
        Object.keys(records).forEach((key) => { if (fold(key).includes(wanted)) out[key] = records[key]; });
        return out;
      },
      buildTip: (text) => el("li", text),
      /* the view settles before the popup opens, so the popup pans into a still map */
      moveToLocation: (latlng, title, m) => m.fitBounds(latlng.layer.getBounds(), Object.assign({ maxZoom: 18, animate: false }, margins())),
    });
    search.on("search:locationfound", (e) => { if (e.layer) e.layer.openPopup(); });
    map.addControl(search);
    /* leaflet-search (2.9.7, vendored) reacts to keyup only; text typed through an input method or pasted
       (Greek on many keyboards) comes as an input event without one */
    L.DomEvent.on(search._input, "input", (ev) => { if (!ev.isComposing) search._handleKeypress({ keyCode: 0 }); });
    rerender.push(() => {
      search._input.placeholder = say("search");
      search._cancel.title = say("cancel");
      search._button.title = say("search_button");
      search.options.textErr = say("not_found");
    });
    search._button.title = say("search_button");
  }

  /* first look: the assets, not the whole municipality */
  const boundsOf = (nested) => {
    const box = L.latLngBounds([]);
    const walk = (x) => { if (typeof x[0] === "number") box.extend(x); else x.forEach(walk); };
    walk(nested);
    return box;
  };
  const whole = boundsOf(decode(D.boundary));
  const assetsBounds = boundsOf(Array.from({ length: n }, (_, i) => assetShape(i)));
  /* room the controls take at the map's edges, so the assets are not fitted under them */
  const margins = () => {
    const box = map.getContainer().getBoundingClientRect(), edge = (sel, side) => {
      const e = map.getContainer().querySelector(sel);
      if (!e) return 0;
      const r = e.getBoundingClientRect();
      return side === "left" ? r.right - box.left : side === "right" ? box.right - r.left : box.bottom - r.top;
    };
    const left = Math.min(edge(".leaflet-top.leaflet-left .leaflet-bar", "left"), box.width / 3);
    const right = Math.min(edge(".leaflet-control-layers", "right"), box.width / 2);
    const bottom = Math.min(Math.max(edge(".ia-legend", "bottom"), edge(".leaflet-control-minimap", "bottom")), box.height / 2);
    return { paddingTopLeft: [left + 20, 60], paddingBottomRight: [right + 20, bottom + 20] };
  };
  const showAssets = () => {
    if (assetsBounds.isValid()) map.fitBounds(assetsBounds, Object.assign({ maxZoom: 17 }, margins()));
    else if (whole.isValid()) map.fitBounds(whole);
  };
  const showWhole = () => { if (whole.isValid()) map.fitBounds(whole); };

  /* a site shown and its popup opened, from the layer key (a use's, or all the assets) */
  function focus(key, i) {
    if (!shown(key)) map.addLayer(overlays[key]);
    const f = builders[key]().getLayers().find((l) => l.assetIndex === i);
    if (!f) return false;
    map.fitBounds(f.getBounds(), Object.assign({ maxZoom: 18, animate: false }, margins()));
    f.openPopup();
    return true;
  }

  /* the ranked list beside the map: each use shown, its eligible sites by rank */
  const RANKED_MAX = 100;
  const rankedBox = el("div");
  rankedBox.className = "leaflet-control ia-ranked";
  rankedBox.style.display = "none";
  function renderRanked() {
    const head = el("div", null, "display:flex;justify-content:space-between;gap:6px");
    head.append(el("b", say("ranked")), button("\u00d7", "", toggleRanked));
    const parts = [head];
    const uses = useKeys().filter(([, , key]) => shown(key));
    if (!uses.length) parts.push(el("p", say("ranked_none"), "margin:4px 0"));
    uses.forEach(([U, , key]) => {
      parts.push(el("div", pick(U.en, U.el), "margin-top:4px;font-weight:bold"));
      const list = el("ol", null, "margin:2px 0;padding-left:22px");
      const byRank = U.asset.map((i, k) => k).sort((a, b) => U.rank[a] - U.rank[b]);
      byRank.slice(0, RANKED_MAX).forEach((k) => {
        const item = el("li"), i = U.asset[k];
        item.value = U.rank[k];
        item.append(button(assetName(i) + " \u00b7 " + U.score[k] + "/100", str(A.id[i]), () => focus(key, i)));
        list.append(item);
      });
      parts.push(list);
      if (byRank.length > RANKED_MAX) parts.push(el("small", "+" + (byRank.length - RANKED_MAX)));
    });
    rankedBox.replaceChildren(...parts);
  }
  function toggleRanked() {
    rankedBox.style.display = rankedBox.style.display === "none" ? "" : "none";
    if (rankedBox.style.display === "") { renderRanked(); fitRanked(); }
  }
  /* the list keeps above the controls at the bottom right (the mini-map), scrolling inside */
  function fitRanked() {
    const box = map.getContainer().getBoundingClientRect(), top = rankedBox.getBoundingClientRect().top;
    const below = Array.from(map.getContainer().querySelectorAll(".leaflet-bottom.leaflet-right .leaflet-control"))
      .filter((e) => !e.classList.contains("leaflet-control-attribution") && e.offsetParent !== null)
      .map((e) => box.bottom - e.getBoundingClientRect().top);
    rankedBox.style.maxHeight = Math.max(120, box.bottom - top - Math.max(30, ...below) - 10) + "px";
  }
  const ranked = L.control({ position: "topright" });
  ranked.onAdd = () => {
    L.DomEvent.disableClickPropagation(rankedBox);
    L.DomEvent.disableScrollPropagation(rankedBox);
    return rankedBox;
  };
  ranked.addTo(map);
  rerender.push(() => { if (rankedBox.style.display === "") renderRanked(); });

  /* the shown layers' sites as rows: layer, id, name, kind, area, use, score, rank, why */
  function shownRows() {
    const rows = [], lead = langs()[0];
    const base = (key, i) => ({ layer: names[key](), asset_id: str(A.id[i]), name: assetName(i), kind: say(str(A.kind[i])),
      area: assetText("area", i), use: "", score: "", rank: "", why: "", index: i });
    order.filter((key) => shown(key) && key in sizes && sizes[key] > 0).forEach((key) => {
      if (key === "all") for (let i = 0; i < n; i++) rows.push(Object.assign(base(key, i), { why: assetText("evidence", i) }));
      else if (key === "plan") D.plan.forEach((row) => rows.push(Object.assign(base(key, row[0]), { use: useName(row[1]), score: row[2] })));
      else {
        const u = D.uses.findIndex((U) => key.startsWith("use:" + U.name)), U = D.uses[u];
        if (key.endsWith(":excluded")) U.excluded.forEach(([i]) => rows.push(Object.assign(base(key, i), { use: pick(U.en, U.el), why: exclusion(lead, u, i) })));
        else U.asset.forEach((i, k) => rows.push(Object.assign(base(key, i), { use: pick(U.en, U.el), score: U.score[k], rank: U.rank[k], why: reason(lead, u, i, k) })));
      }
    });
    return rows;
  }
  const COLUMNS = [["layer", "col_layer"], ["asset_id", "id"], ["name", "asset"], ["kind", "kind"], ["area", "area"],
    ["use", "col_use"], ["score", "score"], ["rank", "col_rank"], ["why", "reason"]];
  /* a CSV cell: quoted, and never a formula in a spreadsheet (text from the inputs is data) */
  const cell = (v) => { let s = String(v); if (/^[=+\-@\t\r]/.test(s)) s = "'" + s; return '"' + s.replace(/"/g, '""') + '"'; };
  function toCsv(rows) {
    const lines = [COLUMNS.map(([, label]) => cell(say(label))).join(",")];
    rows.forEach((r) => lines.push(COLUMNS.map(([k]) => cell(r[k])).join(",")));
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }
  function toGeoJson(rows) {
    const flip = (x) => (typeof x[0] === "number" ? [x[1], x[0]] : x.map(flip));
    const type = A.geometry.type === 6 ? "MultiPolygon" : "Polygon";
    return JSON.stringify({ type: "FeatureCollection", features: rows.map((r) => {
      const properties = {};
      COLUMNS.forEach(([k]) => { properties[k] = r[k]; });
      return { type: "Feature", properties: properties, geometry: { type: type, coordinates: flip(assetShape(r.index)) } };
    }) });
  }
  function download(format) {
    const rows = shownRows();
    if (!rows.length) { window.alert(say("download_nothing")); return; }
    const text = format === "csv" ? toCsv(rows) : toGeoJson(rows);
    const blob = new Blob([text], { type: format === "csv" ? "text/csv;charset=utf-8" : "application/geo+json" });
    const a = el("a");
    a.href = URL.createObjectURL(blob);
    a.download = (document.title || "idle-assets").replace(/[^\w\u0370-\u03ff-]+/g, "_").slice(0, 60) + (format === "csv" ? ".csv" : ".geojson");
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(a.href), 1000);
  }

  /* the buttons: the two views, the ranked list, downloads, print */
  const bar = el("div");
  bar.className = "leaflet-bar ia-views";
  const menu = el("div");
  menu.className = "ia-menu";
  menu.style.display = "none";
  function renderBar() {
    const csv = button("CSV", say("download") + " (CSV)", () => { menu.style.display = "none"; download("csv"); });
    const json = button("GeoJSON", say("download") + " (GeoJSON)", () => { menu.style.display = "none"; download("geojson"); });
    menu.replaceChildren(csv, json);
    bar.replaceChildren(
      button("\u25ce", say("view_assets"), showAssets), button("\u2922", say("view_whole"), showWhole),
      button("\u2630", say("ranked"), toggleRanked),
      button("\u2913", say("download"), () => { menu.style.display = menu.style.display === "none" ? "" : "none"; }),
      button("", say("print"), () => window.print()), menu);
    bar.children[4].className = "ia-print";
  }
  const views = L.control({ position: "topleft" });
  views.onAdd = () => { L.DomEvent.disableClickPropagation(bar); return bar; };
  renderBar();
  rerender.push(renderBar);
  views.addTo(map);
  /* the other controls' texts in the page's language: Leaflet's zoom and credits, the plugins' buttons, and the
     measuring tool (whose panel is rewritten whenever it changes; leaflet-measure has no Greek of its own) */
  const TITLED = ["locate", "zoom_in", "zoom_out", "fullscreen", "fullscreen_exit", "minimap_hide", "minimap_show"];
  function localiseControls() {
    map.getContainer().querySelectorAll(".leaflet-control [title]").forEach((e) => {
      const key = TITLED.find((k) => e.title === LBL.en[k] || e.title === LBL.el[k] || e.title === LBL.el[k] + " / " + LBL.en[k]);
      if (key) { e.title = say(key); e.setAttribute("aria-label", say(key)); }
    });
    if (map.attributionControl) map.attributionControl.setPrefix('<a href="https://leafletjs.com">Leaflet</a>');
    translateMeasure();
  }
  let measuring = false;
  function translateMeasure() {
    const box = map.getContainer().querySelector(".leaflet-control-measure");
    if (!box || lang === "en" || measuring) return;
    measuring = true;  // the observer sees its own changes: none of them is translated twice
    const greek = (text) => { const key = text.trim(); return key in D.measure_el ? text.replace(key, D.measure_el[key]) : text; };
    const walker = document.createTreeWalker(box, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = greek(node.nodeValue);
      if (text !== node.nodeValue) node.nodeValue = text;  // only a change: the observer is not woken for nothing
    }
    box.querySelectorAll("[title]").forEach((e) => { const text = greek(e.title); if (text !== e.title) e.title = text; });
    measuring = false;
  }
  /* the plugins' controls are added after this script has run: localised once they are there */
  setTimeout(() => {
    const measureBox = map.getContainer().querySelector(".leaflet-control-measure");
    if (measureBox) new MutationObserver(() => translateMeasure()).observe(measureBox, { childList: true, subtree: true, characterData: true });
    localiseControls();
  }, 0);
  rerender.push(localiseControls);

  /* with no basemap (offline, or the tile server down) the roads and land use of the data come on */
  let tilesLoaded = false, offline = false;
  map.eachLayer((layer) => {
    if (!(layer instanceof L.TileLayer)) return;
    layer.on("tileload", () => { tilesLoaded = true; });
    layer.on("tileerror", () => {
      if (tilesLoaded || offline) return;
      offline = true;
      ["roads", "landuse"].forEach((key) => { if (overlays[key]) map.addLayer(overlays[key]); });
      renderLegend();
    });
  });

  /* one legend: title and coverage, the score classes of the uses shown, outlines by confidence, the plan's colours */
  const legendBox = el("details");
  legendBox.className = "ia-legend";
  legendBox.open = !narrow;
  function renderLegend() {
    const parts = [], summary = el("summary");
    summary.append(el("b", pageTitle()));
    if (D.note) summary.append(el("br"), el("small", pick(D.note, D.note_el || D.note)));
    parts.push(summary);
    const section = (title) => { const s = el("div", null, "margin-top:4px"); s.append(el("b", title)); parts.push(s); return s; };
    const swatch = (fill, border, text) => {
      const line = el("div");
      line.append(el("span", "\u00a0", "display:inline-block;width:16px;height:10px;margin-right:5px;vertical-align:middle;" +
        "background:" + fill + ";border:2px solid " + border), text);
      return line;
    };
    if (offline) parts.push(el("div", say("tiles_offline"), "margin-top:4px;font-style:italic"));
    if (n === 0) parts.push(el("div", say("no_sites"), "margin-top:4px"));
    D.uses.forEach((U) => U.none_reason.forEach(([en, gr, k, total]) => parts.push(el("div", fillIn("no_eligible", (l) => ({
      use: l === "en" ? U.en : U.el, rule: str(l === "en" ? en : gr), n: grouped(k, l), total: grouped(total, l) })), "margin-top:4px"))));
    const on = useKeys().filter(([, , key]) => shown(key)).map(([U]) => U);
    if (on.length) {  // the score colours, named by the uses they colour
      const scores = section(fillIn("score_for", (l) => ({ uses: on.map((U) => (l === "en" ? U.en : U.el)).join(", ") })));
      COLOURS.forEach((c, k) => scores.append(swatch(c, "#222222", D.bins[k] + "\u2013" + D.bins[k + 1])));
    }
    if (n > 0) {
      const outlines = section(say("confidence"));
      Object.entries(D.colours.confidence).forEach(([level, colour]) => {
        const line = swatch("transparent", colour, say("short_" + level));
        line.title = say(level);
        outlines.append(line);
      });
    }
    if (D.plan.length) {
      const planned = section(say("plan"));
      planned.className = "ia-plan-legend";
      planned.style.display = shown("plan") ? "" : "none";
      [...new Set(D.plan.map((row) => row[1]))].forEach((u) => planned.append(swatch(USE_COLOURS[u % USE_COLOURS.length], "#000000", useName(u))));
    }
    legendBox.replaceChildren(...parts);
  }
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    L.DomEvent.disableClickPropagation(legendBox);
    L.DomEvent.disableScrollPropagation(legendBox);
    return legendBox;
  };
  renderLegend();
  rerender.push(renderLegend);
  legend.addTo(map);
  window.addEventListener("beforeprint", () => { legendBox.open = true; });

  /* a layer switched on or off, by the list or by code: the list's ticks, the legend and the ranked list follow */
  const isOverlay = (layer) => order.some((key) => overlays[key] === layer);
  map.on("layeradd layerremove", (e) => {
    if (!isOverlay(e.layer)) return;
    panelList.querySelectorAll("input[data-layer]").forEach((tick) => { tick.checked = shown(tick.dataset.layer); });
    renderLegend();
    if (rankedBox.style.display === "") renderRanked();
  });

  function setLanguage(code) {
    if (!LANGUAGES.includes(code)) return;
    lang = code;
    try { window.localStorage.setItem(LANGUAGE_KEY, code); } catch (e) { /* not remembered, still switched */ }
    document.documentElement.lang = code === "en" ? "en" : "el";
    document.title = pageTitle();
    rerender.forEach((write) => write());
    if (map._popup && map.hasLayer(map._popup)) map._popup.update();
  }
  document.documentElement.lang = lang === "en" ? "en" : "el";
  document.title = pageTitle();

  /* a link to a site: #site=<id> opens its popup, in a use shown that has it, else among all the assets */
  const assetIndex = (id) => A.id.findIndex((k) => str(k) === id);
  function openSite(id) {
    const i = assetIndex(id);
    if (i < 0) return false;
    const key = useKeys().map(([, , k]) => k).concat(useKeys().map(([, , k]) => k + ":excluded"))
      .find((k) => overlays[k] && shown(k) && builders[k]().getLayers().some((l) => l.assetIndex === i)) || "all";
    return focus(key, i);
  }
  const fromHash = () => { const m = /^#site=(.+)$/.exec(window.location.hash); return m ? openSite(decodeURIComponent(m[1])) : false; };
  const setHash = (hash) => { try { window.history.replaceState(null, "", hash || window.location.pathname + window.location.search); } catch (e) { /* a frame that may not */ } };
  map.on("popupopen", (e) => { const i = e.popup._source && e.popup._source.assetIndex; if (i !== undefined) setHash("#site=" + encodeURIComponent(str(A.id[i]))); });
  map.on("popupclose", () => { if (window.location.hash.startsWith("#site=")) setHash(""); });
  window.addEventListener("hashchange", fromHash);

  if (!fromHash()) showAssets();
  window.idleAssets = {
    map: map, data: D, overlays: overlays,
    /* the layer of key (boundary, roads, landuse, all, plan, use:<name>, use:<name>:excluded), its features made */
    layer: (key) => builders[key](),
    count: (key) => builders[key]().getLayers().length,
    /* the text of the popup of asset id in layer key, in the page's language, as a click would show it */
    popupText: (key, id) => {
      const f = builders[key]().getLayers().find((l) => str(A.id[l.assetIndex]) === id);
      return f ? f.getPopup()._content(f).textContent : null;
    },
    assetIndex: assetIndex,
    setLanguage: setLanguage,
    language: () => lang,
    rows: shownRows,
    csv: () => toCsv(shownRows()),
    geojson: () => toGeoJson(shownRows()),
  };
