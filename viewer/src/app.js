// koffer viewer: the page around the WebAssembly module (koffer-viewer).
// Everything runs in this page; the Content Security Policy forbids every
// network connection. `initSync` and `Viewer` come from wasm-bindgen's glue,
// `uPlot` from the vendored plotting library, `I18N` from i18n.js.

const $ = (id) => document.getElementById(id);
const CHUNK = 8 << 20; // bytes read at a time from a chosen file
const MAX_ROWS_PX = 8e6; // the table's scroll height is capped (browsers cap element heights)
const ROW_H = 28;

// The test contract (viewer/README.md).
const state = (window.kofferViewer = {
  ready: false, // the module is loaded and the page waits for a file
  loading: false, // a file is being read
  file: null, // {name, size}
  status: null, // the command's word: complete, incomplete, corrupt, unsupported, not_a_container
  totals: null, // {records, blocks, frames, types}
  types: [], // [{id, name, count}]
  summary: null, // the whole summary from the module
  dropped: null, // what was dropped and where (the command's words)
  message: null, // the text of the message line
  errors: [], // messages of failures (a refused or unreadable file, a crash)
  selected: null, // record type id shown
  tab: "fields",
  plotted: [], // column paths plotted
  plotPoints: 0, // points drawn in the plots
  trackPoints: 0, // positions drawn in the track
  lang: "en",
  seal: null, // the seals as this page checked them (the module's SealCheck; null before)
  sealKey: null, // {name, valid, key_id, matches} of the public key file the user chose
});

let viewer = null; // the open file's Viewer
let summary = null;
let current = null; // the record type shown (from summary.record_types)
let wasmBytes = null; // the module's bytes, kept to instantiate again after a crash
let sealCheck = null; // the open file's seals as checked (viewer.seals())
let sealKey = null; // the public key file the user compared them with

// ------------------------------------------------------------ words

function pickLang() {
  const asked = new URLSearchParams(location.hash.slice(1)).get("lang");
  if (asked === "en" || asked === "de") return asked;
  try {
    const saved = localStorage.getItem("koffer-viewer-lang");
    if (saved === "en" || saved === "de") return saved;
  } catch (_) { /* file:// may forbid storage */ }
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || "en"];
  for (const l of langs) {
    const p = String(l).slice(0, 2).toLowerCase();
    if (p === "de") return "de";
    if (p === "en") return "en";
  }
  return "en";
}

function t(key, params) {
  const words = I18N[state.lang] || I18N.en;
  let s = words[key] ?? I18N.en[key] ?? key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
  return s;
}

function num(n) {
  return Number(n).toLocaleString(state.lang === "de" ? "de-DE" : "en-US");
}

function size(n) {
  const units = ["bytes", "KiB", "MiB", "GiB"];
  let v = n, u = 0;
  while (v >= 1024 && u < units.length - 1) { v /= 1024; u++; }
  return u === 0 ? t("bytes", { n: num(n) }) : `${v.toLocaleString(state.lang === "de" ? "de-DE" : "en-US", { maximumFractionDigits: 1 })} ${units[u]}`;
}

function setLang(lang) {
  state.lang = lang;
  document.documentElement.lang = lang;
  $("lang").value = lang;
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  $("limit").textContent = t("limit", { size: size(Viewer.maxFile()) });
  if (summary) { renderSummary(); renderTypes(); if (current) showType(current.id, state.tab, true); }
  if (state.message) showMessage(state.messageKey, state.messageParams, state.messageKind);
}

// ------------------------------------------------------------ messages

function showMessage(key, params, kind) {
  const m = $("message");
  state.messageKey = key; state.messageParams = params; state.messageKind = kind;
  state.message = t(key, params);
  m.textContent = state.message;
  m.className = kind || "";
  m.hidden = false;
}

function hideMessage() {
  state.message = null;
  state.messageKey = null;
  $("message").hidden = true;
}

function fail(key, params) {
  showMessage(key, params, "bad");
  state.errors.push(t(key, params));
}

// ------------------------------------------------------------ base64

function fromBase64(text) {
  text = text.replace(/\s+/g, "");
  if (typeof Uint8Array.fromBase64 === "function") return Uint8Array.fromBase64(text);
  const out = new Uint8Array(Math.floor((text.length * 3) / 4) - (text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0));
  const step = 1 << 20; // a multiple of 4
  let o = 0;
  for (let i = 0; i < text.length; i += step) {
    const bin = atob(text.slice(i, i + step));
    for (let k = 0; k < bin.length; k++) out[o++] = bin.charCodeAt(k);
  }
  return out;
}

// ------------------------------------------------------------ loading

function resetView() {
  summary = null; current = null; sealCheck = null; sealKey = null;
  colCache.clear(); xCache = null; plotChoice = null; view = null; pinned = null;
  for (const id of ["summary", "types", "type-view", "seal"]) $(id).hidden = true;
  destroyPlots();
  Object.assign(state, { status: null, totals: null, types: [], summary: null, dropped: null, selected: null, plotted: [], plotPoints: 0, trackPoints: 0, seal: null, sealKey: null });
}

// Reads a File (or the embedded bytes) into a new Viewer and shows it.
async function load(name, total, readChunk) {
  if (state.loading) return;
  resetView();
  state.file = { name, size: total };
  if (total > Viewer.maxFile()) {
    fail("too_big", { name, size: size(total), max: size(Viewer.maxFile()) });
    return;
  }
  state.loading = true;
  let v = null;
  try {
    if (viewer) { viewer.free(); viewer = null; }
    showMessage("reading", { name, size: size(total) });
    performance.mark("read");
    v = new Viewer(name, total);
    for (let at = 0; at < total; at += CHUNK) {
      v.push(await readChunk(at, Math.min(total, at + CHUNK)));
    }
    performance.measure("read", "read");
    showMessage("opening", { name });
    await new Promise((r) => setTimeout(r, 0)); // let the message paint
    performance.mark("open");
    summary = JSON.parse(v.open());
    performance.measure("open", "open");
    viewer = v;
    show();
    // The seals are checked after the summary is shown (two SHA-256 passes
    // over a sealed file); an unsealed one is only surveyed.
    if (summary.inspect && summary.inspect.seals) await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
    checkSeals();
  } catch (e) {
    const why = e && e.message ? e.message : String(e);
    if (e instanceof WebAssembly.RuntimeError) {
      restart(v);
      fail("crashed", { name, why });
    } else {
      fail("read_failed", { name, why });
    }
  } finally {
    state.loading = false;
  }
}

// The module trapped (out of memory): start a fresh instance for the next
// file. The old Viewer is only forgotten (its memory went with the old
// instance), never freed in the new one. `wasm` is the glue's.
function restart(v) {
  for (const old of [v, viewer]) {
    if (old) { try { old.__destroy_into_raw(); } catch (_) { /* already gone */ } }
  }
  viewer = null;
  try { wasm = undefined; initSync({ module: wasmBytes }); } catch (_) { /* the message says it */ }
}

// Runs a call into the module on the open file; a trap shows a message
// instead of leaving a broken page.
function guarded(f, fallback) {
  try {
    return f();
  } catch (e) {
    // A refusal of the module (too many records, too much output): its message.
    if (typeof e === "string") { fail("refused", { why: e }); return fallback; }
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    const name = state.file ? state.file.name : "";
    restart(null);
    resetView();
    fail("crashed", { name, why: e.message });
    return fallback;
  }
}

function loadFile(file) {
  if (!file) return;
  load(file.name, file.size, async (a, b) => new Uint8Array(await file.slice(a, b).arrayBuffer()));
}

// ------------------------------------------------------------ summary

function show() {
  const s = summary;
  // The big drop zone gives way to the button at the top (drops still work anywhere).
  $("open").hidden = true;
  $("open-another").hidden = false;
  Object.assign(state, {
    status: s.status,
    summary: s,
    dropped: s.dropped,
    totals: { records: s.records, blocks: s.blocks, frames: s.frames.total, types: s.record_types.length },
    types: s.record_types.map((r) => ({ id: r.id, name: r.name, count: r.records })),
  });
  if (s.size === 0) showMessage("empty", { name: s.file }, "bad");
  else if (s.status === "complete") hideMessage();
  else showMessage("loaded", { name: s.file, status: s.status }, s.status === "incomplete" ? "warn" : "bad");
  if (s.status !== "complete") state.errors.push(`${s.file}: ${s.status}: ${s.dropped || ""}`);
  renderSummary();
  renderTypes();
  // `#type=ID&tab=NAME` in the address picks what is shown first.
  const want = new URLSearchParams(location.hash.slice(1));
  // Otherwise the type with the most records.
  const most = s.record_types.reduce((a, r) => (!a || r.records > a.records ? r : a), null);
  const id = Number(want.get("type") ?? (most && most.id));
  const tab = ["fields", "table", "plot", "track"].includes(want.get("tab")) ? want.get("tab") : "fields";
  if (s.record_types.some((r) => r.id === id)) showType(id, tab);
  else if (most) showType(most.id, tab);
}

function dd(list, key, value, testid) {
  const dt = document.createElement("dt");
  dt.textContent = t(key);
  const d = document.createElement("dd");
  d.textContent = value;
  if (testid) d.dataset.testid = testid;
  list.append(dt, d);
}

function renderSummary() {
  const s = summary;
  $("summary").hidden = false;
  const st = $("status");
  st.className = "status " + s.status;
  st.dataset.status = s.status;
  st.replaceChildren();
  const word = document.createElement("span");
  word.className = "word";
  word.dataset.testid = "status-word";
  word.textContent = s.status;
  const text = document.createElement("span");
  text.textContent = t("st_" + s.status + "_text");
  st.append(word, text);
  if (s.dropped) {
    const d = document.createElement("span");
    d.className = "detail";
    d.dataset.testid = "dropped";
    d.textContent = s.dropped;
    st.append(d);
  }
  const f = $("facts");
  f.replaceChildren();
  dd(f, "f_file", `${s.file} — ${size(s.size)}`, "fact-file");
  dd(f, "f_producer", s.producer ?? t("unknown"), "fact-producer");
  dd(f, "f_export_time", s.export_time ? `${s.export_time.replace("T", " ").replace("Z", " UTC")}` : t("unknown"), "fact-export-time");
  dd(f, "f_subject", s.subject ?? t("unknown"), "fact-subject");
  dd(f, "f_time_base", s.time_base ?? t("unknown"), "fact-time-base");
  if (s.format) dd(f, "f_format", `koffer ${s.format}`, "fact-format");
  dd(f, "f_totals", t("totals", { records: num(s.records), blocks: num(s.blocks), types: num(s.record_types.length), frames: num(s.frames.total) }), "fact-totals");
  const body = $("metadata-body");
  body.replaceChildren();
  for (const m of s.metadata) {
    const tr = document.createElement("tr");
    for (const v of [m.key, m.type, m.text]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  }
  $("metadata").hidden = s.metadata.length === 0;
  $("save-json").disabled = !s.format;
  dd(f, "f_seal", "", "fact-seal");
  renderSeal();
  renderReceipts((s.inspect && s.inspect.receipts) || []);
}

// ------------------------------------------------------------ seals

/** Checks the seals of the open file in the module (spec seal.md) and shows the result. */
function checkSeals() {
  if (!viewer) return;
  performance.mark("seals");
  const text = guarded(() => viewer.seals(), "null");
  performance.measure("seals", "seals");
  sealCheck = JSON.parse(text);
  state.seal = sealCheck;
  if (sealCheck && sealCheck.verdict === "not_authentic") {
    state.errors.push(`${summary.file}: not authentic: ${sealCheck.error.message}`);
  }
  renderSeal();
}

/** What failed, in words, for a `not_authentic` verdict. */
function sealWhy(c) {
  const e = c.error;
  const p = { at: num(e.offset), from: num(e.offset), seal: e.seal_at != null ? num(e.seal_at) : "" };
  const known = t("seal_why_" + e.kind, p);
  return known.startsWith("seal_why_") ? e.message : known;
}

/** The seal section and the "Seal" fact: in plain words, whether and how far the file is sealed and unaltered. */
function renderSeal() {
  const box = $("seal");
  const fact = document.querySelector('[data-testid="fact-seal"]');
  const c = sealCheck;
  const declared = summary && summary.inspect && summary.inspect.seals;
  const set = (testid, text) => { box.querySelector(`[data-testid="${testid}"]`).textContent = text; };
  if (!summary) { box.hidden = true; return; }
  if (!c) {
    // Not checked yet.
    box.hidden = !declared;
    box.className = "seal checking";
    box.dataset.verdict = "checking";
    set("seal-word", t("seal_checking"));
    for (const id of ["seal-text", "seal-detail", "seal-tech", "seal-key", "seal-means"]) set(id, "");
    if (fact) fact.textContent = declared ? t("seal_checking") : "";
    return;
  }
  if (c.verdict === "unsealed") {
    box.hidden = true;
    box.dataset.verdict = "unsealed";
    if (fact) fact.textContent = t("seal_fact_none");
    return;
  }
  box.hidden = false;
  box.dataset.verdict = c.verdict;
  const p = {
    seals: num(c.seals),
    ok: num(c.records_authentic),
    all: num(c.records),
    len: num(c.authentic_len),
    size: num(c.file_len),
    rest: num(Math.max(0, c.file_len - c.authentic_len)),
    alg: c.key ? c.key.algorithm : "",
  };
  let cls, word, text, detail = "", tech = "";
  switch (c.verdict) {
    case "authentic":
      cls = "ok"; word = t("seal_ok_word"); text = t(c.seals === 1 ? "seal_ok_text_one" : "seal_ok_text", p);
      break;
    case "prefix":
      cls = "warn"; word = t("seal_part_word");
      if (c.seals === 0) text = t("seal_part_none", p);
      else if (c.records_authentic === c.records) { text = t("seal_part_all_text", p); detail = t("seal_part_all_why"); }
      else { text = t("seal_part_text", p); detail = t("seal_part_why", p); }
      break;
    case "damaged":
      cls = "warn"; word = t("seal_part_word");
      text = c.seals > 0 ? t("seal_damaged_text", p) : t("seal_damaged_none", p);
      break;
    case "unsupported":
      cls = "warn"; word = t("seal_unsupported_word"); text = t("seal_unsupported_text", p);
      break;
    default:
      cls = "bad"; word = t("seal_bad_word"); text = sealWhy(c);
      detail = c.seals > 0 ? t("seal_bad_prefix", p) : t("seal_bad_nothing");
      if (summary.status === "complete") detail += " " + t("seal_bad_checksums");
      tech = t("seal_bad_kind", { kind: c.error.kind + (c.error.reason ? ` (${c.error.reason})` : ""), at: num(c.error.offset) });
  }
  box.className = "seal " + cls;
  set("seal-word", word);
  set("seal-text", text);
  set("seal-detail", detail);
  box.querySelector('[data-testid="seal-detail"]').hidden = !detail;
  set("seal-tech", tech);
  box.querySelector('[data-testid="seal-tech"]').hidden = !tech;
  const keyLine = box.querySelector('[data-testid="seal-key"]');
  keyLine.replaceChildren();
  if (c.key) {
    const id = document.createElement("code");
    id.dataset.testid = "seal-key-id";
    id.textContent = c.key.key_id;
    const [before, after] = t("seal_key", { alg: c.key.algorithm }).split("{id}");
    keyLine.append(before, id, after ?? "");
  } else {
    keyLine.textContent = t("seal_no_key");
  }
  set("seal-means", t("seal_means"));
  $("seal-key-label").textContent = t("seal_pick");
  $("seal-key-label").hidden = !c.key;
  const r = $("seal-key-result");
  r.hidden = !sealKey;
  if (sealKey) {
    const k = { name: sealKey.name, theirs: sealKey.key_id || "", ours: c.key ? c.key.key_id : "" };
    if (!sealKey.valid) { r.className = "bad"; r.textContent = t("seal_key_invalid", k); }
    else if (sealKey.matches && c.verdict === "authentic") { r.className = "ok"; r.textContent = t("seal_key_match", k); }
    else if (sealKey.matches) { r.className = ""; r.textContent = t("seal_key_match_part", k); }
    else { r.className = "bad"; r.textContent = t("seal_key_mismatch", k); }
    r.dataset.match = sealKey.valid ? String(sealKey.matches) : "invalid";
  }
  if (fact) fact.textContent = word;
}

/** The user chose a public key file (`NAME.pub`): compare it with the key the file is sealed with. */
async function compareKeyFile(file) {
  if (!file || !viewer || !sealCheck) return;
  // A key file is one line of 84 bytes; anything much larger is not one.
  const text = file.size > 4096 ? "" : await file.text();
  const r = JSON.parse(guarded(() => viewer.compareKey(text), "null"));
  if (!r) return;
  sealKey = { name: file.name, ...r };
  state.sealKey = sealKey;
  renderSeal();
}

// ------------------------------------------------------------ receipts

/** A UTC time of a receipt for people: `2026-09-21 14:13 UTC` (seconds only when not zero). */
function when(rfc) {
  if (!rfc) return "";
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(:\d{2})?/.exec(rfc);
  if (!m) return rfc;
  const sec = m[3] && m[3] !== ":00" ? m[3] : "";
  return `${m[1]} ${m[2]}${sec} UTC`;
}

/** A DPV term in words: `dpv:ResearchAndDevelopment` → `research and development`. */
function dpvWords(term) {
  const known = t("dpv_" + term.replace(/^(dpv:|https:\/\/w3id\.org\/dpv#)/, ""));
  if (!known.startsWith("dpv_")) return known;
  const m = /^(?:dpv:|https:\/\/w3id\.org\/dpv#)([A-Za-z]+)$/.exec(term);
  if (!m) return term;
  return m[1].replace(/([a-z])([A-Z])/g, "$1 $2").toLowerCase();
}

/** The disclosure receipts (spec disclosure.md): who received what, when and why. */
function renderReceipts(receipts) {
  const box = $("summary-extra");
  box.replaceChildren();
  if (!receipts.length) return;
  const h = document.createElement("h3");
  h.textContent = t("receipts_title", { n: receipts.length });
  const intro = document.createElement("p");
  intro.className = "hint";
  intro.textContent = t("receipts_intro");
  box.append(h, intro);
  // Newest first, as `koffer ledger` lists them.
  const list = [...receipts].sort((a, b) => b.time - a.time);
  for (const r of list) {
    const card = document.createElement("article");
    card.className = "receipt";
    card.dataset.testid = "receipt";
    const head = document.createElement("p");
    head.className = "receipt-head";
    const who = document.createElement("strong");
    who.textContent = r.recipient.name;
    head.append(t("r_to") + " ", who);
    if (r.recipient.id) head.append(` (${r.recipient.id})`);
    head.append(" — " + t("r_on", { when: when(r.time_rfc3339) }));
    const facts = document.createElement("dl");
    facts.className = "facts";
    const purposes = r.purpose_iris.map(dpvWords);
    dd(facts, "r_why", r.purpose + (purposes.length ? ` (${purposes.join(", ")})` : ""), "receipt-why");
    dd(facts, "r_basis", dpvWords(r.legal_basis), "receipt-basis");
    const what = r.shared.map((x) => {
      let line = t("r_records", { n: num(x.records), name: x.name });
      if (x.from || x.until) {
        line += ", " + t("r_range", { from: x.from ? when(x.from) : t("r_start"), until: x.until ? when(x.until) : t("r_end") });
      }
      if (x.dropped.length) line += "; " + t("r_without", { fields: x.dropped.join(", ") });
      for (const [field, step] of x.coarsened) line += "; " + t("r_rounded", { field, step: num(step) });
      return line;
    });
    // One line per record type.
    dd(facts, "r_what", what.length ? "" : t("r_nothing"), "receipt-what");
    if (what.length) {
      const ul = document.createElement("ul");
      ul.className = "receipt-what";
      for (const line of what) {
        const li = document.createElement("li");
        li.dataset.testid = "receipt-what-item";
        li.textContent = line;
        ul.append(li);
      }
      facts.lastElementChild.append(ul);
    }
    dd(facts, "r_keep", r.expires_rfc3339 ? t("r_until", { when: when(r.expires_rfc3339) }) : t("r_no_expiry"), "receipt-keep");
    dd(facts, "r_by", r.discloser.name + (r.discloser.id ? ` (${r.discloser.id})` : ""), "receipt-by");
    dd(facts, "r_id", r.id, "receipt-id");
    card.append(head, facts);
    box.append(card);
  }
}

function renderTypes() {
  const s = summary;
  $("types").hidden = s.record_types.length === 0;
  const body = $("types-body");
  body.replaceChildren();
  for (const r of s.record_types) {
    const tr = document.createElement("tr");
    tr.dataset.type = r.id;
    tr.dataset.testid = `type-row-${r.id}`;
    if (current && current.id === r.id) tr.className = "selected";
    const cells = [r.id, r.name, r.version, num(r.records), num(r.blocks)];
    cells.forEach((v, i) => {
      const td = document.createElement("td");
      td.textContent = v;
      if (i >= 3) td.className = "num";
      if (i === 3) td.dataset.testid = `type-count-${r.id}`;
      tr.append(td);
    });
    const td = document.createElement("td");
    const b = document.createElement("button");
    b.type = "button";
    b.id = `show-type-${r.id}`;
    b.dataset.testid = `show-type-${r.id}`;
    b.textContent = t("show");
    b.addEventListener("click", () => showType(r.id, state.tab));
    td.append(b);
    tr.append(td);
    body.append(tr);
  }
}

// ------------------------------------------------------------ one type

function showType(id, tab, keep) {
  const same = current && current.id === id;
  current = summary.record_types.find((r) => r.id === id);
  if (!current) return;
  state.selected = id;
  $("type-view").hidden = false;
  $("type-title").textContent = `${current.name} (id ${current.id}, v${current.version}) — ${num(current.records)} ${t("type_records")}`;
  const save = $("save-csv");
  save.textContent = t("save_csv", { file: viewer.csvFileName(id) });
  save.disabled = false;
  for (const tr of $("types-body").children) tr.classList.toggle("selected", Number(tr.dataset.type) === id);
  renderFields();
  if (!same || !keep) { plotChoice = null; view = null; }
  selectTab(tab || "fields");
}

function selectTab(tab) {
  state.tab = tab;
  for (const name of ["fields", "table", "plot", "track"]) {
    const on = name === tab;
    $("tab-" + name).setAttribute("aria-selected", String(on));
    $("tab-" + name).tabIndex = on ? 0 : -1;
    $("panel-" + name).hidden = !on;
  }
  if (tab === "table") renderTable();
  if (tab === "plot") renderPlotChoices();
  else destroyPlots();
  if (tab === "track") renderTrack();
}

function scaleText(c) {
  const parts = [];
  if (c.scale != null) parts.push(`× ${c.scale}`);
  if (c.offset != null) parts.push(`${c.offset >= 0 ? "+" : "−"} ${Math.abs(c.offset)}`);
  return parts.join(" ");
}

function renderFields() {
  const body = $("fields-body");
  body.replaceChildren();
  current.columns.forEach((c, i) => {
    const tr = document.createElement("tr");
    tr.dataset.testid = `field-${c.path}`;
    const time = c.time != null ? ` · ${t("time_field")}${c.time ? " (" + c.time + ")" : ""}` : "";
    for (const v of [c.path, c.type + time, c.unit ?? "", scaleText(c), c.description ?? ""]) {
      const td = document.createElement("td");
      td.textContent = v;
      tr.append(td);
    }
    body.append(tr);
  });
}

// ------------------------------------------------------------ table

let tableRaw = false;

// A timestamp's tick in seconds (its unit: s, ms, us, ns; ms when it has none).
function tickSeconds(c) {
  return { s: 1, ms: 1e-3, us: 1e-6, "µs": 1e-6, ns: 1e-9 }[c.unit ?? "ms"] ?? null;
}

// The time base of a timestamp column (its own, or the container's `time.base`).
function timeBase(c) {
  return c.time === "" ? summary.time_base : c.time;
}

// A timestamp on the Unix epoch with a known tick: shown as a date.
function isUnixTime(c) {
  return c.time != null && timeBase(c) === "unix" && tickSeconds(c) != null;
}

function dateText(ms) {
  const d = new Date(ms);
  if (!isFinite(d.getTime())) return String(ms);
  return d.toISOString().replace("T", " ").replace(".000Z", "Z").replace("Z", " UTC");
}

function renderTable() {
  const grid = $("grid");
  const n = current.records;
  const full = n * ROW_H;
  $("grid-spacer").style.height = `${Math.min(full, MAX_ROWS_PX) + ROW_H}px`;
  $("table-info").textContent = t("rows_info", { count: num(n) });
  const head = $("grid-head");
  head.replaceChildren();
  const tr = document.createElement("tr");
  const th0 = document.createElement("th");
  th0.textContent = "#";
  tr.append(th0);
  for (const c of current.columns) {
    const th = document.createElement("th");
    th.textContent = c.header;
    if (c.description) th.title = c.description;
    tr.append(th);
  }
  head.append(tr);
  grid.scrollTop = 0;
  pinned = null;
  drawRows();
}

// Beyond MAX_ROWS_PX the scroll bar maps to rows proportionally; a row
// asked for by key, wheel or "go to row" is kept exactly (`pinned`).
let pinned = null; // {row, top}

function visibleRows() {
  return Math.max(1, Math.floor(($("grid").clientHeight - ROW_H) / ROW_H));
}

function firstRow() {
  const grid = $("grid");
  const n = current.records;
  const visible = visibleRows();
  const max = Math.max(0, n - visible);
  if (pinned && Math.abs(grid.scrollTop - pinned.top) < 1) return { first: Math.min(pinned.row, max), visible };
  pinned = null;
  const room = Math.max(1, grid.scrollHeight - grid.clientHeight);
  const first = n * ROW_H <= MAX_ROWS_PX ? Math.floor(grid.scrollTop / ROW_H) : Math.round((grid.scrollTop / room) * max);
  return { first: Math.min(first, max), visible };
}

function scrollToRow(row) {
  const g = $("grid");
  const n = current.records;
  const max = Math.max(0, n - visibleRows());
  row = Math.min(Math.max(0, Math.round(row)), max);
  if (n * ROW_H <= MAX_ROWS_PX) g.scrollTop = row * ROW_H;
  else g.scrollTop = (row / Math.max(1, max)) * (g.scrollHeight - g.clientHeight);
  pinned = { row, top: g.scrollTop };
  drawRows();
}

function drawRows() {
  if (!current || state.tab !== "table") return;
  const grid = $("grid");
  const { first, visible } = firstRow();
  const rows = JSON.parse(guarded(() => viewer.rows(current.id, first, visible + 2), "[]"));
  const body = $("grid-body");
  const out = [];
  for (const r of rows) {
    const tr = document.createElement("tr");
    tr.dataset.index = r.index;
    const idx = document.createElement("td");
    idx.className = "idx";
    idx.textContent = r.index + 1;
    tr.append(idx);
    if (r.error) {
      tr.className = "bad";
      tr.title = t("bad_record", { why: r.error });
    }
    current.columns.forEach((c, k) => {
      const td = document.createElement("td");
      const raw = r.raw[k] ?? "";
      let shown = tableRaw ? raw : r.cells[k] ?? "";
      if (!tableRaw && isUnixTime(c) && shown !== "" && !isNaN(Number(shown))) {
        shown = dateText(Number(shown) * tickSeconds(c) * 1000);
        td.title = t("raw_hover", { raw });
      } else if (!tableRaw && shown !== raw) {
        td.className = "scaled";
        td.title = t("raw_hover", { raw });
      }
      if (c.numeric && !c.type.startsWith("enum")) td.classList.add("n");
      td.textContent = shown;
      tr.append(td);
    });
    out.push(tr);
  }
  body.replaceChildren(...out);
  $("grid-window").style.transform = `translateY(${grid.scrollTop}px)`;
}

// ------------------------------------------------------------ plots

let plotChoice = null; // column indices chosen
let view = null; // {lo, hi} of the x range shown
let charts = [];
let xCache = null; // {type, values, time}
const colCache = new Map();
const COLOURS = ["#0b57d0", "#b3261e", "#146c2e", "#8a4b00", "#6a1b9a", "#00696b"];

function column(i) {
  const key = `${current.id}:${i}`;
  if (!colCache.has(key)) {
    if (colCache.size > 8) colCache.delete(colCache.keys().next().value);
    performance.mark("column");
    const values = guarded(() => viewer.column(current.id, i), null);
    if (!values) return new Float64Array(0);
    colCache.set(key, values);
    performance.measure(`column ${key}`, "column");
  }
  return colCache.get(key);
}

function xValues() {
  if (xCache && xCache.type === current.id && xCache.summary === summary) return xCache;
  const tc = current.time_column;
  let values, time = false, label;
  if (tc != null) {
    const c = current.columns[tc];
    values = column(tc);
    label = c.header;
    const k = tickSeconds(c);
    if (k != null) {
      // uPlot's time axis counts seconds; a boot-based clock is shown as seconds too.
      time = isUnixTime(c);
      if (k !== 1) {
        const s = new Float64Array(values.length);
        for (let i = 0; i < values.length; i++) s[i] = values[i] * k;
        values = s;
      }
      if (!time) label = `${c.path} [s, ${timeBase(c) || "?"}]`;
    }
  } else {
    label = "#";
    values = new Float64Array(current.too_many ? 0 : current.records);
    for (let i = 0; i < values.length; i++) values[i] = i + 1;
  }
  let lo = Infinity, hi = -Infinity, sorted = true, prev = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== v) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (v < prev) sorted = false;
    prev = v;
  }
  if (!(lo <= hi)) { lo = 0; hi = 1; }
  if (lo === hi) { lo -= 1; hi += 1; }
  xCache = { type: current.id, summary, values, time, label, lo, hi, sorted };
  return xCache;
}

// Per-pixel min/max decimation of (x, y) over [lo, hi] into `width` buckets:
// each bucket keeps its smallest and largest y, so peaks survive. Below two
// points a pixel the points are kept as they are.
function decimate(x, y, lo, hi, width, sorted) {
  let a = 0, b = x.length;
  if (sorted) {
    // Binary search the visible range (one point beyond each side).
    let l = 0, h = x.length;
    while (l < h) { const m = (l + h) >> 1; if (x[m] < lo) l = m + 1; else h = m; }
    a = Math.max(0, l - 1);
    l = a; h = x.length;
    while (l < h) { const m = (l + h) >> 1; if (x[m] <= hi) l = m + 1; else h = m; }
    b = Math.min(x.length, l + 1);
  }
  let count = 0;
  for (let i = a; i < b; i++) if (x[i] >= lo && x[i] <= hi && y[i] === y[i]) count++;
  if (count <= width * 2 && sorted) {
    const xs = [], ys = [];
    for (let i = a; i < b; i++) { if (x[i] === x[i]) { xs.push(x[i]); ys.push(y[i] === y[i] ? y[i] : null); } }
    return [xs, ys, count];
  }
  const W = Math.max(1, width | 0);
  const mn = new Float64Array(W).fill(Infinity), mx = new Float64Array(W).fill(-Infinity);
  const k = W / (hi - lo);
  for (let i = a; i < b; i++) {
    const xv = x[i], yv = y[i];
    if (!(xv >= lo && xv <= hi) || yv !== yv) continue;
    let p = ((xv - lo) * k) | 0;
    if (p >= W) p = W - 1;
    if (yv < mn[p]) mn[p] = yv;
    if (yv > mx[p]) mx[p] = yv;
  }
  const xs = [], ys = [];
  const step = (hi - lo) / W;
  for (let p = 0; p < W; p++) {
    if (mn[p] === Infinity) continue;
    const xv = lo + (p + 0.5) * step;
    xs.push(xv, xv);
    ys.push(mn[p], mx[p]);
  }
  return [xs, ys, count];
}

function renderPlotChoices() {
  const box = $("plot-choices");
  box.replaceChildren();
  const numeric = current.too_many ? [] : current.columns.map((c, i) => [c, i]).filter(([c, i]) => c.numeric && i !== current.time_column);
  $("plot-controls").hidden = numeric.length === 0;
  if (numeric.length === 0) {
    const p = document.createElement("p");
    p.className = "hint";
    p.textContent = current.too_many ? t("refused", { why: current.too_many }) : t("no_numeric");
    box.append(p);
    $("plot-x").textContent = "";
    destroyPlots();
    return;
  }
  if (!plotChoice) {
    // The first two fields, latitude and longitude last (the track shows them).
    const track = current.track || [];
    const first = [...numeric.filter(([, i]) => !track.includes(i)), ...numeric.filter(([, i]) => track.includes(i))];
    // One field at first (each field of millions of records takes a pass
    // over the file); `#plot=a,b` in the address asks for others.
    const asked = (new URLSearchParams(location.hash.slice(1)).get("plot") || "").split(",");
    const wanted = numeric.filter(([c]) => asked.includes(c.path)).map(([, i]) => i);
    plotChoice = wanted.length ? wanted : first.slice(0, 1).map(([, i]) => i);
  }
  for (const [c, i] of numeric) {
    const label = document.createElement("label");
    const cb = document.createElement("input");
    cb.type = "checkbox";
    cb.id = `plot-field-${i}`;
    cb.dataset.testid = `plot-field-${c.path}`;
    cb.checked = plotChoice.includes(i);
    cb.addEventListener("change", () => {
      plotChoice = cb.checked ? [...plotChoice, i].sort((a, b) => a - b) : plotChoice.filter((k) => k !== i);
      drawPlots();
    });
    label.append(cb, " " + c.header);
    box.append(label);
  }
  drawPlots();
}

function destroyPlots() {
  for (const c of charts) c.chart.destroy();
  charts = [];
  const p = $("plots");
  if (p) p.replaceChildren();
}

function plotWidth() {
  return Math.max(280, Math.min(1200, $("plots").clientWidth || 800));
}

// Time axis labels in UTC, 24-hour, ISO order; the date where the day changes.
function timeTicks(u, splits, ax, space, incr) {
  let prevDay = null;
  return splits.map((ts) => {
    if (ts == null) return null;
    const d = new Date(ts * 1000);
    if (!isFinite(d.getTime())) return "";
    const iso = d.toISOString();
    const day = iso.slice(0, 10);
    const clock = iso.slice(11, incr < 1 ? 23 : incr < 60 ? 19 : 16);
    const s = incr >= 86400 ? day : day !== prevDay ? `${clock}\n${day}` : clock;
    prevDay = day;
    return s;
  });
}

function utc(ts) {
  return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC");
}

function drawPlots() {
  destroyPlots();
  if (!current || !plotChoice || current.too_many) return;
  const x = xValues();
  if (!view) view = { lo: x.lo, hi: x.hi };
  const width = plotWidth();
  const height = window.innerWidth < 600 ? 180 : 220;
  state.plotted = [];
  for (const i of plotChoice) {
    const c = current.columns[i];
    const wrap = document.createElement("div");
    wrap.className = "plot";
    wrap.dataset.testid = `plot-${c.path}`;
    const h = document.createElement("h3");
    h.textContent = c.header + (c.description ? ` — ${c.description}` : "");
    wrap.append(h);
    $("plots").append(wrap);
    const colour = COLOURS[charts.length % COLOURS.length];
    const opts = {
      width, height,
      tzDate: utc,
      legend: { show: true, live: true },
      cursor: { drag: { x: true, y: false, setScale: false }, sync: { key: "koffer" } },
      scales: { x: { time: x.time, auto: false, range: () => [view.lo, view.hi] } },
      axes: [
        x.time
          ? { stroke: "#1a1a1a", grid: { stroke: "#e3e3e3" }, ticks: { stroke: "#c8c8c8" }, values: timeTicks, size: 50, space: 70 }
          : { stroke: "#1a1a1a", grid: { stroke: "#e3e3e3" }, ticks: { stroke: "#c8c8c8" } },
        { stroke: "#1a1a1a", grid: { stroke: "#e3e3e3" }, ticks: { stroke: "#c8c8c8" }, label: c.unit ? `[${c.unit}]` : c.path, labelSize: 20, size: 60 },
      ],
      series: [
        { label: x.label || "#", value: (u, v) => (v == null ? "—" : x.time ? dateText(v * 1000) : String(+v.toPrecision(10))) },
        { label: c.header, stroke: colour, width: 1, spanGaps: false, points: { show: false }, value: (u, v) => (v == null ? "—" : String(+v.toPrecision(10))) },
      ],
      hooks: {
        setSelect: [(u) => {
          if (u.select.width < 3) return;
          const lo = u.posToVal(u.select.left, "x");
          const hi = u.posToVal(u.select.left + u.select.width, "x");
          u.setSelect({ left: 0, width: 0, top: 0, height: 0 }, false);
          setView(lo, hi);
        }],
      },
    };
    const chart = new uPlot(opts, [[], []], wrap);
    charts.push({ chart, column: i });
    state.plotted.push(c.path);
  }
  refreshPlots();
}

function refreshPlots() {
  performance.mark("refresh");
  const x = xValues();
  const width = plotWidth();
  let shown = 0;
  for (const { chart, column: i } of charts) {
    const [xs, ys] = decimate(x.values, column(i), view.lo, view.hi, width, x.sorted);
    shown += xs.length;
    chart.setData([xs, ys]);
  }
  state.plotPoints = shown;
  performance.measure("refresh plots", "refresh");
  const tc = current.time_column;
  $("plot-x").textContent = tc != null
    ? t("x_time", { field: current.columns[tc].header, base: x.time ? "UTC" : x.label, n: num(current.records), shown: num(shown) })
    : t("x_index", { n: num(current.records), shown: num(shown) });
}

function setView(lo, hi) {
  const x = xValues();
  if (!(hi > lo)) return;
  const span = hi - lo;
  const min = (x.hi - x.lo) / 1e7;
  if (span < min) { const m = (lo + hi) / 2; lo = m - min / 2; hi = m + min / 2; }
  view = { lo: Math.max(x.lo, lo), hi: Math.min(x.hi, hi) };
  if (!(view.hi > view.lo)) view = { lo: x.lo, hi: x.hi };
  refreshPlots();
}

function zoom(f) {
  if (!view) return;
  const m = (view.lo + view.hi) / 2, h = ((view.hi - view.lo) * f) / 2;
  setView(m - h, m + h);
}

function pan(f) {
  if (!view) return;
  const x = xValues();
  let d = (view.hi - view.lo) * f;
  if (view.lo + d < x.lo) d = x.lo - view.lo;
  if (view.hi + d > x.hi) d = x.hi - view.hi;
  setView(view.lo + d, view.hi + d);
}

// ------------------------------------------------------------ track

function renderTrack() {
  const canvas = $("track");
  const info = $("track-info");
  const ctx = canvas.getContext("2d");
  const w = (canvas.width = canvas.clientWidth * (window.devicePixelRatio || 1));
  const h = (canvas.height = canvas.clientHeight * (window.devicePixelRatio || 1));
  ctx.clearRect(0, 0, w, h);
  state.trackPoints = 0;
  if (!current.track || current.too_many) {
    info.textContent = current.too_many ? t("refused", { why: current.too_many }) : t("no_track");
    canvas.hidden = true;
    return;
  }
  canvas.hidden = false;
  const [li, oi] = current.track;
  const lat = column(li), lon = column(oi);
  const ok = (i) => lat[i] === lat[i] && lon[i] === lon[i] && Math.abs(lat[i]) <= 90 && Math.abs(lon[i]) <= 180 && !(lat[i] === 0 && lon[i] === 0);
  let minLat = Infinity, maxLat = -Infinity, minLon = Infinity, maxLon = -Infinity, n = 0;
  for (let i = 0; i < lat.length; i++) {
    if (!ok(i)) continue;
    n++;
    if (lat[i] < minLat) minLat = lat[i];
    if (lat[i] > maxLat) maxLat = lat[i];
    if (lon[i] < minLon) minLon = lon[i];
    if (lon[i] > maxLon) maxLon = lon[i];
  }
  info.textContent = t("track_info", { n: num(n), lat: current.columns[li].path, lon: current.columns[oi].path });
  if (n === 0) return;
  const k = Math.cos((((minLat + maxLat) / 2) * Math.PI) / 180);
  const pad = 24 * (window.devicePixelRatio || 1);
  const spanX = Math.max((maxLon - minLon) * k, 1e-9), spanY = Math.max(maxLat - minLat, 1e-9);
  const s = Math.min((w - 2 * pad) / spanX, (h - 2 * pad) / spanY);
  const ox = (w - spanX * s) / 2, oy = (h - spanY * s) / 2;
  const px = (i) => ox + (lon[i] - minLon) * k * s;
  const py = (i) => h - oy - (lat[i] - minLat) * s;
  const stride = Math.max(1, Math.floor(lat.length / 200000));
  ctx.lineWidth = 2 * (window.devicePixelRatio || 1);
  ctx.strokeStyle = "#0b57d0";
  ctx.lineJoin = "round";
  ctx.beginPath();
  let first = -1, last = -1, drawn = 0;
  for (let i = 0; i < lat.length; i += stride) {
    if (!ok(i)) continue;
    if (first < 0) { first = i; ctx.moveTo(px(i), py(i)); } else ctx.lineTo(px(i), py(i));
    last = i;
    drawn++;
  }
  ctx.stroke();
  const dot = (i, colour) => {
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(px(i), py(i), 6 * (window.devicePixelRatio || 1), 0, 2 * Math.PI);
    ctx.fill();
  };
  dot(first, "#146c2e");
  dot(last, "#b3261e");
  ctx.fillStyle = "#1a1a1a";
  ctx.font = `${12 * (window.devicePixelRatio || 1)}px system-ui, sans-serif`;
  ctx.fillText(`${maxLat.toFixed(5)}°, ${minLon.toFixed(5)}°`, 6, 14 * (window.devicePixelRatio || 1));
  const br = `${minLat.toFixed(5)}°, ${maxLon.toFixed(5)}°`;
  ctx.fillText(br, w - ctx.measureText(br).width - 6, h - 6);
  state.trackPoints = drawn;
}

// ------------------------------------------------------------ saving

function save(bytes, name, type) {
  const blob = new Blob([bytes], { type });
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  showMessage("saved", { file: name });
}

function saveCsv() {
  if (!viewer || !current) return;
  if (current.too_many) { fail("refused", { why: current.too_many }); return; }
  const bytes = guarded(() => viewer.csv(current.id), null);
  if (bytes) save(bytes, viewer.csvFileName(current.id), "text/csv");
}

function saveJson() {
  if (!viewer) return;
  if (summary.too_many) { fail("refused", { why: summary.too_many }); return; }
  const bytes = guarded(() => viewer.json(), null);
  if (!bytes) return;
  if (!bytes.length) { fail("no_export", {}); return; }
  const stem = (summary.file || "koffer").replace(/\.koffer$/i, "");
  save(bytes, `${stem}.json`, "application/json");
}

// ------------------------------------------------------------ start

function wire() {
  $("lang").addEventListener("change", (e) => {
    try { localStorage.setItem("koffer-viewer-lang", e.target.value); } catch (_) { /* ignore */ }
    setLang(e.target.value);
  });
  $("open-another").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", (e) => { loadFile(e.target.files[0]); e.target.value = ""; });
  const drop = $("open");
  for (const ev of ["dragenter", "dragover"]) {
    document.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const ev of ["dragleave", "drop"]) {
    document.addEventListener(ev, (e) => { e.preventDefault(); drop.classList.remove("over"); });
  }
  document.addEventListener("drop", (e) => {
    const f = e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0];
    if (f) loadFile(f);
  });
  for (const name of ["fields", "table", "plot", "track"]) {
    $("tab-" + name).addEventListener("click", () => selectTab(name));
  }
  document.querySelector(".tabs").addEventListener("keydown", (e) => {
    const names = ["fields", "table", "plot", "track"];
    const i = names.indexOf(state.tab);
    let j = -1;
    if (e.key === "ArrowRight") j = (i + 1) % names.length;
    if (e.key === "ArrowLeft") j = (i + names.length - 1) % names.length;
    if (j >= 0) { e.preventDefault(); selectTab(names[j]); $("tab-" + names[j]).focus(); }
  });
  let pending = false;
  $("grid").addEventListener("scroll", () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; drawRows(); });
  });
  $("grid").addEventListener("keydown", (e) => {
    if (!current) return;
    const { first, visible } = firstRow();
    const moves = { ArrowDown: 1, ArrowUp: -1, PageDown: visible, PageUp: -visible, Home: -Infinity, End: Infinity };
    if (e.key in moves) {
      e.preventDefault();
      const to = first + moves[e.key];
      scrollToRow(to === Infinity ? current.records : to === -Infinity ? 0 : to);
    }
  });
  $("grid").addEventListener("wheel", (e) => {
    // Past the proportional limit a wheel step moves by rows, not by a
    // scroll-bar fraction of millions of rows.
    if (!current || current.records * ROW_H <= MAX_ROWS_PX || e.deltaY === 0) return;
    e.preventDefault();
    const px = e.deltaMode === 1 ? e.deltaY * ROW_H : e.deltaMode === 2 ? e.deltaY * $("grid").clientHeight : e.deltaY;
    const rows = Math.sign(px) * Math.max(1, Math.round(Math.abs(px) / ROW_H));
    scrollToRow(firstRow().first + rows);
  }, { passive: false });
  $("raw-toggle").addEventListener("change", (e) => { tableRaw = e.target.checked; drawRows(); });
  $("goto-row").addEventListener("change", (e) => {
    if (!current) return;
    scrollToRow((Math.floor(Number(e.target.value)) || 1) - 1);
  });
  $("zoom-in").addEventListener("click", () => zoom(0.5));
  $("zoom-out").addEventListener("click", () => zoom(2));
  $("pan-left").addEventListener("click", () => pan(-0.25));
  $("pan-right").addEventListener("click", () => pan(0.25));
  $("zoom-reset").addEventListener("click", () => { const x = xValues(); setView(x.lo, x.hi); });
  $("save-csv").addEventListener("click", saveCsv);
  $("save-json").addEventListener("click", saveJson);
  $("seal-key-input").addEventListener("change", (e) => {
    const f = e.target.files && e.target.files[0];
    compareKeyFile(f).finally(() => { e.target.value = ""; });
  });
  let resize = null;
  window.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(() => {
      if (state.tab === "plot" && charts.length) { for (const c of charts) c.chart.setSize({ width: plotWidth(), height: c.chart.height }); refreshPlots(); }
      if (state.tab === "track" && current) renderTrack();
      if (state.tab === "table" && current) drawRows();
    }, 150);
  });
}

async function start() {
  try {
    wasmBytes = fromBase64($("koffer-wasm").textContent);
    initSync({ module: wasmBytes });
  } catch (e) {
    state.errors.push(String(e));
    const m = $("message");
    m.textContent = "The viewer could not start: " + (e && e.message ? e.message : e);
    m.className = "bad";
    m.hidden = false;
    return;
  }
  wire();
  setLang(pickLang());
  const embedded = $("koffer-file");
  const text = embedded.textContent.trim();
  if (embedded.dataset.name || text) {
    // `koffer view FILE` put the file's bytes into the page.
    const bytes = fromBase64(text);
    embedded.textContent = "";
    await load(embedded.dataset.name || "file.koffer", bytes.length, async (a, b) => bytes.subarray(a, b));
  }
  state.ready = true;
}

start();
