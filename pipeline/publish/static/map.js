/* idle-assets map page: turns the compact data of pipeline/publish/mapdata.py
   into Leaflet layers, popups, tooltips, a layer control and a search box.

   Safety: every text from the inputs reaches the page through textContent or
   a text node, never innerHTML; the only HTML strings handed to Leaflet are
   layer names, which are escaped first. Links are made only for http(s) URLs.
   The reasons are written from the parts the pipeline chose, into the
   templates of pipeline/common/i18n.py (LABELS) that pipeline/score/ fills too:
   no wording of a sentence lives here. */
(function (map, D) {
  "use strict";
  const S = D.strings;
  const str = (i) => (i >= 0 ? S[i] : "");
  const LBL = D.labels;
  const COLOURS = D.colours.score, KIND_COLOURS = D.colours.kind, USE_COLOURS = D.colours.use;
  const both = (key) => LBL.en[key] + " / " + LBL.el[key];
  const escapeHtml = (s) => String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const renderer = L.canvas({ padding: 0.5, tolerance: 3 });
  /* phones and narrow windows: the layer list folds into its button, the legend starts folded */
  const narrow = map.getContainer().clientWidth < 700;
  /* a popup opens in the room the controls leave: right of the column of buttons, below the search box,
     above the legend and mini-map, inside the right edge; it scrolls when its text is taller than that
     room. The paddings are measured again whenever a popup opens (the legend folds, the window turns). */
  const popupPad = L.point(10, 10), popupPadEnd = L.point(10, 10);
  const popupOptions = { maxWidth: 400, autoPanPaddingTopLeft: popupPad, autoPanPaddingBottomRight: popupPadEnd };
  /* a popup's frame around its text: the content's margins (20 + 24 px), the tip below (20 px) and the
     content's margins above and below (2 x 13 px) */
  const POPUP_FRAME_X = 46, POPUP_FRAME_Y = 20 + 26 + 4;
  function placePopups() {
    const c = map.getContainer(), box = c.getBoundingClientRect();
    const search = c.querySelector(".leaflet-control-search");
    const column = Array.from(c.querySelectorAll(".leaflet-top.leaflet-left .leaflet-control"))
      .filter((e) => e !== search).map((e) => e.getBoundingClientRect().right - box.left);
    popupPad.x = Math.round(Math.max(10, ...column)) + 6;
    popupPad.y = search ? Math.round(search.getBoundingClientRect().bottom - box.top) + 10 : 10;
    const bottom = Array.from(c.querySelectorAll(".leaflet-bottom .leaflet-control"))
      .filter((e) => !e.classList.contains("leaflet-control-attribution") && e.offsetParent !== null)
      .map((e) => box.bottom - e.getBoundingClientRect().top);
    popupPadEnd.x = 10;
    popupPadEnd.y = Math.round(Math.max(10, ...bottom)) + 10;
    /* the layer list (top right): a popup keeps below it or left of it, whichever leaves more room
       (below a folded button on a phone, left of the open list on a desktop) */
    c.querySelectorAll(".leaflet-top.leaflet-right .leaflet-control").forEach((e) => {
      const r = e.getBoundingClientRect();
      if (!r.width || !r.height) return;
      const right = Math.round(box.right - r.left) + 10, below = Math.round(r.bottom - box.top) + 10;
      if (right * box.height <= below * box.width) popupPadEnd.x = Math.max(popupPadEnd.x, right);
      else popupPad.y = Math.max(popupPad.y, below);
    });
  }
  /* the largest text box a popup can show within that room */
  const popupRoom = () => ({
    width: Math.max(120, Math.min(360, map.getContainer().clientWidth - popupPad.x - popupPadEnd.x - POPUP_FRAME_X)),
    height: Math.max(100, map.getContainer().clientHeight - popupPad.y - popupPadEnd.y - POPUP_FRAME_Y),
  });
  /* text folded for search: lower case, no accents (Greek tonos and dialytika included) */
  const fold = (s) => String(s).normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();

  /* Geometries: shapely ragged arrays, integers of 1 / quantum degree from
     the origin, each ring or line delta-coded. Returns one Leaflet latlng
     structure per feature (multipolygon: polygons > rings > points). */
  function decode(g) {
    const [ox, oy] = D.origin, q = D.quantum, xy = g.xy, o = g.offsets, ring = o[0];
    const pts = [];
    for (let r = 0; r + 1 < ring.length; r++) {
      let x = 0, y = 0;
      const line = [];
      for (let k = ring[r]; k < ring[r + 1]; k++) {
        if (k === ring[r]) { x = xy[2 * k]; y = xy[2 * k + 1]; } else { x += xy[2 * k]; y += xy[2 * k + 1]; }
        line.push([oy + y / q, ox + x / q]);
      }
      pts.push(line);
    }
    const group = (items, offs) => { const out = []; for (let i = 0; i + 1 < offs.length; i++) out.push(items.slice(offs[i], offs[i + 1])); return out; };
    if (g.type === 6) return group(group(pts, o[1]), o[2]);   // MultiPolygon
    if (g.type === 3) return group(pts, o[1]);                // Polygon
    if (g.type === 5) return group(pts, o[1]);                // MultiLineString
    return pts;                                               // LineString
  }

  const A = D.assets;
  let shapes = null;
  const assetShape = (i) => { if (!shapes) shapes = decode(A.geometry); return shapes[i]; };
  const assetName = (i) => str(A.name[i]) || str(A.id[i]);

  function el(tag, text, style) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = text;
    if (style) e.style.cssText = style;
    return e;
  }

  function rawText(i, c, lang) { return str(A.raw[lang][c][i]); }

  /* A template of pipeline.common.i18n.LABELS filled in one pass (a value holding "{x}" stays as it is). */
  const fill = (template, values) => template.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));

  /* An integer with its thousands grouped as pipeline.common.i18n.number does. */
  const grouped = (v, lang) => String(v).replace(/\B(?=(\d{3})+(?!\d))/g, lang === "el" ? "." : ",");

  function criterionLabel(c, lang) { return D.criteria[c][lang === "en" ? 0 : 1]; }

  /* Each use's eligible assets come as a list with aligned arrays, the
     excluded ones as [asset, rules] pairs; index both by asset. */
  D.uses.forEach((U) => {
    U.at = new Map(U.asset.map((i, k) => [i, k]));
    U.out = new Map(U.excluded);
  });

  /* The reason line of pipeline.score.reason_text, from the chosen parts;
     k is the asset's place in the use's eligible list. */
  function reason(lang, u, i, k) {
    const U = D.uses[u], p = U.parts[k];
    const part = (j, pts) => fill(LBL[lang].reason_part, { label: criterionLabel(U.criteria[j], lang),
      value: rawText(i, U.criteria[j], lang), points: pts, max: U.max_points[j] });
    const clause = (head, items) => fill(LBL[lang].reason_clause, { head: LBL[lang][head], items: items.join(LBL[lang].reason_list) });
    let text = fill(LBL[lang].rank_line, { rank: grouped(U.rank[k], lang), n: grouped(U.n_eligible, lang), score: U.score[k] });
    const strong = [];
    if (p[0] >= 0) strong.push(part(p[0], p[1]));
    if (p[2] >= 0) strong.push(part(p[2], p[3]));
    if (strong.length) text += clause("strengths", strong);
    if (p[4] >= 0) text += clause("weakness", [part(p[4], p[5])]);
    const unknown = [];
    U.criteria.forEach((c, j) => { if (p[6] & (1 << j)) unknown.push(criterionLabel(c, lang)); });
    if (unknown.length) text += clause("no_data", unknown);
    return text;
  }

  /* The exclusion line of pipeline.score.exclusion_text. */
  function exclusion(lang, u, i) {
    const U = D.uses[u];
    const says = U.out.get(i).map((r) => {
      const [en, gr, c] = U.rules[r];
      const say = str(lang === "en" ? en : gr);
      return c >= 0 ? say.replace("{v}", rawText(i, c, lang)) : say;
    });
    return fill(LBL[lang].excluded_line, { rules: says.join(LBL[lang].rule_list) });
  }

  function useLabel(name) {
    const u = D.all_uses.find((x) => x[0] === name);
    return u ? u[1] : name;
  }

  function scoreBlock(u, i) {
    const U = D.uses[u], box = el("p", null, "margin:4px 0"), k = U.at.get(i);
    box.append(el("b", U.en), el("br"));
    if (k === undefined) {
      box.append(el("span", exclusion("en", u, i)), el("br"), el("i", exclusion("el", u, i)));
      return box;
    }
    box.append(el("span", reason("en", u, i, k)), el("br"), el("i", reason("el", u, i, k)));
    if (U.p_top_k.length) {
      const said = (lang) => fill(LBL[lang].stability_line, { k: D.top_k, p: U.p_top_k[k],
        a: grouped(U.rank_p05[k], lang), b: grouped(U.rank_p95[k], lang), t: grouped(U.rank_topsis[k], lang) });
      box.append(el("br"), el("small", said("en")), el("br"), el("small", said("el"), "font-style:italic"));
    }
    return box;
  }

  function planBlock(row) {
    const [, use, score, figures, orgs, figuresEl] = row, box = el("p", null, "margin:4px 0");
    box.append(el("b", both("plan_label") + ": " + D.all_uses[use][1] + " / " + D.all_uses[use][2]),
      el("span", " (" + score + "/100)"), el("br"),
      el("span", str(figures)), el("br"), el("i", str(figuresEl)), el("br"),
      el("span", both("candidates") + ": " + str(orgs)));
    return box;
  }

  function facts(i) {
    const table = el("table");
    const row = (label, value) => {
      if (!value) return;
      const tr = el("tr");
      tr.append(el("th", label, "text-align:left;padding-right:6px"));
      const td = el("td");
      if (value instanceof Node) td.append(value); else td.textContent = value;
      tr.append(td);
      table.append(tr);
    };
    row("id", str(A.id[i]));
    row(both("kind"), str(A.kind[i]));
    row(both("plan_status"), str(A.status[i]));
    if ((D.forms || []).length) {
      const span = el("span");
      D.forms.forEach(([base, question, en, gr]) => {
        if (!/^https?:\/\//i.test(base)) return;
        const a = el("a", gr + " / " + en);
        a.href = base + (base.includes("?") ? "&" : "?") + "d[/data/" + question + "]=" + encodeURIComponent(str(A.id[i]));
        a.target = "_blank"; a.rel = "noopener noreferrer";
        span.append(a, " ");
      });
      row(both("take_part"), span);
    }
    if (str(A.path[i])) {
      const steps = el("details");
      steps.append(el("summary", both("plan_path")));
      str(A.path[i]).split("\n").forEach((line) => steps.append(el("div", line)));
      row("", steps);
    }
    row(both("area"), str(A.area[i]));
    row(both("sources"), str(A.sources[i]));
    row(both("evidence"), str(A.evidence[i]) + (str(A.strength[i]) ? " (" + both(str(A.strength[i])) + ")" : ""));
    if (str(A.confidence[i])) row(both("confidence"), both(str(A.confidence[i])));
    if (str(A.ownership[i])) row(both("ownership"), both(str(A.ownership[i])) + (str(A.owner_basis[i]) ? ": " + str(A.owner_basis[i]) : ""));
    row(both("conflicts"), str(A.conflicts[i]));
    row(both("active_use"), str(A.active_use[i]));
    row("condition / occupancy", [str(A.condition[i]), str(A.occupancy[i])].filter(Boolean).join(" / "));
    row("survey notes", str(A.notes[i]));
    const urls = str(A.photos[i]).split(";").map((s) => s.trim()).filter(Boolean);
    if (urls.length) {
      const span = el("span");
      urls.forEach((url, k) => {
        if (/^https?:\/\//i.test(url)) {
          const a = el("a", "photo " + (k + 1));
          a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer";
          span.append(a, " ");
        } else span.append(url + " ");
      });
      row(both("photos"), span);
    }
    return table;
  }

  function popup(i, block) {
    placePopups();
    const room = popupRoom();
    const box = el("div", null, "overflow-y:auto;overflow-wrap:anywhere;max-width:" + room.width + "px;max-height:" +
      room.height + "px");
    box.append(el("b", assetName(i)));
    if (block) box.append(block);
    box.append(facts(i));
    return box;
  }

  const overlays = {}, builders = {}, order = [];
  function overlay(name, build, show, context) {
    const group = L.featureGroup();
    let built = false;
    const ensure = () => { if (!built) { built = true; build(group); } return group; };
    // context layers go under the assets whenever they are switched on, so clicks reach the assets
    group.on("add", () => { ensure(); if (context) group.bringToBack(); });
    overlays[name] = group; builders[name] = ensure; order.push(name);
    if (show) group.addTo(map);
    return group;
  }

  function addAsset(group, i, style, tip, content) {
    const shape = L.polygon(assetShape(i), Object.assign({ renderer: renderer, search: assetName(i) === str(A.id[i]) ? str(A.id[i]) : assetName(i) + " (" + str(A.id[i]) + ")" }, style));
    shape.assetIndex = i;
    shape.bindTooltip(() => document.createTextNode(tip), { sticky: true });
    shape.bindPopup(() => popup(i, content()), popupOptions);
    shape.on("mouseover", () => shape.setStyle({ weight: 4 })).on("mouseout", () => shape.setStyle({ weight: style.weight }));
    group.addLayer(shape);
  }

  const n = A.id.length;
  overlay(both("boundary"), (g) => {
    decode(D.boundary).forEach((poly) => g.addLayer(L.polygon(poly, { renderer: renderer, color: "#333333", weight: 2, fill: false, dashArray: "6 4", interactive: false })));
  }, true, true);
  if (D.context.roads) overlay(both("roads"), (g) => {
    decode(D.context.roads.geometry).forEach((line) => g.addLayer(L.polyline(line, { renderer: renderer, color: "#777777", weight: 1, interactive: false })));
  }, false, true);
  if (D.context.landuse) overlay(both("landuse"), (g) => {
    const kinds = D.context.landuse.kind;
    decode(D.context.landuse.geometry).forEach((poly, k) => {
      const shape = L.polygon(poly, { renderer: renderer, color: "#9ab973", weight: 0.5, fillOpacity: 0.15 });
      shape.bindTooltip(() => document.createTextNode(str(kinds[k])), { sticky: true });
      g.addLayer(shape);
    });
  }, false, true);
  const everything = overlay(both("all_assets"), (g) => {
    for (let i = 0; i < n; i++) {
      const best = A.best_use[i], u = best >= 0 ? D.uses.findIndex((x) => x.name === D.all_uses[best][0]) : -1;
      addAsset(g, i, { color: D.colours.confidence[str(A.confidence[i])] || "#333333", weight: 2,
        fillColor: KIND_COLOURS[str(A.kind[i])] || "#333333", fillOpacity: 0.2 },
        assetName(i) + " (" + str(A.kind[i]) + ")",
        () => (u >= 0 ? scoreBlock(u, i) : best >= 0 ? el("p", both("best_use") + ": " + D.all_uses[best][1] + " / " + D.all_uses[best][2]) : el("p", both("no_use"))));
    }
  }, n > 0);
  D.uses.forEach((U, u) => {
    const label = U.en + " / " + U.el;
    if (U.asset.length) overlay(label, (g) => {
      U.asset.forEach((i, k) => addAsset(g, i, { color: "#222222", weight: 1, fillColor: COLOURS[+U.score_class[k]], fillOpacity: 0.75 },
        assetName(i) + ": " + U.score[k] + "/100", () => scoreBlock(u, i)));
    }, u === 0);
    if (U.excluded.length) overlay(label + ": " + both("excluded_layer"), (g) => {
      U.excluded.forEach(([i]) => addAsset(g, i, { color: "#888888", weight: 1, fillColor: "#bbbbbb", fillOpacity: 0.5, dashArray: "3 3" },
        assetName(i) + ": " + LBL.en.excluded, () => scoreBlock(u, i)));
    }, false);
  });
  if (D.plan.length) overlay(both("plan"), (g) => {
    D.plan.forEach((row) => addAsset(g, row[0], { color: "#000000", weight: 2, fillColor: USE_COLOURS[row[1] % USE_COLOURS.length], fillOpacity: 0.8 },
      assetName(row[0]) + ": " + D.all_uses[row[1]][1], () => planBlock(row)));
  }, false);

  const control = {};
  order.forEach((name) => { control[escapeHtml(name)] = overlays[name]; });
  L.control.layers(null, control, { collapsed: narrow }).addTo(map);
  if (n > 0) {
    const search = new L.Control.Search({
      layer: everything, propertyName: "search", marker: false, collapsed: false, position: "topleft",
      textPlaceholder: "Search name or id / Αναζήτηση", initial: false,
      /* any part of a name or id, without regard to case or accents ("πρωην" finds "Πρώην") */
      filterData: (text, records) => {
        const wanted = fold(text), out = {};
        Object.keys(records).forEach((key) => { if (fold(key).includes(wanted)) out[key] = records[key]; });
        return out;
      },
      buildTip: (text) => { const li = el("li", text); return li; },
      /* the view settles before the popup opens, so the popup pans into a still map */
      moveToLocation: (latlng, title, m) => m.fitBounds(latlng.layer.getBounds(), Object.assign({ maxZoom: 18, animate: false }, margins())),
    });
    search.on("search:locationfound", (e) => { if (e.layer) e.layer.openPopup(); });
    map.addControl(search);
    /* leaflet-search (2.9.7, vendored) reacts to keyup only; text typed through an input method or pasted
       (Greek on many keyboards) comes as an input event without one */
    L.DomEvent.on(search._input, "input", (ev) => { if (!ev.isComposing) search._handleKeypress({ keyCode: 0 }); });
  }

  /* first look: the assets, not the whole municipality; a button for each view */
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
  const views = L.control({ position: "topleft" });
  views.onAdd = () => {
    const bar = el("div");
    bar.className = "leaflet-bar ia-views";
    [[both("view_assets"), "\u25ce", showAssets], [both("view_whole"), "\u2922", showWhole]].forEach(([title, icon, go]) => {
      const a = el("a", icon);
      a.href = "#"; a.title = title; a.setAttribute("role", "button"); a.setAttribute("aria-label", title);
      L.DomEvent.on(a, "click", (ev) => { L.DomEvent.preventDefault(ev); go(); });
      bar.append(a);
    });
    L.DomEvent.disableClickPropagation(bar);
    return bar;
  };
  views.addTo(map);

  /* one legend: title and coverage, score classes, outlines by confidence, the plan's colours */
  const legend = L.control({ position: "bottomleft" });
  legend.onAdd = () => {
    const box = el("details");
    box.className = "ia-legend";
    box.open = !narrow;
    const summary = el("summary");
    summary.append(el("b", D.title));
    if (D.note) summary.append(el("br"), el("small", D.note));
    box.append(summary);
    const section = (title) => { const s = el("div", null, "margin-top:4px"); s.append(el("b", title)); box.append(s); return s; };
    const swatch = (fill, border, text) => {
      const line = el("div");
      line.append(el("span", "\u00a0", "display:inline-block;width:16px;height:10px;margin-right:5px;vertical-align:middle;" +
        "background:" + fill + ";border:2px solid " + border), text);
      return line;
    };
    const scores = section(both("legend"));
    COLOURS.forEach((c, k) => scores.append(swatch(c, "#222222", D.bins[k] + "\u2013" + D.bins[k + 1])));
    if (n > 0) {
      const outlines = section(both("confidence"));
      Object.entries(D.colours.confidence).forEach(([level, colour]) => {
        const line = swatch("transparent", colour, both("short_" + level));
        line.title = both(level);
        outlines.append(line);
      });
    }
    if (D.plan.length) {
      const planned = section(both("plan"));
      planned.className = "ia-plan-legend";
      planned.style.display = "none";
      [...new Set(D.plan.map((row) => row[1]))].forEach((u) => planned.append(
        swatch(USE_COLOURS[u % USE_COLOURS.length], "#000000", D.all_uses[u][1] + " / " + D.all_uses[u][2])));
      map.on("overlayadd overlayremove", (e) => {
        if (e.layer === overlays[both("plan")]) planned.style.display = e.type === "overlayadd" ? "" : "none";
      });
    }
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  };
  legend.addTo(map);
  showAssets();
  window.idleAssets = {
    map: map, data: D, overlays: overlays,
    /* the layer called name, with its features created (they are made when first shown) */
    layer: (name) => builders[name](),
    count: (name) => builders[name]().getLayers().length,
    /* the text of the popup of asset id in layer name, as a click would show it */
    popupText: (name, id) => {
      const f = builders[name]().getLayers().find((l) => str(A.id[l.assetIndex]) === id);
      return f ? f.getPopup()._content(f).textContent : null;
    },
    assetIndex: (id) => A.id.findIndex((k) => str(k) === id),
  };
})(MAP_VARIABLE, JSON.parse(document.getElementById("idle-assets-data").textContent));
