/* kkm2 benchlearning report. Data comes from the page's own <script type="application/json" id="data">;
   charts are drawn with Plotly (shipped in the release, no network). Danish number formats throughout. */
"use strict";

const DATA = JSON.parse(document.getElementById("data").textContent);
const NATIONAL = window.KKM2_NATIONAL || { katalog: [], kommuner_vaerdier: [], benchmark: [], sektorer: ["alle"], parametre: {} };
const NF = {};
function fmt(x, dec) {
  if (x === null || x === undefined || Number.isNaN(x)) return "–";
  const d = dec === undefined ? 1 : dec;
  NF[d] = NF[d] || new Intl.NumberFormat("da-DK", { minimumFractionDigits: d, maximumFractionDigits: d });
  return NF[d].format(x);
}
const PLOT_CONFIG = { displayModeBar: false, responsive: true, locale: "da" };
function baseLayout(extra) {
  return Object.assign({
    separators: ",.", margin: { l: 60, r: 20, t: 20, b: 60 }, font: { family: "system-ui, Arial, sans-serif", color: "#1a1a1a" },
    paper_bgcolor: "#ffffff", plot_bgcolor: "#ffffff", showlegend: true, legend: { orientation: "h", y: -0.2 },
  }, extra || {});
}
function figure(code) { return NATIONAL.katalog.find((f) => f.noegletal === code) || { navn: code, enhed: "", decimaler: 1 }; }
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

/* Fill a data table (head + rows of {text, sort, num}) and wire its CSV download button. */
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
function csvDownload(button, table, filename) {
  button.onclick = () => {
    const lines = Array.from(table.rows).map((row) => Array.from(row.cells).map((c) =>
      csvField(c.dataset.sort !== undefined ? c.dataset.sort : c.textContent)).join(";"));
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

/* ---------------------------------------------------------------- national page */
function nationalPage() {
  const figSel = document.getElementById("figur"), secSel = document.getElementById("sektor");
  const figs = [...new Set(NATIONAL.kommuner_vaerdier.map((r) => r.noegletal))];
  options(figSel, NATIONAL.katalog.filter((f) => figs.includes(f.noegletal)).map((f) => [f.noegletal, f.navn]), figs.includes("samlet_udgift_pr_m2") ? "samlet_udgift_pr_m2" : figs[0]);
  options(secSel, NATIONAL.sektorer.map((s) => [s, s === "alle" ? "Alle sektorer" : s]), "alle");
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
    chartLabel(div, `Fordeling af ${f.navn} (${f.enhed}) på tværs af kommuner pr. år, sektor ${s}`);
    Plotly.react(div, traces, baseLayout({ yaxis: { title: { text: f.enhed } }, xaxis: { title: { text: "År" }, type: "category" } }), PLOT_CONFIG);
    const note = document.getElementById("undertrykt");
    const hidden = years.filter((y) => !shown.includes(y));
    // the threshold is the release's (seed parametre, in nationalt.js), never typed here
    const nMin = fmt(NATIONAL.parametre.undertrykkelse_min_kommuner, 0);
    note.textContent = hidden.length ? `Undertrykt (færre end ${nMin} kommuner): ${hidden.join(", ")}.` : "";
    const table = document.getElementById("fordeling-tabel");
    fillTable(table, [{ label: "År" }, { label: "Kommuner", num: true }, { label: "Nedre kvartil", num: true }, { label: "Median", num: true }, { label: "Øvre kvartil", num: true }],
      years.map((y) => {
        const b = bench.find((x) => x.aar === y) || {};
        if (!b.aar || b.undertrykt) return [{ text: String(y) }, { text: String(b.n_kommuner ?? 0), sort: b.n_kommuner }, { text: "undertrykt" }, { text: "undertrykt" }, { text: "undertrykt" }];
        return [{ text: String(y) }, { text: String(b.n_kommuner), sort: b.n_kommuner }, { text: fmt(b.p25, f.decimaler), sort: b.p25 }, { text: fmt(b.median, f.decimaler), sort: b.median, attrs: { "data-median": b.median } }, { text: fmt(b.p75, f.decimaler), sort: b.p75 }];
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
    chartLabel(div, `${tiles ? "Skematisk kort over Danmark, ét felt pr. kommune" : "Kort over Danmark"}: ${f.navn} ${year} pr. kommune, sektor ${s}`);
    const all = DATA.kort.features.map((ft) => ft.properties);
    const traces = [{
      type: "choropleth", geojson: DATA.kort, featureidkey: "properties.kommunekode", name: "Uden data",
      locations: all.map((p) => p.kommunekode), z: all.map(() => 0), text: all.map((p) => plotText(p.navn)),
      colorscale: [[0, "#e6e6e6"], [1, "#e6e6e6"]], showscale: false, marker: { line: { color: "#777", width: 0.4 } },
      hovertemplate: "%{text}: ingen data<extra></extra>",
    }, {
      type: "choropleth", geojson: DATA.kort, featureidkey: "properties.kommunekode",
      locations: latest.map((r) => r.kommunekode), z: latest.map((r) => r.vaerdi), text: latest.map((r) => plotText(r.kommunenavn)),
      colorscale: [[0, "#deebf7"], [1, "#08306b"]], marker: { line: { color: "#333", width: 0.6 } }, colorbar: { title: { text: f.enhed } },
      hovertemplate: "%{text}: %{z:,." + f.decimaler + "f}<extra></extra>",
    }];
    const narrow = div.clientWidth < 640; // a phone: no labels (they would overlap), the colour bar below the map
    if (narrow) Object.assign(traces[1].colorbar, { orientation: "h", y: -0.02, yanchor: "top", thickness: 14, title: { text: f.enhed, side: "top" } });
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
    fillTable(table, [{ label: "Kommune" }, { label: f.navn + " (" + f.enhed + ")", num: true }],
      latest.map((r) => [{ text: r.kommunenavn }, { text: fmt(r.vaerdi, f.decimaler), sort: r.vaerdi }]));
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
  options(secSel, DATA.sektorer.map((s) => [s, s === "alle" ? "Alle sektorer" : s]), "alle");
  const figs = NATIONAL.katalog.filter((f) => DATA.sammenligning.some((r) => r.noegletal === f.noegletal));
  options(figSel, figs.map((f) => [f.noegletal, f.navn]), figs.some((f) => f.noegletal === "samlet_udgift_pr_m2") ? "samlet_udgift_pr_m2" : (figs[0] || {}).noegletal);
  function cards(s) {
    const ul = document.getElementById("kort-liste");
    ul.innerHTML = "";
    DATA.sammenligning.filter((r) => r.sektor === s && r.aar === year).forEach((r) => {
      const f = figure(r.noegletal);
      const li = el("li", { class: "card", "data-noegletal": r.noegletal, "data-vaerdi": r.vaerdi });
      li.appendChild(el("h3", {}, f.navn));
      const v = el("p", { class: "value" }, `${fmt(r.vaerdi, f.decimaler)} ${f.enhed}`);
      li.appendChild(v);
      const dl = el("dl");
      const add = (k, val, attrs) => { dl.appendChild(el("dt", {}, k)); dl.appendChild(el("dd", attrs || {}, val)); };
      add("Landsmedian", fmt(r.landsmedian, f.decimaler));
      add("Størrelsesgruppens median", r.gruppemedian === null ? "undertrykt" : fmt(r.gruppemedian, f.decimaler));
      add("Percentil", r.percentil === null ? "–" : fmt(r.percentil, 0));
      // a change only where it is comparable (mart_kommune_sammenligning.sammenlignelig); else why not (report.py)
      add("Ændring fra sidste år", r.sammenlignelig ? (r.aendring_pct === null ? "–" : `${fmt(r.aendring_pct, 1)} %`) : r.aendring_note,
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
    }], baseLayout({ yaxis: { title: { text: f.enhed } }, xaxis: { tickangle: -45 } }), PLOT_CONFIG);
    const table = document.getElementById("rangering-tabel");
    fillTable(table, [{ label: "Kommune" }, { label: f.enhed, num: true }],
      rows.map((r) => [{ text: r.kommunenavn + (r.kommunekode === DATA.kommunekode ? " (denne kommune)" : "") }, { text: fmt(r.vaerdi, f.decimaler), sort: r.vaerdi }]));
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
    ], baseLayout({ yaxis: { title: { text: f.enhed } }, xaxis: { type: "category", title: { text: "År" } } }), PLOT_CONFIG);
    const table = document.getElementById("udvikling-tabel");
    fillTable(table, [{ label: "År" }, { label: DATA.kommunenavn, num: true }, { label: "Landsmedian", num: true }],
      rows.map((r) => [{ text: String(r.aar) }, { text: fmt(r.vaerdi, f.decimaler), sort: r.vaerdi }, { text: fmt(r.landsmedian, f.decimaler), sort: r.landsmedian }]));
    csvDownload(document.getElementById("udvikling-csv"), table, `udvikling_${code}_${s}.csv`);
  }
  function buildings(s) {
    const rows = DATA.bygninger.filter((b) => s === "alle" || b.sektor === s);
    const table = document.getElementById("bygninger");
    const cols = DATA.bygning_kolonner;
    fillTable(table, [{ label: "Bygning" }, { label: "Sektor" }, ...cols.map((c) => ({ label: `${figure(c).navn} (${figure(c).enhed})`, num: true })), { label: "Nærmere eftersyn" }],
      rows.map((b) => [{ text: b.navn }, { text: b.sektor }, ...cols.map((c) => ({ text: fmt(b[c], figure(c).decimaler), sort: b[c] })), { text: b.naermere_eftersyn ? "Ja" : "", attrs: b.naermere_eftersyn ? { class: "flag" } : {} }]));
    csvDownload(document.getElementById("bygninger-csv"), table, `bygninger_${DATA.kommunekode}_${s}.csv`);
    document.getElementById("antal-bygninger").textContent = `${rows.length} bygninger`;
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
