/* kkm2 benchlearning report. Data comes from the page's own <script type="application/json" id="data">;
   charts are drawn with Plotly (shipped in the release, no network). Danish number formats throughout. */
"use strict";

const DATA = JSON.parse(document.getElementById("data").textContent);
const NATIONAL = window.KKM2_NATIONAL || { katalog: [], kommuner_vaerdier: [], benchmark: [], sektorer: ["alle"], sektor_navne: {}, parametre: {} };
const NF = {};
function fmt(x, dec) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const d = dec === undefined ? 1 : dec;
  // signDisplay "negative": a value that rounds to zero is "0,0", not "-0,0"
  NF[d] = NF[d] || new Intl.NumberFormat("da-DK", { minimumFractionDigits: d, maximumFractionDigits: d, signDisplay: "negative" });
  return NF[d].format(x);
}
const PLOT_CONFIG = { displayModeBar: false, responsive: true, locale: "da" };
function baseLayout(extra) {
  return Object.assign({
    separators: ",.", margin: { l: 60, r: 20, t: 20, b: 60 }, font: { family: "system-ui, Arial, sans-serif", color: "#1a1a1a" },
    paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff", showlegend: true, legend: { orientation: "h", y: -0.2 },
  }, extra || {});
}
function figure(code) { return NATIONAL.katalog.find((f) => f.noegletal === code) || { navn: code, enhed: "", decimaler: 1, retning: "neutral" }; }
/* A sector by its Danish name (the seed's label, handed in by report.py as sektor_navne): "aeldre" -> "Ældre". */
function sectorName(s) { return s === "alle" ? "Alle sektorer" : (NATIONAL.sektor_navne || {})[s] || s; }
/* Units as people read them. A count (unit "antal") is written with the noun of the figure's name, "12
   bygninger" rather than "12 antal"; a grade as "karakter 2,35"; every other unit after the number. */
function countNoun(f) { return f.navn.replace(/^antal\s+/i, ""); }
function withUnit(x, f) {
  if (x === null || x === undefined) return "–";
  if (f.enhed === "antal") return `${fmt(x, f.decimaler)} ${countNoun(f)}`;
  if (f.enhed === "karakter") return `karakter ${fmt(x, f.decimaler)}`;
  return `${fmt(x, f.decimaler)} ${f.enhed}`;
}
/* An axis title or a column's unit: "kr/m²", and for a count its noun ("bygninger"). */
function unitLabel(f) { return f.enhed === "antal" ? countNoun(f) : f.enhed; }
/* A column heading: the figure's name with its unit, or only the name for a count ("Antal bygninger"). */
function columnLabel(f) { return f.enhed === "antal" ? f.navn : `${f.navn} (${f.enhed})`; }
function el(tag, attrs, text) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

/* A table whose <th><button> headers sort it (keyboard: Tab + Enter), with aria-sort. */
function sortable(table) {
  table.querySelectorAll("th button").forEach((btn, idx) => {
    btn.addEventListener("click", () => {
      const th = btn.parentElement;
      const asc = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("th").forEach((h) => h.removeAttribute("aria-sort"));
      th.setAttribute("aria-sort", asc ? "ascending" : "descending");
      const rows = Array.from(table.tBodies[0].rows);
      rows.sort((a, b) => {
        const x = a.cells[idx].dataset.sort ?? a.cells[idx].textContent;
        const y = b.cells[idx].dataset.sort ?? b.cells[idx].textContent;
        const nx = parseFloat(x), ny = parseFloat(y);
        const cmp = !Number.isNaN(nx) && !Number.isNaN(ny) ? nx - ny : String(x).localeCompare(String(y), "da");
        return asc ? cmp : -cmp;
      });
      rows.forEach((r) => table.tBodies[0].appendChild(r));
    });
  });
}

/* Fill a data table: columns [{label, num}], rows of cells {text, sort, csv, attrs} (a number: numCell). */
function fillTable(table, columns, rows) {
  const thead = table.tHead || table.createTHead();
  thead.innerHTML = "";
  const hr = thead.insertRow();
  columns.forEach((c) => {
    const th = el("th", { scope: "col", class: c.num ? "num" : "" });
    if (c.sortable === false) th.textContent = c.label; else th.appendChild(el("button", { type: "button" }, c.label));
    hr.appendChild(th);
  });
  const tbody = table.tBodies[0] || table.createTBody();
  tbody.innerHTML = "";
  rows.forEach((r) => {
    const tr = tbody.insertRow();
    r.forEach((cell, i) => {
      const td = el(i === 0 ? "th" : "td", i === 0 ? { scope: "row" } : { class: columns[i].num ? "num" : "" });
      td.textContent = cell.text;
      if (cell.sort !== undefined && cell.sort !== null) td.dataset.sort = cell.sort;
      if (cell.csv !== undefined) td.dataset.csv = cell.csv;
      if (cell.attrs) for (const [k, v] of Object.entries(cell.attrs)) td.setAttribute(k, v);
      tr.appendChild(td);
    });
  });
  sortable(table);
}
/* A CSV cell that a spreadsheet will not run as a formula: the rule of pipeline/text.py's safe_cell, handed in by
   report.py (DATA.celleregel) so there is one definition. Control characters become U+FFFD; text starting with
   = + - @ tab or CR gets a leading apostrophe unless it is just a number (-12,5). */
const CELL_RULE = DATA.celleregel;
const CONTROL = new RegExp(CELL_RULE.kontrol, "gu");
const PLAIN_NUMBER = new RegExp("^(?:" + CELL_RULE.tal + ")$", "u");
function csvCell(value) {
  if (typeof value !== "string") return value;
  const v = value.replace(CONTROL, "\ufffd");
  return CELL_RULE.formel_start.some((c) => v.startsWith(c)) && !PLAIN_NUMBER.test(v) ? "'" + v : v;
}
function csvField(value) {
  const v = String(csvCell(value));
  return /[;"\r\n]/.test(v) ? '"' + v.replace(/"/g, '""') + '"' : v;
}
/* Data text for Plotly, which reads <b>, <br>, <a> ... and entities in labels: shown literally instead. */
function plotText(s) {
  return typeof s === "string" ? s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;") : s;
}
/* A number for a CSV cell that Danish Excel reads as a number: rounded to `dec` decimals, decimal comma, no
   thousands separator; empty where there is no value (never "–"). */
function csvNumber(x, dec) {
  if (x === null || x === undefined || typeof x !== "number" || !Number.isFinite(x)) return "";
  const d = dec === undefined ? 1 : dec;
  const text = x.toFixed(d);
  return (/^-0(\.0*)?$/.test(text) ? text.slice(1) : text).replace(".", ",");
}
/* A table cell with a number: shown in Danish format, sorted by its value, downloaded by csvNumber. */
function numCell(x, dec, attrs) {
  return { text: fmt(x, dec), sort: x, csv: csvNumber(x, dec), attrs };
}
/* Every cell of a download goes through csvCell (the one rule for formulas, pipeline.text.safe_cell): a number
   cell as csvNumber wrote it (data-csv), any other cell as the text it shows. */
function csvDownload(button, table, filename) {
  button.onclick = () => {
    const lines = Array.from(table.rows).map((row) => Array.from(row.cells).map((c) =>
      csvField(c.dataset.csv !== undefined ? c.dataset.csv : c.textContent)).join(";"));
    const blob = new Blob(["\ufeff" + lines.join("\r\n")], { type: "text/csv;charset=utf-8" });
    const a = el("a", { href: URL.createObjectURL(blob), download: filename });
    document.body.appendChild(a); a.click(); a.remove();
  };
}
function options(select, items, selected) {
  select.innerHTML = "";
  items.forEach(([value, label]) => {
    const o = el("option", { value }, label);
    if (value === selected) o.selected = true;
    select.appendChild(o);
  });
}
function chartLabel(div, text) { div.setAttribute("role", "img"); div.setAttribute("aria-label", text); }

/* ---------------------------------------------------------------- a figure against the others */
const DIRECTION = { lavere_er_bedre: "lavere er bedre", hoejere_er_bedre: "højere er bedre" };
/* How a municipality's value stands against the national median, by the figure's direction in the catalogue
   (dim_noegletal.retning): kind (bedre, daarligere, som, neutral, ukendt), an icon (a shape, so the cue does
   not rest on colour) and the words. Values equal at the figure's decimals are "på niveau". A neutral figure
   is only above or below: neither is better. */
function verdict(f, value, median) {
  if (value === null || value === undefined) return { kind: "ukendt", icon: "?", text: "Ingen værdi at sammenligne." };
  if (median === null || median === undefined) return { kind: "ukendt", icon: "?", text: "Ingen landsmedian at sammenligne med (undertrykt)." };
  const v = Number(value.toFixed(f.decimaler)), m = Number(median.toFixed(f.decimaler));
  const side = v > m ? "Over" : v < m ? "Under" : null;
  if (f.retning !== "lavere_er_bedre" && f.retning !== "hoejere_er_bedre") {
    return { kind: "neutral", icon: "◆", text: `${side ? side + " landsmedianen" : "På landsmedianen"}. Neutralt nøgletal: hverken højt eller lavt er bedre.` };
  }
  if (!side) return { kind: "som", icon: "●", text: `På niveau med landsmedianen (${DIRECTION[f.retning]}).` };
  const better = (side === "Under") === (f.retning === "lavere_er_bedre");
  return better
    ? { kind: "bedre", icon: "▲", text: `Bedre end landsmedianen (${DIRECTION[f.retning]}).` }
    : { kind: "daarligere", icon: "▼", text: `Dårligere end landsmedianen (${DIRECTION[f.retning]}).` };
}
/* The percentile in words (mart_kommune_sammenligning: 100 × percent_rank from worst to best, for a neutral
   figure from lowest to highest): the share of the other municipalities this one is better than (higher
   than), and its rank. Without a percentile it says why. */
function placing(f, r) {
  const p = NATIONAL.parametre;
  if (r.percentil === null || r.percentil === undefined) {
    if (r.indgaar_i_benchmark === false) return `Indgår ikke i sammenligningen: kommunens data dækker under ${fmt(p.benchmark_min_daekning_pct, 0)} % af arealet.`;
    return `Ingen placering: færre end ${fmt(p.undertrykkelse_min_kommuner, 0)} kommuner at sammenligne med.`;
  }
  const others = `${fmt(r.percentil, 0)} % af de ${fmt(r.n - 1, 0)} andre kommuner`;
  if (f.retning !== "lavere_er_bedre" && f.retning !== "hoejere_er_bedre") {
    return `Højere end ${others} (nr. ${fmt(r.rang, 0)} af ${fmt(r.n, 0)} fra lavest; neutralt, ikke bedre eller dårligere).`;
  }
  return `Bedre end ${others} (nr. ${fmt(r.rang, 0)} af ${fmt(r.n, 0)}, 1 = bedst).`;
}
/* A comparable change against last year: in per cent and in the figure's unit, and for a figure with a
   direction whether it is an improvement. */
function change(f, r) {
  if (r.aendring === null || r.aendring === undefined) return "–";
  const signed = (x, dec) => (x > 0 ? "+" : "") + fmt(x, dec);
  // the difference in the figure's unit; a share's difference is in percentage points
  const unit = { antal: countNoun(f), "%": "procentpoint" }[f.enhed] ?? f.enhed;
  const amount = `${signed(r.aendring, f.decimaler)} ${unit}`;
  const text = r.aendring_pct === null || r.aendring_pct === undefined ? amount : `${signed(r.aendring_pct, 1)} % (${amount})`;
  const d = Number(r.aendring.toFixed(f.decimaler));
  if (d === 0) return `${text}, uændret`;
  if (f.retning !== "lavere_er_bedre" && f.retning !== "hoejere_er_bedre") return text;
  return `${text}, ${(d < 0) === (f.retning === "lavere_er_bedre") ? "en forbedring" : "en forværring"}`;
}

/* ---------------------------------------------------------------- national page */
function nationalPage() {
  const figSel = document.getElementById("figur"), secSel = document.getElementById("sektor");
  const figs = [...new Set(NATIONAL.kommuner_vaerdier.map((r) => r.noegletal))];
  options(figSel, NATIONAL.katalog.filter((f) => figs.includes(f.noegletal)).map((f) => [f.noegletal, f.navn]), figs.includes("samlet_udgift_pr_m2") ? "samlet_udgift_pr_m2" : figs[0]);
  options(secSel, NATIONAL.sektorer.map((s) => [s, sectorName(s)]), "alle");
  function draw() {
    const f = figure(figSel.value), s = secSel.value;
    const rows = NATIONAL.kommuner_vaerdier.filter((r) => r.noegletal === f.noegletal && r.sektor === s);
    const years = [...new Set(rows.map((r) => r.aar))].sort();
    const bench = NATIONAL.benchmark.filter((b) => b.noegletal === f.noegletal && b.sektor === s);
    const shown = years.filter((y) => { const b = bench.find((x) => x.aar === y); return b && !b.undertrykt; });
    const traces = shown.map((y) => ({
      type: "box", name: String(y), y: rows.filter((r) => r.aar === y).map((r) => r.vaerdi), boxpoints: "all", jitter: 0.4, pointpos: 0,
      text: rows.filter((r) => r.aar === y).map((r) => plotText(r.kommunenavn)), hovertemplate: "%{text}: %{y:,." + f.decimaler + "f}<extra></extra>",
      marker: { color: "#0b5394" }, line: { color: "#0b5394" }, showlegend: false,
    }));
    const div = document.getElementById("fordeling");
    chartLabel(div, `Fordeling af ${f.navn} (${unitLabel(f)}) på tværs af kommuner pr. år, ${sectorName(s).toLowerCase()}`);
    Plotly.react(div, traces, baseLayout({ yaxis: { title: { text: unitLabel(f) } }, xaxis: { title: { text: "År" }, type: "category" } }), PLOT_CONFIG);
    const note = document.getElementById("undertrykt");
    const hidden = years.filter((y) => !shown.includes(y));
    // the threshold is the release's (seed parametre, in nationalt.js), never typed here
    const nMin = fmt(NATIONAL.parametre.undertrykkelse_min_kommuner, 0);
    note.textContent = hidden.length ? `Undertrykt (færre end ${nMin} kommuner): ${hidden.join(", ")}.` : "";
    const table = document.getElementById("fordeling-tabel");
    fillTable(table, [{ label: "År" }, { label: "Kommuner", num: true }, { label: "Nedre kvartil", num: true }, { label: "Median", num: true }, { label: "Øvre kvartil", num: true }],
      years.map((y) => {
        const b = bench.find((x) => x.aar === y) || {};
        const none = { text: "undertrykt", csv: "" };
        if (!b.aar || b.undertrykt) return [{ text: String(y) }, numCell(b.n_kommuner ?? 0, 0), none, none, none];
        return [{ text: String(y) }, numCell(b.n_kommuner, 0), numCell(b.p25, f.decimaler), numCell(b.median, f.decimaler, { "data-median": b.median }), numCell(b.p75, f.decimaler)];
      }));
    csvDownload(document.getElementById("fordeling-csv"), table, `fordeling_${f.noegletal}_${s}.csv`);
    drawMap(f, s, rows, shown[shown.length - 1]);
  }
  function drawMap(f, s, rows, year) {
    const div = document.getElementById("kort");
    if (!DATA.kort) return;
    if (year === undefined) { Plotly.purge(div); chartLabel(div, "Intet kort: alle år er undertrykt for det valgte nøgletal og sektor"); return; }
    const latest = rows.filter((r) => r.aar === year);
    const tiles = DATA.kort.skematisk; // the schematic map (seed kommune_felter): one labelled square per municipality
    chartLabel(div, `${tiles ? "Skematisk kort over Danmark, ét felt pr. kommune" : "Kort over Danmark"}: ${f.navn} ${year} pr. kommune, ${sectorName(s).toLowerCase()}`);
    const all = DATA.kort.features.map((ft) => ft.properties);
    const traces = [{
      type: "choropleth", geojson: DATA.kort, featureidkey: "properties.kommunekode", name: "Uden data",
      locations: all.map((p) => p.kommunekode), z: all.map(() => 0), text: all.map((p) => plotText(p.navn)),
      colorscale: [[0, "#e6e6e6"], [1, "#e6e6e6"]], showscale: false, marker: { line: { color: "#777", width: 0.4 } },
      hovertemplate: "%{text}: ingen data<extra></extra>",
    }, {
      type: "choropleth", geojson: DATA.kort, featureidkey: "properties.kommunekode",
      locations: latest.map((r) => r.kommunekode), z: latest.map((r) => r.vaerdi), text: latest.map((r) => plotText(r.kommunenavn)),
      colorscale: [[0, "#deebf7"], [1, "#08306b"]], marker: { line: { color: "#333", width: 0.6 } }, colorbar: { title: { text: unitLabel(f) } },
      hovertemplate: "%{text}: %{z:,." + f.decimaler + "f}<extra></extra>",
    }];
    const narrow = div.clientWidth < 640; // a phone: no labels (they would overlap), the colour bar below the map
    if (narrow) Object.assign(traces[1].colorbar, { orientation: "h", y: -0.02, yanchor: "top", thickness: 14, title: { text: unitLabel(f), side: "top" } });
    if (tiles && !narrow) {
      // each tile's short label, white on the dark end of the colour scale
      const value = Object.fromEntries(latest.map((r) => [r.kommunekode, r.vaerdi]));
      const vs = latest.map((r) => r.vaerdi), lo = Math.min(...vs), hi = Math.max(...vs);
      const dark = (k) => value[k] !== undefined && (hi > lo ? (value[k] - lo) / (hi - lo) : 1) > 0.5;
      traces.push({
        type: "scattergeo", mode: "text", lon: all.map((p) => p.midt[0]), lat: all.map((p) => p.midt[1]), text: all.map((p) => plotText(p.etiket)),
        textfont: { size: 10, color: all.map((p) => (dark(p.kommunekode) ? "#ffffff" : "#1a1a1a")) }, hoverinfo: "skip", showlegend: false,
      });
    }
    // the tiles: a flat grid whose frame is the grid's own (fitbounds would keep a 2:1 world frame, small on a phone)
    const range = (i) => { const v = tiles ? all.map((p) => p.midt[i]) : [0]; return [Math.min(...v) - 0.5, Math.max(...v) + 0.5]; };
    const geo = tiles
      ? { visible: false, projection: { type: "equirectangular" }, lonaxis: { range: range(0) }, lataxis: { range: range(1) } }
      : { fitbounds: "geojson", visible: false };
    Plotly.react(div, traces, baseLayout({ geo, margin: { l: 0, r: 0, t: 0, b: narrow ? 70 : 0 }, height: narrow ? 440 : 520 }), PLOT_CONFIG);
    const table = document.getElementById("kort-tabel");
    fillTable(table, [{ label: "Kommune" }, { label: columnLabel(f), num: true }],
      latest.map((r) => [{ text: r.kommunenavn }, numCell(r.vaerdi, f.decimaler)]));
    csvDownload(document.getElementById("kort-csv"), table, `kort_${f.noegletal}_${year}.csv`);
  }
  figSel.addEventListener("change", draw);
  secSel.addEventListener("change", draw);
  draw();
}

/* ---------------------------------------------------------------- municipality page */
function municipalityPage() {
  const secSel = document.getElementById("sektor"), figSel = document.getElementById("figur");
  const year = DATA.aar;
  options(secSel, DATA.sektorer.map((s) => [s, sectorName(s)]), "alle");
  const figs = NATIONAL.katalog.filter((f) => DATA.sammenligning.some((r) => r.noegletal === f.noegletal));
  options(figSel, figs.map((f) => [f.noegletal, f.navn]), figs.some((f) => f.noegletal === "samlet_udgift_pr_m2") ? "samlet_udgift_pr_m2" : (figs[0] || {}).noegletal);
  function cards(s) {
    const ul = document.getElementById("kort-liste");
    ul.innerHTML = "";
    DATA.sammenligning.filter((r) => r.sektor === s && r.aar === year).forEach((r) => {
      const f = figure(r.noegletal);
      const v = verdict(f, r.vaerdi, r.landsmedian);
      const li = el("li", { class: `card vurdering-${v.kind}`, "data-noegletal": r.noegletal, "data-vaerdi": r.vaerdi, "data-retning": f.retning });
      li.appendChild(el("h3", {}, f.navn));
      li.appendChild(el("p", { class: "value" }, withUnit(r.vaerdi, f)));
      const said = el("p", { class: "vurdering", "data-vurdering": v.kind });
      said.appendChild(el("span", { class: "ikon", "aria-hidden": "true" }, v.icon));
      said.appendChild(document.createTextNode(" " + v.text));
      li.appendChild(said);
      const dl = el("dl");
      const add = (k, val, attrs) => { dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", attrs || {}, val)); };
      add("Landsmedian", r.landsmedian === null ? "undertrykt" : withUnit(r.landsmedian, f));
      add("Størrelsesgruppens median", r.gruppemedian === null ? "undertrykt" : withUnit(r.gruppemedian, f));
      add("Placering", placing(f, r), { class: "placering", "data-percentil": r.percentil ?? "" });
      // a change only where it is comparable (mart_kommune_sammenligning.sammenlignelig); else why not (report.py)
      add("Ændring fra sidste år", r.sammenlignelig ? change(f, r) : r.aendring_note,
        { class: "aendring", "data-sammenlignelig": String(r.sammenlignelig) });
      add("Dækning", r.daekning_pct === null || r.daekning_pct === undefined ? "–" : `${fmt(r.daekning_pct, 0)} %`);
      li.appendChild(dl);
      if (f.er_foreloebig) li.appendChild(el("p", { class: "provisional" }, "Foreløbig model"));
      ul.appendChild(li);
    });
    document.getElementById("ingen-kort").hidden = ul.children.length > 0;
  }
  function ranking(s, code) {
    const f = figure(code);
    const rows = NATIONAL.kommuner_vaerdier.filter((r) => r.sektor === s && r.noegletal === code && r.aar === year).sort((a, b) => a.vaerdi - b.vaerdi);
    const div = document.getElementById("rangering");
    chartLabel(div, `${f.navn}: alle kommuner ${year}, ${DATA.kommunenavn} fremhævet`);
    Plotly.react(div, [{
      type: "bar", x: rows.map((r) => plotText(r.kommunenavn)), y: rows.map((r) => r.vaerdi), name: f.navn,
      marker: { color: rows.map((r) => (r.kommunekode === DATA.kommunekode ? "#b3261e" : "#8fa9c8")) },
      hovertemplate: "%{x}: %{y:,." + f.decimaler + "f}<extra></extra>", showlegend: false,
    }], baseLayout({ yaxis: { title: { text: unitLabel(f) } }, xaxis: { tickangle: -45 } }), PLOT_CONFIG);
    const table = document.getElementById("rangering-tabel");
    fillTable(table, [{ label: "Kommune" }, { label: columnLabel(f), num: true }],
      rows.map((r) => [{ text: r.kommunenavn + (r.kommunekode === DATA.kommunekode ? " (denne kommune)" : "") }, numCell(r.vaerdi, f.decimaler)]));
    csvDownload(document.getElementById("rangering-csv"), table, `rangering_${code}_${s}.csv`);
  }
  function trend(s, code) {
    const f = figure(code);
    const rows = DATA.sammenligning.filter((r) => r.sektor === s && r.noegletal === code).sort((a, b) => a.aar - b.aar);
    const div = document.getElementById("udvikling");
    chartLabel(div, `${f.navn} over årene for ${DATA.kommunenavn} og landsmedianen`);
    Plotly.react(div, [
      { type: "scatter", mode: "lines+markers", name: plotText(DATA.kommunenavn), x: rows.map((r) => String(r.aar)), y: rows.map((r) => r.vaerdi), line: { color: "#b3261e" } },
      { type: "scatter", mode: "lines+markers", name: "Landsmedian", x: rows.map((r) => String(r.aar)), y: rows.map((r) => r.landsmedian), line: { color: "#0b5394", dash: "dash" } },
    ], baseLayout({ yaxis: { title: { text: unitLabel(f) } }, xaxis: { type: "category", title: { text: "År" } } }), PLOT_CONFIG);
    const table = document.getElementById("udvikling-tabel");
    fillTable(table, [{ label: "År" }, { label: `${DATA.kommunenavn} (${unitLabel(f)})`, num: true }, { label: `Landsmedian (${unitLabel(f)})`, num: true }],
      rows.map((r) => [{ text: String(r.aar) }, numCell(r.vaerdi, f.decimaler), numCell(r.landsmedian, f.decimaler)]));
    csvDownload(document.getElementById("udvikling-csv"), table, `udvikling_${code}_${s}.csv`);
  }
  function buildings(s) {
    const rows = DATA.bygninger.filter((b) => s === "alle" || b.sektor === s);
    const table = document.getElementById("bygninger");
    const cols = DATA.bygning_kolonner;
    fillTable(table, [{ label: "Bygning" }, { label: "Sektor" }, ...cols.map((c) => ({ label: columnLabel(figure(c)), num: true })), { label: "Nærmere eftersyn" }],
      rows.map((b) => [{ text: b.navn }, { text: b.sektor ? sectorName(b.sektor) : "", attrs: { "data-sektor": b.sektor ?? "" } }, ...cols.map((c) => numCell(b[c], figure(c).decimaler)), { text: b.naermere_eftersyn ? "Ja" : "", attrs: b.naermere_eftersyn ? { class: "flag" } : {} }]));
    csvDownload(document.getElementById("bygninger-csv"), table, `bygninger_${DATA.kommunekode}_${s}.csv`);
    document.getElementById("antal-bygninger").textContent = `${fmt(rows.length, 0)} ${rows.length === 1 ? "bygning" : "bygninger"}`;
    scatter(rows);
  }
  function scatter(rows) {
    const withBoth = rows.filter((b) => b.samlet_udgift_pr_m2 !== null && b.vedligeholdelsestilstand !== null);
    const flagged = withBoth.filter((b) => b.naermere_eftersyn), normal = withBoth.filter((b) => !b.naermere_eftersyn);
    const div = document.getElementById("udgift-tilstand");
    chartLabel(div, "Samlet udgift pr. m² mod vedligeholdelsestilstand pr. bygning; bygninger til nærmere eftersyn markeret");
    const t = (list, name, color, symbol) => ({
      type: "scatter", mode: "markers", name, x: list.map((b) => b.vedligeholdelsestilstand), y: list.map((b) => b.samlet_udgift_pr_m2),
      text: list.map((b) => plotText(b.navn)), marker: { color, symbol, size: 11, line: { color: "#1a1a1a", width: 1 } },
      hovertemplate: "%{text}: tilstand %{x:,.1f}, %{y:,.0f} kr/m²<extra></extra>",
    });
    Plotly.react(div, [t(normal, "Øvrige bygninger", "#8fa9c8", "circle"), t(flagged, "Nærmere eftersyn", "#b3261e", "diamond")],
      baseLayout({ xaxis: { title: { text: "Vedligeholdelsestilstand (1 = bedst)" } }, yaxis: { title: { text: "Samlet udgift pr. m² (kr/m²)" } } }), PLOT_CONFIG);
    const list = document.getElementById("eftersyn");
    list.innerHTML = "";
    rows.filter((b) => b.naermere_eftersyn).forEach((b) => list.appendChild(el("li", {}, `${b.navn}: ${b.naermere_eftersyn_aarsag}`)));
    if (!list.children.length) list.appendChild(el("li", {}, "Ingen bygninger er udpeget til nærmere eftersyn."));
  }
  function draw() { const s = secSel.value; cards(s); ranking(s, figSel.value); trend(s, figSel.value); buildings(s); }
  secSel.addEventListener("change", draw);
  figSel.addEventListener("change", draw);
  draw();
}

if (DATA.side === "national") nationalPage();
if (DATA.side === "kommune") municipalityPage();
