// The municipality's page (pipeline/service/pages.py): sends each chosen or dropped file to the API
// (PUT /api/v1/indberetninger/<kode>/<aar>/filer/<navn>) with the session cookie and the session's CSRF token,
// one file at a time, with its progress, and shows the validator's findings as soon as they come. Text from
// the server goes into the page only as text (textContent), never as HTML.
"use strict";
(() => {
  const form = document.getElementById("upload");
  if (!form) return;
  const input = document.getElementById("filer");
  const zone = document.getElementById("slip");
  const list = document.getElementById("sendte");
  const csrf = form.querySelector("input[name=csrf]").value;
  const url = (name) =>
    `/api/v1/indberetninger/${encodeURIComponent(form.dataset.kommune)}/${encodeURIComponent(form.dataset.aar)}/filer/${encodeURIComponent(name)}`;
  const queue = [];
  let busy = false;

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  const number = (x) => (x === null || x === undefined ? "" : Number(x).toLocaleString("da-DK"));

  function findingsTable(answer) {
    const table = el("table");
    table.appendChild(el("caption", `Fund i indberetningen (${number(answer.fund_i_alt)} i alt)`));
    const head = table.createTHead().insertRow();
    for (const h of ["Fil", "Række", "Kolonne", "Værdi", "Besked", "Alvorlighed"]) {
      const th = el("th", h);
      th.scope = "col";
      head.appendChild(th);
    }
    const body = table.createTBody();
    for (const f of answer.fund) {
      const row = body.insertRow();
      for (const v of [f.fil, number(f.raekke), f.kolonne, f.vaerdi, f.besked, f.alvorlighed]) row.insertCell().textContent = v ?? "";
    }
    return table;
  }

  function countsList(answer) {
    const ul = el("ul");
    for (const [name, c] of Object.entries(answer.datasaet)) {
      ul.appendChild(el("li", `${name}: ${number(c.raekker_modtaget)} rækker modtaget, ${number(c.raekker_accepteret)} accepteret, ${number(c.raekker_afvist)} afvist, ${number(c.raekker_sprunget_over)} sprunget over`));
    }
    return ul;
  }

  function send(file, item, status, bar) {
    return new Promise((done) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", url(file.name));
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.setRequestHeader("Content-Type", "application/octet-stream");
      xhr.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) {
          bar.value = Math.round((100 * e.loaded) / e.total);
          bar.textContent = `${bar.value} %`;
        }
      });
      xhr.upload.addEventListener("load", () => {
        bar.value = 100;
        status.textContent = "Modtaget; kontrolleres …";
      });
      xhr.addEventListener("load", () => {
        let answer = null;
        try { answer = JSON.parse(xhr.responseText); } catch (e) { answer = null; }
        if (xhr.status === 200 && answer) {
          status.textContent = answer.godkendt
            ? "Kontrolleret: ingen fejl."
            : `Kontrolleret: ${number(answer.fund_i_alt)} fund; rækker med fejl afvises.`;
          status.className = answer.godkendt ? "godkendt" : "afvist";
          item.appendChild(countsList(answer));
          if (answer.fund.length) item.appendChild(findingsTable(answer));
        } else {
          status.className = "afvist";
          status.textContent = answer && answer.fejl ? `Ikke modtaget: ${answer.fejl.besked}` : `Ikke modtaget (svar ${xhr.status}).`;
          if (xhr.status === 401) status.textContent += " Log ind igen.";
        }
        done();
      });
      xhr.addEventListener("error", () => {
        status.className = "afvist";
        status.textContent = "Forbindelsen blev afbrudt; filen er ikke gemt. Prøv igen.";
        done();
      });
      xhr.send(file);
    });
  }

  async function drain() {
    if (busy) return;
    busy = true;
    while (queue.length) await queue.shift()();
    busy = false;
  }

  function add(files) {
    for (const file of files) {
      const item = el("li");
      item.appendChild(el("strong", file.name));
      const bar = el("progress", "0 %");
      bar.max = 100;
      bar.value = 0;
      bar.setAttribute("aria-label", `Sendt af ${file.name}`);
      const status = el("p", "Venter …");
      item.append(" ", bar, status);
      list.appendChild(item);
      queue.push(() => send(file, item, status, bar));
    }
    drain();
  }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    add(input.files);
    form.reset();
  });
  zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (e) => {
    e.preventDefault();
    zone.classList.remove("over");
    if (e.dataTransfer && e.dataTransfer.files.length) add(e.dataTransfer.files);
  });
})();
