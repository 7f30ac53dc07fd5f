// flink-gitops dashboard: polls /api/v1/resources (ETag, so an unchanged cache costs a 304) and
// updates the table in place. Every value from the cluster goes through textContent or
// option.value/text, never parsed as HTML: a message holding markup shows as text.
// With `serve --auth kubernetes` the API answers 401 without a token: the page then asks for one,
// keeps it in sessionStorage (this tab only) and sends it as a bearer header. Behind an auth proxy
// that adds the header itself, no 401 comes and nothing is asked.
// A resource's detail view lives at #/namespace/kind/name (deep-linkable, back/forward work); any other
// hash holds the list's filters.
"use strict";

const POLL_MS = 2000;
// A request that hangs (a half-open port-forward, a stopped process) would otherwise stop the
// polling for good while the page still says "live".
const REQUEST_TIMEOUT_MS = 10000;
const MAX_ROWS = 2000; // beyond this the page gets slow to scroll; filters narrow it
// An operator error can carry a whole stack trace; one such row must not push the others off the page.
const MAX_MESSAGE = 2000;
// Degraded first, then Progressing/Unknown, then the rest.
const RANK = { Degraded: 0, Progressing: 1, Unknown: 1, Missing: 2, Suspended: 3, Healthy: 4 };

const TOKEN_KEY = "flink-gitops-token";

const $ = (id) => document.getElementById(id);
const state = { etag: null, data: null, skew: 0, rows: new Map(), statuses: new Set(), lastOk: null,
                info: null, detail: null, detailData: null, listHash: "" };

// Labels of the status fields the API returns (GET /api/v1/resources/<ns>/<kind>/<name>: fields).
const FIELD_LABELS = {
  lifecycleState: "Lifecycle state", jobState: "Job state", jobManagerDeploymentStatus: "JobManager deployment",
  flinkVersion: "Flink version", jobName: "Job name", jobId: "Job ID", reconciliationState: "Reconciliation state",
  lastSavepoint: "Last savepoint", lastSavepointTime: "Last savepoint time", lastCheckpointTime: "Last checkpoint time",
  upgradeSavepointPath: "Upgrade savepoint", upgradeSnapshot: "Upgrade snapshot",
  upgradeSnapshotPath: "Upgrade snapshot path", blueGreenState: "Blue/green state",
  lastReconciledTimestamp: "Last reconciled", savepointTriggerId: "Savepoint trigger", abortTimestamp: "Aborts at",
  snapshotState: "Snapshot state", path: "Path", failures: "Failures", triggerTimestamp: "Triggered",
  resultTimestamp: "Result at",
};

// The detail view's [namespace, kind, name] from "#/ns/kind/name", or null (the list).
function route() {
  if (!location.hash.startsWith("#/")) return null;
  const parts = location.hash.slice(2).split("/");
  if (parts.length !== 3 || parts.some((p) => !p)) return null;
  try { return parts.map(decodeURIComponent); } catch (e) { return null; }
}

function detailHash(r) {
  return "#/" + [r.namespace, r.kind, r.name].map(encodeURIComponent).join("/");
}

function readFilters() {
  const p = new URLSearchParams(route() ? state.listHash : location.hash.slice(1));
  return { namespace: p.get("namespace") || "", kind: p.get("kind") || "", name: p.get("name") || "",
           status: new Set((p.get("status") || "").split(",").filter(Boolean)) };
}

function writeFilters(f) {
  const p = new URLSearchParams();
  if (f.namespace) p.set("namespace", f.namespace);
  if (f.kind) p.set("kind", f.kind);
  if (f.name) p.set("name", f.name);
  if (f.status.size) p.set("status", [...f.status].join(","));
  state.listHash = p.toString();
  if (!route()) history.replaceState(null, "", "#" + state.listHash);
}

let filters = readFilters();

function duration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  if (s < 86400) return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
  return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
}

function key(r) { return r.namespace + "\u0000" + r.kind + "\u0000" + r.name; }

function matches(r) {
  return (!filters.namespace || r.namespace === filters.namespace) &&
         (!filters.kind || r.kind === filters.kind) &&
         (!filters.name || r.name.includes(filters.name)) &&
         (!filters.status.size || filters.status.has(r.status));
}

// A FlinkStateSnapshot names its deployment in spec.jobReference (the API's jobReference), in its own namespace.
function parentKey(r) {
  return r.jobReference ? r.namespace + "\u0000" + r.jobReference.kind + "\u0000" + r.jobReference.name : null;
}

// The rows to show, in order: each shown resource followed by its snapshots (those the status filter, if
// any, lets through: kind and name filters pick the deployment); a snapshot whose deployment is not shown
// is a row of its own. Returns [record, isChild] pairs.
function grouped(all, wanted) {
  const children = new Map();
  for (const r of all) {
    const p = parentKey(r);
    if (p) {
      if (!children.has(p)) children.set(p, []);
      children.get(p).push(r);
    }
  }
  const shown = new Set(wanted.map(key));
  const out = [];
  for (const r of wanted) {
    if (shown.has(parentKey(r))) continue; // listed under its deployment
    out.push([r, false]);
    const mine = (children.get(key(r)) || []).filter((c) => !filters.status.size || filters.status.has(c.status));
    for (const c of mine.sort((a, b) => a.name.localeCompare(b.name))) out.push([c, true]);
  }
  return out;
}

function compare(a, b) {
  const ra = RANK[a.status] ?? 2, rb = RANK[b.status] ?? 2;
  if (ra !== rb) return ra - rb;
  return a.namespace.localeCompare(b.namespace) || a.kind.localeCompare(b.kind) || a.name.localeCompare(b.name);
}

function setText(el, text) { if (el.textContent !== text) el.textContent = text; }

function rowFor(r) {
  let entry = state.rows.get(key(r));
  if (!entry) {
    const tr = document.createElement("tr");
    const cells = {};
    for (const c of ["status", "for", "namespace", "kind", "name", "message", "rule"]) {
      const td = document.createElement("td");
      td.className = c;
      td.dataset.label = c === "for" ? "For" : c[0].toUpperCase() + c.slice(1);
      tr.appendChild(td);
      cells[c] = td;
    }
    // the name opens the detail view (a link, so it can be focused, opened in a new tab and bookmarked)
    const link = document.createElement("a");
    cells.name.appendChild(link);
    tr.addEventListener("click", (event) => {
      if (event.target.closest("a") || String(window.getSelection() || "")) return; // a link, or selecting text
      location.hash = link.getAttribute("href");
    });
    entry = { tr, cells, link, rec: null };
    state.rows.set(key(r), entry);
  }
  if (entry.rec !== r) {
    const c = entry.cells;
    setText(c.status, r.status);
    setText(c.namespace, r.namespace);
    setText(c.kind, r.kind);
    setText(entry.link, r.name);
    entry.link.setAttribute("href", detailHash(r));
    // the operator's error decoded ("ValidationException: ..."); the raw JSON is in the detail view
    setText(c.message, cut(r.decodedMessage || r.message));
    setText(c.rule, r.rule);
    const behind = r.generation != null && r.observedGeneration != null && r.observedGeneration < r.generation;
    entry.tr.title = behind ? "the operator has not observed generation " + r.generation + " yet" : "";
    entry.tr.className = state.statuses.has(r.status) ? "st-" + r.status : "";
    entry.rec = r;
  }
  return entry;
}

function cut(text) {
  return text.length > MAX_MESSAGE
    ? text.slice(0, MAX_MESSAGE) + " … (" + (text.length - MAX_MESSAGE) + " more characters in the API)"
    : text;
}

function now() { return Date.now() / 1000 + state.skew; }

function tickDurations() {
  const t = now();
  for (const entry of state.rows.values()) {
    if (entry.tr.isConnected) setText(entry.cells.for, duration(t - entry.rec.since));
  }
  if (state.detailData) setText($("d-for"), "for " + duration(t - state.detailData.since));
}

function cell(tr, text, cls, label) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  td.dataset.label = label;
  tr.appendChild(td);
  return td;
}

function when(seconds) {
  return new Date(seconds * 1000).toLocaleString() + " (" + duration(now() - seconds) + " ago)";
}

// Only an http(s) address becomes a link: nothing from the cluster may become javascript: or data:.
function safeUrl(text) {
  try {
    const u = new URL(text);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch (e) { return null; }
}

function showInfo() {
  const info = state.info;
  const c = info ? info.cluster : null;
  setText($("cluster"), !c ? "" : c.connected
    ? (c.inCluster ? "in-cluster" : "context " + (c.context || "(current)")) + " · " + c.server +
      (info.namespaces.length ? " · namespaces " + info.namespaces.join(", ") : "")
    : "not connected to a cluster yet");
}

function renderDetail() {
  const target = state.detail;
  if (!target) return;
  setText($("d-kind"), target[1]);
  setText($("d-id"), target[0] + "/" + target[2]);
  const d = state.detailData;
  $("d-body").hidden = !d;
  if (!d) return;
  const pill = $("d-status");
  setText(pill, d.status);
  pill.className = "status-pill st-" + d.status;
  setText($("d-message"), d.decodedMessage || d.message);
  $("d-raw-box").hidden = !d.decodedMessage || d.decodedMessage === d.message;
  setText($("d-raw"), d.message);
  setText($("d-rule"), d.rule || "none");
  setText($("d-rule-doc"), d.rule_doc || "no rule of the tables decided (see the message)");
  const web = $("d-webui"), url = d.webUI ? safeUrl(d.webUI) : null;
  web.hidden = !url;
  if (url) {
    web.href = url;
    setText(web, "Flink web UI: " + url);
  } else web.removeAttribute("href");
  const fields = [];
  for (const [k, v] of Object.entries(d.fields || {})) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = FIELD_LABELS[k] || k;
    dd.textContent = String(v);
    fields.push(dt, dd);
  }
  if (d.error) {
    const dt = document.createElement("dt"), dd = document.createElement("dd");
    dt.textContent = "Error";
    dd.textContent = d.error.type + (d.error.message ? ": " + d.error.message : "") + " (" + d.error.class + ")";
    fields.push(dt, dd);
  }
  if (!fields.length) {
    const dd = document.createElement("dd");
    dd.className = "muted";
    dd.textContent = "none written by the operator yet";
    fields.push(dd);
  }
  $("d-fields").replaceChildren(...fields);
  $("d-snapshots-box").hidden = !d.snapshots;
  $("d-no-snapshots").hidden = !d.snapshots || d.snapshots.length > 0;
  $("d-snapshots").hidden = !d.snapshots || !d.snapshots.length;
  $("d-snapshots").tBodies[0].replaceChildren(...(d.snapshots || []).map((s) => {
    const tr = document.createElement("tr");
    tr.className = "st-" + s.status;
    cell(tr, s.status, "status", "Status");
    const name = cell(tr, "", "name", "Name"), a = document.createElement("a");
    a.textContent = s.name;
    a.setAttribute("href", detailHash({ namespace: d.namespace, kind: "FlinkStateSnapshot", name: s.name }));
    name.appendChild(a);
    cell(tr, s.message, "message", "Message");
    cell(tr, when(s.since), "time", "Since");
    return tr;
  }));
  $("d-history").tBodies[0].replaceChildren(...(d.history || []).map((h) => {
    const tr = document.createElement("tr");
    tr.className = "st-" + h.status;
    cell(tr, h.status, "status", "Status");
    cell(tr, when(h.since), "time", "Since");
    cell(tr, h.rule || "none", "rule", "Rule");
    cell(tr, h.decodedMessage || h.message, "message", "Message");
    return tr;
  }));
}

function render() {
  const data = state.data;
  if (!data) return;
  // counts and the namespace list are over everything, so a filter never hides where trouble is
  const counts = {};
  const namespaces = new Set();
  for (const r of data.resources) {
    counts[r.status] = (counts[r.status] || 0) + 1;
    namespaces.add(r.namespace);
  }
  for (const s of state.statuses) setText($("count-" + s), String(counts[s] || 0));
  // the namespaces that hold resources now (and the one filtered on): a page left open for days
  // does not collect every namespace that ever existed
  if (filters.namespace) namespaces.add(filters.namespace);
  const select = $("f-namespace");
  const wantedNs = ["", ...[...namespaces].sort()];
  if ([...select.options].map((o) => o.value).join("\u0000") !== wantedNs.join("\u0000")) {
    select.replaceChildren(...wantedNs.map((ns) => {
      const o = document.createElement("option");
      o.value = ns;
      o.text = ns || "all";
      return o;
    }));
  }
  select.value = filters.namespace;

  const wanted = grouped(data.resources, data.resources.filter(matches).sort(compare));
  const shown = wanted.slice(0, MAX_ROWS);
  const live = new Set(data.resources.map(key));
  for (const k of [...state.rows.keys()]) if (!live.has(k)) state.rows.delete(k);
  const body = document.querySelector("#resources tbody");
  const fragment = document.createDocumentFragment();
  for (const [r, child] of shown) {
    const tr = rowFor(r).tr;
    tr.classList.toggle("child", child);
    fragment.appendChild(tr);
  }
  body.replaceChildren(fragment);
  $("empty").hidden = shown.length > 0;
  setText($("shown"), wanted.length > MAX_ROWS
    ? "showing " + MAX_ROWS + " of " + wanted.length + " matching; narrow the filters"
    : wanted.length + " of " + data.resources.length + " shown");
  tickDurations();

  const problems = $("problems");
  const items = [];
  for (const [kind, st] of Object.entries(data.kinds || {})) {
    if (st.state === "synced") continue;
    const li = document.createElement("li");
    li.className = st.state === "failing" ? "failing" : "muted";
    li.textContent = kind + ": " + st.state + (st.reason ? " (" + st.reason + ")" : "");
    items.push(li);
  }
  problems.replaceChildren(...items);
}

function setSync(text, cls) {
  const badge = $("sync");
  setText(badge, text);
  badge.className = "badge " + cls;
}

function storedToken() {
  try { return sessionStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
}

function forgetData() {
  // rows seen with one token must not stay on screen for whoever comes next
  state.data = null;
  state.etag = null;
  state.info = null;
  state.detailData = null;
  showInfo();
  renderDetail();
  state.rows.clear();
  document.querySelector("#resources tbody").replaceChildren();
  $("problems").replaceChildren();
  for (const s of state.statuses) setText($("count-" + s), "–");
  setText($("shown"), "");
}

// why: what went wrong with a token just sent; null keeps what the box says (a rejection stays
// on screen while the page keeps polling without a token)
function askForToken(why) {
  const box = $("signin");
  if (why) setText($("signin-why"), why);
  else if (box.hidden) setText($("signin-why"), "This service answers only callers with a Kubernetes token.");
  if (box.hidden) {
    box.hidden = false;
    $("token").focus();
  }
  $("signout").hidden = true;
  setSync("token needed", "bad");
}

class HttpError extends Error {}

// A GET of the API: never from the browser's cache, never waiting longer than REQUEST_TIMEOUT_MS.
function getApi(path, headers) {
  return fetch("api/v1/" + path, { headers, cache: "no-store", signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
}

// The error an API answer says ({"error": ...}), or "" when it says none.
async function errorOf(resp) {
  try { return (await resp.json()).error || ""; } catch (e) { return ""; /* not JSON */ }
}

async function fetchInfo(headers) {
  const resp = await getApi("info", headers);
  if (resp.status === 200) {
    state.info = await resp.json();
    showInfo();
  }
}

async function fetchDetail(headers) {
  const target = state.detail;
  const resp = await getApi("resources/" + target.map(encodeURIComponent).join("/"), headers);
  if (state.detail !== target) return; // another resource was opened meanwhile
  const missing = $("d-missing");
  if (resp.status === 200) {
    state.detailData = await resp.json();
    missing.hidden = true;
  } else {
    state.detailData = null;
    missing.hidden = false;
    const said = await errorOf(resp);
    setText(missing, resp.status === 404 ? "Not found: " + (said || "no such resource") +
      " (deleted, not watched, or not visible with this token)." : "HTTP " + resp.status + (said ? ": " + said : ""));
  }
  renderDetail();
  tickDurations();
}

// Show the list or a resource's detail, as the URL's hash says.
function applyRoute() {
  const target = route();
  const same = target && state.detail && target.join("\u0000") === state.detail.join("\u0000");
  state.detail = target;
  $("list").hidden = !!target;
  $("detail").hidden = !target;
  if (target) {
    if (!same) {
      state.detailData = null;
      $("d-raw-box").open = false; // another resource's raw message starts folded
      $("d-missing").hidden = true;
      renderDetail();
      window.scrollTo(0, 0);
      pollSoon();
    }
    document.title = target[2] + " · Flink health";
  } else {
    document.title = "Flink health";
    filters = readFilters();
    state.listHash = location.hash.slice(1);
    syncFilterControls();
    render();
  }
}

let timer = null, inFlight = false, soon = false;
function schedule(ms) { clearTimeout(timer); timer = setTimeout(poll, ms); }
function pollSoon() { if (inFlight) soon = true; else schedule(0); }

async function poll() {
  inFlight = true;
  try {
    const token = storedToken();
    const auth = token ? { "Authorization": "Bearer " + token } : {};
    const resp = await getApi("resources", state.etag ? { ...auth, "If-None-Match": state.etag } : auth);
    if (resp.status === 401) {
      if (token) sessionStorage.removeItem(TOKEN_KEY);
      forgetData();
      askForToken(token ? "The token was rejected (expired, revoked, or not a token of this cluster)." : null);
      setText($("updated"), "");
      return;
    }
    if (resp.status === 200 || resp.status === 304) {
      $("signin").hidden = true;
      $("signout").hidden = !storedToken();
    }
    if (resp.status === 200) {
      state.data = await resp.json();
      state.etag = resp.headers.get("ETag");
      state.skew = state.data.now - Date.now() / 1000;
      render();
    } else if (resp.status !== 304) {
      const said = await errorOf(resp);
      throw new HttpError("HTTP " + resp.status + (said ? ": " + said : ""));
    }
    if (!state.info) await fetchInfo(auth);
    if (state.detail) await fetchDetail(auth);
    state.lastOk = new Date();
    const failing = state.data ? Object.values(state.data.kinds || {}).some((k) => k.state === "failing") : false;
    if (state.data && state.data.synced) setSync("live", "ok");
    else if (failing) setSync("not current: cannot watch the cluster", "bad");
    else setSync("syncing with the cluster", "");
    setText($("updated"), "checked " + state.lastOk.toLocaleTimeString());
  } catch (err) {
    setSync(err instanceof HttpError ? "service error" : "service unreachable", "bad");
    setText($("updated"), (state.lastOk ? "data from " + state.lastOk.toLocaleTimeString() + "; " : "") +
      (err instanceof HttpError ? err.message : String(err)));
  } finally {
    inFlight = false;
    schedule(soon ? 0 : POLL_MS);
    soon = false;
  }
}

function onFilter() {
  filters = { namespace: $("f-namespace").value, kind: $("f-kind").value, name: $("f-name").value.trim(),
              status: filters.status };
  writeFilters(filters);
  render();
}

function syncFilterControls() {
  $("f-kind").value = filters.kind;
  $("f-name").value = filters.name;
  if (state.data) $("f-namespace").value = filters.namespace;
  syncStatusButtons();
}

function syncStatusButtons() {
  for (const b of document.querySelectorAll("#counts .count")) {
    b.setAttribute("aria-pressed", String(filters.status.has(b.dataset.status)));
  }
}

document.addEventListener("DOMContentLoaded", () => {
  for (const b of document.querySelectorAll("#counts .count")) {
    state.statuses.add(b.dataset.status);
    b.addEventListener("click", () => {
      const s = b.dataset.status;
      if (filters.status.has(s)) filters.status.delete(s); else filters.status.add(s);
      syncStatusButtons();
      onFilter();
    });
  }
  syncFilterControls();
  $("f-namespace").addEventListener("change", onFilter);
  $("f-kind").addEventListener("change", onFilter);
  $("f-name").addEventListener("input", onFilter);
  $("f-clear").addEventListener("click", () => {
    filters = { namespace: "", kind: "", name: "", status: new Set() };
    $("f-namespace").value = ""; $("f-kind").value = ""; $("f-name").value = "";
    syncStatusButtons();
    writeFilters(filters);
    render();
  });
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault(); // nothing is submitted anywhere (the CSP allows no form action)
    const token = $("token").value.trim().replace(/^Bearer\s+/i, "");
    $("token").value = "";
    if (!token) return;
    sessionStorage.setItem(TOKEN_KEY, token);
    $("signin").hidden = true;
    forgetData();
    setSync("connecting…", "");
    pollSoon();
  });
  $("signout").addEventListener("click", () => {
    sessionStorage.removeItem(TOKEN_KEY);
    $("signout").hidden = true;
    forgetData();
    pollSoon();
  });
  // back to the list: where the list was (its filters), as a new history entry unless we came from it
  for (const id of ["back", "home"]) {
    $(id).addEventListener("click", (event) => {
      event.preventDefault();
      if (!route()) return;
      location.hash = "#" + state.listHash;
    });
  }
  window.addEventListener("hashchange", applyRoute);
  if (!route()) state.listHash = location.hash.slice(1);
  syncStatusButtons();
  applyRoute();
  setInterval(tickDurations, 1000);
  poll();
});
