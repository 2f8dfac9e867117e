// The kiosk: pick a matter, read its guide, take a ticket; back home after 20 s idle.
import { connectHub, h, label, minutes, split } from "hub";

const TOKEN_KEY = "onewindow.kiosk.token";
const IDLE_MS = 20000;
const config = document.getElementById("kiosk-config").dataset;
const $ = (id) => document.getElementById(id);
const state = { hall: null, matters: [], priorities: [], matter: null, ticket: null, busy: false };
let hub = null;
let idleTimer = null;
let refreshTimer = null;

function show(view) {
  for (const id of ["setup", "home", "matter", "checkin", "pickup", "ticket"]) $(id).hidden = id !== view;
  document.documentElement.dataset.view = view;
  window.scrollTo(0, 0);
  armIdle();
}

function goHome() {
  state.matter = null;
  state.ticket = null;
  $("search").value = "";
  setLargeText(false);
  renderMatters();
  show("home");
}

// Any touch restarts the countdown; away from home, 20 s without one returns there.
function armIdle() {
  clearTimeout(idleTimer);
  const view = document.documentElement.dataset.view;
  if (view !== "home" && view !== "setup") idleTimer = setTimeout(goHome, IDLE_MS);
}
for (const type of ["pointerdown", "keydown", "input"]) document.addEventListener(type, armIdle, true);

function setLargeText(on) {
  document.documentElement.classList.toggle("large-text", on);
  $("large-text").setAttribute("aria-pressed", String(on));
}
$("large-text").addEventListener("click", () =>
  setLargeText(!document.documentElement.classList.contains("large-text")),
);
for (const button of document.querySelectorAll("[data-home]")) button.addEventListener("click", goHome);

function bilingual(zh, en, cls = "") {
  const english = document.documentElement.lang === "en";
  if (english && en) return h("span", { class: `en ${cls}` }, en);
  return h("span", { class: cls }, h("span", { class: "zh" }, zh), en ? [" ", h("span", { class: "en" }, en)] : null);
}

function matterState(m) {
  if (!m.open) return { cls: "is-closed", text: label("closed_now", {}) };
  if (m.full) return { cls: "is-full", text: label("full") };
  if (m.nearly_full) return { cls: "is-nearly-full", text: label("nearly_full", { n: m.remaining }) };
  return null;
}

function renderMatters() {
  const query = $("search").value.trim().toLowerCase();
  const groups = new Map();
  for (const m of state.matters) {
    const hay = `${m.name} ${m.name_en} ${m.category} ${m.category_en} ${m.code}`.toLowerCase();
    if (query && !hay.includes(query)) continue;
    if (!groups.has(m.category)) groups.set(m.category, { en: m.category_en, items: [] });
    groups.get(m.category).items.push(m);
  }
  $("categories").replaceChildren(
    ...[...groups].map(([name, group]) =>
      h("section", { class: "category" },
        h("h2", {}, bilingual(name, group.en)),
        h("div", { class: "matter-grid" },
          group.items.map((m) => {
            const blocked = matterState(m);
            return h("button", {
              type: "button",
              class: `matter-card ${blocked ? blocked.cls : ""}`,
              dataset: { matter: m.code },
              onclick: () => openMatter(m.code),
            },
              h("span", { class: "matter-name" }, bilingual(m.name, m.name_en)),
              h("span", { class: "matter-queue" },
                h("span", { class: "waiting" }, label("waiting_n", { n: m.waiting })),
                h("span", { class: "estimate" }, label("about", { t: minutes(m.estimated_wait_s) }))),
              blocked ? h("span", { class: "matter-block" }, blocked.text) : null,
            );
          })),
      ),
    ),
  );
  const none = $("no-results");
  none.hidden = groups.size > 0 || !state.matters.length;
  none.replaceChildren(label("no_results"));
}
$("search").addEventListener("input", renderMatters);

function openMatter(code) {
  const m = state.matters.find((x) => x.code === code);
  if (!m) return;
  state.matter = m;
  $("matter-name").replaceChildren(bilingual(m.name, m.name_en));
  $("matter-meta").replaceChildren(
    h("span", { class: "chip" }, label("queue", { q: m.queue_name })),
    h("span", { class: "chip" }, label("waiting_n", { n: m.waiting })),
    h("span", { class: "chip" }, label("about", { t: minutes(m.estimated_wait_s) })),
    h("span", { class: "chip" }, label("hours", { h: split(m.hours) })),
  );
  $("matter-conditions").textContent = m.conditions || "—";
  $("matter-documents").replaceChildren(...(m.documents || []).map((d) => h("li", {}, d)));
  $("matter-limit").replaceChildren(
    m.on_the_spot ? label("on_the_spot") : label("working_days", { n: m.time_limit_days }),
  );
  $("matter-fee").textContent = m.fee || "—";
  $("matter-basis").textContent = m.legal_basis || "—";
  $("matter-changed").replaceChildren(label("changed", { v: m.version, d: m.changed_on || "—" }));
  renderPriorities();
  const blocked = matterState(m);
  $("take").disabled = Boolean(blocked && blocked.cls !== "is-nearly-full");
  $("take-error").hidden = true;
  show("matter");
}

function renderPriorities() {
  const options = [null, ...state.priorities];
  $("priority-options").replaceChildren(
    ...options.map((p, i) =>
      h("label", { class: "priority-option" },
        h("input", { type: "radio", name: "priority", value: p ?? "", checked: i === 0 }),
        h("span", {}, label(p ?? "no_priority")),
      ),
    ),
  );
}

async function take() {
  // One ticket per tap, however fast the taps: the button stays off until the hub answers.
  if (state.busy || !state.matter) return;
  state.busy = true;
  $("take").disabled = true;
  $("take-error").hidden = true;
  const priority = document.querySelector("input[name=priority]:checked")?.value || null;
  const ack = await hub.request("take_ticket", { matter: state.matter.code, priority });
  state.busy = false;
  $("take").disabled = false;
  if (ack?.error) {
    $("take-error").textContent = ack.error.message;
    $("take-error").hidden = false;
    return;
  }
  showTicket(ack.ticket, ack.print);
  scheduleRefresh();
}
$("take").addEventListener("click", take);

// Appointment check-in: the code on an on-screen keypad (kiosks have no keyboard), once.
function openCheckIn() {
  $("checkin-code").value = "";
  $("checkin-error").hidden = true;
  show("checkin");
}
$("checkin-open").addEventListener("click", openCheckIn);

function buildKeypad() {
  const keys = [...$("checkin-keys").dataset.keys].map((key) =>
    h("button", { type: "button", class: "key", dataset: { key }, onclick: () => typeKey(key) }, key),
  );
  keys.push(h("button", { type: "button", class: "key key-wide", dataset: { key: "back" }, onclick: () => typeKey(null) }, "⌫ ", label("delete")));
  $("checkin-keys").replaceChildren(...keys);
}
function typeKey(key) {
  const input = $("checkin-code");
  input.value = key ? (input.value + key).slice(0, 12) : input.value.slice(0, -1);
}
buildKeypad();

async function checkIn(event) {
  event.preventDefault();
  if (state.busy) return;
  const code = $("checkin-code").value.trim().toUpperCase();
  if (!code) return;
  state.busy = true;
  $("checkin-submit").disabled = true;
  $("checkin-error").hidden = true;
  const ack = await hub.request("check_in", { code });
  state.busy = false;
  $("checkin-submit").disabled = false;
  if (ack?.error) {
    $("checkin-error").textContent = ack.error.message;
    $("checkin-error").hidden = false;
    return;
  }
  showTicket(ack.ticket, ack.print);
  scheduleRefresh();
}
$("checkin-form").addEventListener("submit", checkIn);

// pickup.js takes a pickup ticket over REST and hands it here to be shown and followed.
document.addEventListener("kiosk:show", (event) => show(event.detail.view));
document.addEventListener("kiosk:ticket", (event) => {
  showTicket(event.detail.ticket, event.detail.print);
  scheduleRefresh();
});

async function reprint() {
  if (state.busy) return;
  state.busy = true;
  $("reprint").disabled = true;
  const ack = await hub.request("reprint_last", {});
  state.busy = false;
  $("reprint").disabled = false;
  if (ack?.error) {
    $("print-state").dataset.state = "fault";
    $("print-state").replaceChildren(ack.error.message);
    return;
  }
  setPrintState(ack.print.state, ack.print.reason);
}
$("reprint").addEventListener("click", reprint);

function showTicket(ticket, job) {
  state.ticket = ticket;
  $("ticket-number").textContent = ticket.number;
  $("ticket-matter").replaceChildren(bilingual(ticket.matter_name || "", ticket.matter_name_en || ""));
  $("ticket-ahead").textContent = String(ticket.ahead);
  const wait = ticket.estimated_wait_s;
  $("ticket-wait").replaceChildren(label("%(n)s min", { n: wait < 60 ? "<1" : Math.round(wait / 60) }));
  const token = ticket.status_url ? ticket.status_url.split("/").pop() : "";
  $("ticket-qr").src = config.qrUrl.replace("TOKEN", encodeURIComponent(token));
  // The hub answers with the print job at once (null: this kiosk has no printer).
  if (job) setPrintState(job.state, job.reason);
  else setPrintState("none");
  show("ticket");
}

function setPrintState(state_, reason) {
  const el = $("print-state");
  // A ticket that came out badly (or not at all) can be printed once more from here.
  $("reprint").hidden = state_ === "none" || state_ === "pending" && !reason || state_ === "printing";
  if (state_ === "none") {
    el.dataset.state = "none";
    el.replaceChildren(label("no_printer"));
    return;
  }
  const fault = state_ === "failed" || state_ === "expired" || (state_ === "pending" && reason);
  const key = fault ? "print_fault" : state_ === "printed" ? "printed" : "printing";
  el.dataset.state = fault ? "fault" : state_ === "printed" ? "printed" : "printing";
  el.replaceChildren(label(key));
}

async function loadMatters() {
  if (!state.hall) return;
  const base = `${config.api}/${encodeURIComponent(state.hall)}`;
  try {
    const [matters, hall] = await Promise.all([
      fetch(`${base}/matters`).then((r) => r.json()),
      fetch(base).then((r) => r.json()),
    ]);
    state.matters = matters.matters || [];
    state.priorities = hall.hall?.priority_classes || [];
    renderMatters();
  } catch {
    // The banner already says the hub is away; the next event or reconnect loads again.
  }
}

function scheduleRefresh() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(loadMatters, 800);
}

function onSnapshot(snap, { first }) {
  state.hall = snap.hall;
  document.documentElement.dataset.hall = snap.hall; // pickup.js names the hall in its request
  $("hall-name").textContent = snap.name;
  $("hall-name-en").textContent = document.documentElement.lang === "en" ? "" : snap.name_en || "";
  if (first) show("home");
  loadMatters();
}

function onEvent(name, ev) {
  if (name === "print.updated" && state.ticket && ev.ticket_id === state.ticket.id) {
    setPrintState(ev.state, ev.reason);
    return;
  }
  if (name.startsWith("ticket.") || name.startsWith("window.")) scheduleRefresh();
}

function start(token) {
  hub = connectHub({
    namespace: "/kiosk",
    auth: { token },
    onSnapshot,
    onEvent,
    onRefused(error) {
      hub.socket.disconnect();
      localStorage.removeItem(TOKEN_KEY);
      $("setup-error").textContent = error.message;
      $("setup-error").hidden = false;
      show("setup");
    },
  });
}

$("setup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("setup-token").value.trim();
  if (!token) return;
  localStorage.setItem(TOKEN_KEY, token);
  $("setup-token").value = "";
  $("setup-error").hidden = true;
  start(token);
});

// The device token lives in this browser's storage, never in a URL that stays in history.
const saved = localStorage.getItem(TOKEN_KEY);
if (saved) start(saved);
else show("setup");
