/* idle-assets map page, part 1 of 2: turns the compact data of pipeline/publish/mapdata.py
   into Leaflet layers, popups and tooltips in the reader's language (controls.js, part 2, adds
   the layer list, legend, ranked list, search, downloads and links). pipeline/publish/maps.py
   wraps both parts in one function of (map, D), D being the page's data.

   Safety: every text from the inputs reaches the page through textContent or
   a text node, never innerHTML. Links are made only for http(s) URLs.
   The reasons are written from the parts the pipeline chose, into the
   templates of pipeline/common/i18n.py (LABELS) that pipeline/score/ fills too:
   no wording of a sentence lives here. */
  /* The page's language (el, en or both), chosen by the reader and remembered; the project's own by default. */
  const LANGUAGE_KEY = "idle-assets:language";
  const LANGUAGES = ["el", "en", "both"];
  let lang = D.language;
  try { const saved = window.localStorage.getItem(LANGUAGE_KEY); if (LANGUAGES.includes(saved)) lang = saved; } catch (e) { /* storage refused (a sandboxed frame): the default */ }
  const S = D.strings;
  const str = (i) => (i >= 0 ? S[i] : "");
  const LBL = D.labels;
  const COLOURS = D.colours.score, KIND_COLOURS = D.colours.kind, USE_COLOURS = D.colours.use;
  /* a text in the page's language; in both, Greek first and the English after it when it differs */
  const pick = (en, gr) => (lang === "en" ? en : lang === "el" ? gr : !en || en === gr ? gr : !gr ? en : gr + " / " + en);
  const say = (key) => pick(LBL.en[key], LBL.el[key]);
  /* the languages a sentence is written in, Greek first */
  const langs = () => (lang === "both" ? ["el", "en"] : [lang]);
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

  const A = D.assets, T = A.text;
  let shapes = null;
  const assetShape = (i) => { if (!shapes) shapes = decode(A.geometry); return shapes[i]; };
  const assetName = (i) => str(A.name[i]) || str(A.id[i]);
  const assetText = (key, i) => pick(str(T.en[key][i]), str(T.el[key][i]));
  const useName = (u) => pick(D.all_uses[u][1], D.all_uses[u][2]);

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
      const said = str(lang === "en" ? en : gr);
      return c >= 0 ? said.replace("{v}", rawText(i, c, lang)) : said;
    });
    return fill(LBL[lang].excluded_line, { rules: says.join(LBL[lang].rule_list) });
  }

  /* sentences in each of the page's languages, the second in italics */
  function sentences(box, write, small) {
    langs().forEach((l, k) => {
      if (k) box.append(el("br"));
      box.append(el(small ? "small" : "span", write(l), k ? "font-style:italic" : ""));
    });
  }

  function scoreBlock(u, i) {
    const U = D.uses[u], box = el("p", null, "margin:4px 0"), k = U.at.get(i);
    box.append(el("b", pick(U.en, U.el)), el("br"));
    if (k === undefined) {
      sentences(box, (l) => exclusion(l, u, i));
      return box;
    }
    sentences(box, (l) => reason(l, u, i, k));
    if (U.p_top_k.length) {
      box.append(el("br"));
      sentences(box, (l) => fill(LBL[l].stability_line, { k: D.top_k, p: U.p_top_k[k],
        a: grouped(U.rank_p05[k], l), b: grouped(U.rank_p95[k], l), t: grouped(U.rank_topsis[k], l) }), true);
    }
    return box;
  }

  function planBlock(row) {
    const [, use, score, figures, orgsEn, orgsEl, figuresEl, routeEn, routeEl] = row, box = el("p", null, "margin:4px 0");
    box.append(el("b", say("plan_label") + ": " + useName(use)), el("span", " (" + score + "/100)"), el("br"));
    sentences(box, (l) => str(l === "en" ? figures : figuresEl));
    box.append(el("br"), el("span", say("candidates") + ": " + (pick(str(orgsEn), str(orgsEl)) || say("no_candidates"))));
    const route = pick(str(routeEn), str(routeEl));
    if (route) box.append(el("br"), el("span", say("legal_route") + ": " + route));
    return box;
  }

  function facts(i) {
    const table = el("table");
    const row = (label, value) => {
      if (!value) return;
      const tr = el("tr");
      tr.append(el("th", label, "text-align:left;padding-right:6px;vertical-align:top;overflow-wrap:normal"));
      const td = el("td");
      if (value instanceof Node) td.append(value); else td.textContent = value;
      tr.append(td);
      table.append(tr);
    };
    const link = el("a", str(A.id[i]));
    link.href = "#site=" + encodeURIComponent(str(A.id[i])); link.title = say("link_here");
    row(say("id"), link);
    row(say("kind"), say(str(A.kind[i])) || str(A.kind[i]));
    row(say("plan_status"), assetText("status", i));
    if ((D.forms || []).length) {
      const span = el("span");
      D.forms.forEach(([base, question, en, gr]) => {
        if (!/^https?:\/\//i.test(base)) return;
        const a = el("a", pick(en, gr));
        a.href = base + (base.includes("?") ? "&" : "?") + "d[/data/" + question + "]=" + encodeURIComponent(str(A.id[i]));
        a.target = "_blank"; a.rel = "noopener noreferrer";
        span.append(a, " ");
      });
      row(say("take_part"), span);
    }
    if (str(T.el.path[i])) {
      const steps = el("details"), en = str(T.en.path[i]).split("\n");
      steps.append(el("summary", say("plan_path")));
      str(T.el.path[i]).split("\n").forEach((line, k) => steps.append(el("div", pick(en[k], line))));
      row("", steps);
    }
    row(say("area"), assetText("area", i));
    row(say("sources"), assetText("sources", i));
    const strength = str(A.strength[i]);
    row(say("evidence"), assetText("evidence", i) + (strength ? " (" + say(strength) + ")" : ""));
    if (str(A.confidence[i])) row(say("confidence"), say(str(A.confidence[i])));
    if (str(A.ownership[i])) row(say("ownership"), say(str(A.ownership[i])) + (assetText("owner_basis", i) ? ": " + assetText("owner_basis", i) : ""));
    row(say("conflicts"), assetText("conflicts", i));
    row(say("active_use"), assetText("active_use", i));
    row(say("condition_occupancy"), [assetText("condition", i), assetText("occupancy", i)].filter(Boolean).join(" / "));
    row(say("survey_notes"), str(A.notes[i]));
    const urls = str(A.photos[i]).split(";").map((s) => s.trim()).filter(Boolean);
    if (urls.length) {
      const span = el("span");
      urls.forEach((url, k) => {
        if (/^https?:\/\//i.test(url)) {
          const a = el("a", say("photo") + " " + (k + 1));
          a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer";
          span.append(a, " ");
        } else span.append(url + " ");
      });
      row(say("photos"), span);
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

  /* The layers, by a key that does not change with the language: boundary, roads, landuse, all, plan,
     use:<name> and use:<name>:excluded; each made when first shown. */
  const overlays = {}, builders = {}, order = [], names = {}, groups = {};
  function overlay(key, name, group, build, show, context) {
    const layer = L.featureGroup();
    let built = false;
    const ensure = () => { if (!built) { built = true; build(layer); } return layer; };
    // context layers go under the assets whenever they are switched on, so clicks reach the assets
    layer.on("add", () => { ensure(); if (context) layer.bringToBack(); });
    overlays[key] = layer; builders[key] = ensure; order.push(key); names[key] = name; groups[key] = group;
    if (show) layer.addTo(map);
    return layer;
  }

  function addAsset(layer, i, style, tip, content) {
    const shape = L.polygon(assetShape(i), Object.assign({ renderer: renderer, search: assetName(i) === str(A.id[i]) ? str(A.id[i]) : assetName(i) + " (" + str(A.id[i]) + ")" }, style));
    shape.assetIndex = i;
    shape.bindTooltip(() => document.createTextNode(tip()), { sticky: true });
    shape.bindPopup(() => popup(i, content()), popupOptions);
    shape.on("mouseover", () => shape.setStyle({ weight: 4 })).on("mouseout", () => shape.setStyle({ weight: style.weight }));
    layer.addLayer(shape);
  }

  const n = A.id.length;
  overlay("boundary", () => say("boundary"), "context", (g) => {
    decode(D.boundary).forEach((poly) => g.addLayer(L.polygon(poly, { renderer: renderer, color: "#333333", weight: 2, fill: false, dashArray: "6 4", interactive: false })));
  }, true, true);
  if (D.context.roads) overlay("roads", () => say("roads"), "context", (g) => {
    decode(D.context.roads.geometry).forEach((line) => g.addLayer(L.polyline(line, { renderer: renderer, color: "#777777", weight: 1, interactive: false })));
  }, false, true);
  if (D.context.landuse) overlay("landuse", () => say("landuse"), "context", (g) => {
    const kinds = D.context.landuse.kind;
    decode(D.context.landuse.geometry).forEach((poly, k) => {
      const shape = L.polygon(poly, { renderer: renderer, color: "#9ab973", weight: 0.5, fillOpacity: 0.15 });
      shape.bindTooltip(() => document.createTextNode(str(kinds[k])), { sticky: true });
      g.addLayer(shape);
    });
  }, false, true);
  const everything = overlay("all", () => say("all_assets"), "plan", (g) => {
    for (let i = 0; i < n; i++) {
      const best = A.best_use[i], u = best >= 0 ? D.uses.findIndex((x) => x.name === D.all_uses[best][0]) : -1;
      addAsset(g, i, { color: D.colours.confidence[str(A.confidence[i])] || "#333333", weight: 2,
        fillColor: KIND_COLOURS[str(A.kind[i])] || "#333333", fillOpacity: 0.2 },
        () => assetName(i) + " (" + say(str(A.kind[i])) + ")",
        () => (u >= 0 ? scoreBlock(u, i) : best >= 0 ? el("p", say("best_use") + ": " + useName(best)) : el("p", say("no_use"))));
    }
  }, n > 0);
  D.uses.forEach((U, u) => {
    const label = () => pick(U.en, U.el);
    if (U.asset.length) overlay("use:" + U.name, label, "uses", (g) => {
      U.asset.forEach((i, k) => addAsset(g, i, { color: "#222222", weight: 1, fillColor: COLOURS[+U.score_class[k]], fillOpacity: 0.75 },
        () => assetName(i) + ": " + U.score[k] + "/100", () => scoreBlock(u, i)));
    }, u === 0);
    if (U.excluded.length) overlay("use:" + U.name + ":excluded", () => label() + ": " + say("excluded_layer"), "uses", (g) => {
      U.excluded.forEach(([i]) => addAsset(g, i, { color: "#888888", weight: 1, fillColor: "#bbbbbb", fillOpacity: 0.5, dashArray: "3 3" },
        () => assetName(i) + ": " + say("excluded"), () => scoreBlock(u, i)));
    }, false);
  });
  if (D.plan.length) overlay("plan", () => say("plan"), "plan", (g) => {
    D.plan.forEach((row) => addAsset(g, row[0], { color: "#000000", weight: 2, fillColor: USE_COLOURS[row[1] % USE_COLOURS.length], fillOpacity: 0.8 },
      () => assetName(row[0]) + ": " + useName(row[1]), () => planBlock(row)));
  }, false);
