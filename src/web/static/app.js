// Live updates for the dashboard pages; without this script the pages still work (reload them).
// The server renders every page; on each event from /api/events this script fetches the same URL
// and swaps the parts marked data-live, so the markup (and its escaping) has one author.
// Text this script writes itself goes through textContent only.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";
const live = document.getElementById("live");

function setLive(text, state) {
  if (!live) return;
  live.textContent = text;
  live.dataset.state = state;
}

// ---- filters (overview) ----
const stateFilter = document.getElementById("filter-state");
const nameFilter = document.getElementById("filter-name");

function applyFilters() {
  const rows = document.querySelectorAll("#jobs tbody tr");
  if (!stateFilter || !nameFilter) return;
  const state = stateFilter.value;
  const query = nameFilter.value.trim().toLowerCase();
  let shown = 0;
  for (const row of rows) {
    const rowState = row.getAttribute("data-state") ?? "";
    const attention = rowState === "failing" || rowState === "late" || rowState === "too_long";
    const stateOk = state === "" || (state === "attention" ? attention : rowState === state);
    const nameOk = (row.getAttribute("data-name") ?? "").toLowerCase().includes(query);
    row.hidden = !(stateOk && nameOk);
    if (!row.hidden) shown++;
  }
  const note = document.getElementById("shown");
  if (note) note.textContent = shown === rows.length ? "" : `${shown} of ${rows.length} jobs shown`;
  const url = new URL(location.href);
  for (const [key, value] of [["state", state], ["q", query]]) {
    if (value) url.searchParams.set(key, value);
    else url.searchParams.delete(key);
  }
  history.replaceState(null, "", url);
}

if (stateFilter && nameFilter) {
  stateFilter.addEventListener("change", applyFilters);
  nameFilter.addEventListener("input", applyFilters);
  document.getElementById("filters")?.addEventListener("submit", (event) => {
    event.preventDefault();
    applyFilters();
  });
}

// ---- "3 min ago" stays true on a quiet page (no event, no request) ----
// Times age from the server's "now" (which --now may fix), not from this machine's clock.
let clockOffset = 0;

function readServerNow(doc) {
  const now = Date.parse(doc.querySelector('meta[name="server-now"]')?.getAttribute("content") ?? "");
  if (!Number.isNaN(now)) clockOffset = now - Date.now();
}

function relativeTime(iso) {
  const diff = Date.now() + clockOffset - Date.parse(iso);
  const seconds = Math.abs(diff) / 1000;
  if (seconds < 1) return "now";
  let text;
  if (seconds < 45) text = `${Math.round(seconds)} s`;
  else if (seconds < 5400) text = `${Math.round(seconds / 60)} min`;
  else if (seconds < 36 * 3600) text = `${Math.round(seconds / 3600)} h`;
  else text = `${Math.round(seconds / 86400)} d`;
  return diff < 0 ? `in ${text}` : `${text} ago`;
}

function ageTimes() {
  for (const node of document.querySelectorAll("time[datetime]")) node.textContent = relativeTime(node.getAttribute("datetime") ?? "");
}

readServerNow(document);
setInterval(ageTimes, 30_000);

// ---- refresh in place ----
let refreshing = false;
let again = false;

async function refresh() {
  if (refreshing) {
    again = true;
    return;
  }
  refreshing = true;
  try {
    // Rows are filtered here, not by the server, so the filter can change without a request.
    const url = new URL(location.href);
    url.searchParams.delete("state");
    url.searchParams.delete("q");
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!response.ok) return;
    const next = new DOMParser().parseFromString(await response.text(), "text/html");
    const open = new Set([...document.querySelectorAll("details[open][data-id]")].map((node) => node.getAttribute("data-id")));
    for (const region of document.querySelectorAll("[data-live][id]")) {
      const replacement = next.getElementById(region.id);
      if (replacement) region.replaceWith(document.importNode(replacement, true));
    }
    for (const node of document.querySelectorAll("details[data-id]")) if (open.has(node.getAttribute("data-id"))) node.open = true;
    document.title = next.title;
    readServerNow(next);
    const icon = document.querySelector('link[rel="icon"]');
    const nextIcon = next.querySelector('link[rel="icon"]');
    if (icon && nextIcon) icon.setAttribute("href", nextIcon.getAttribute("href") ?? "");
    applyFilters();
  } catch {
    // offline for a moment: the next event refreshes again
  } finally {
    refreshing = false;
    if (again) {
      again = false;
      refresh();
    }
  }
}

if (document.querySelector("[data-live]") && "EventSource" in window) {
  const source = new EventSource("/api/events");
  source.addEventListener("hello", () => setLive("live", "on"));
  source.addEventListener("change", () => refresh());
  source.addEventListener("error", () => setLive("reconnecting…", "off"));
}

// ---- pause / resume ----
document.addEventListener("click", async (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-action]") : null;
  if (!button) return;
  const result = document.getElementById("action-result");
  const body = button.hasAttribute("data-for") ? { for: button.getAttribute("data-for") } : {};
  button.disabled = true;
  try {
    const response = await fetch(button.getAttribute("data-action") ?? "", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (result) {
      if (!response.ok) result.textContent = answer.error ?? `Failed (${response.status})`;
      else if (!answer.paused) result.textContent = "Resumed: alerts are on again.";
      else result.textContent = answer.paused_until ? `Paused until ${new Date(answer.paused_until).toLocaleString()}.` : "Paused until resumed.";
    }
    await refresh();
  } finally {
    button.disabled = false;
  }
});

applyFilters();
