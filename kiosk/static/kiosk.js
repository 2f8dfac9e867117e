// The kiosk: pick a matter (by category, page by page, or by search), read its guide, take a
// ticket. The main action sits in a bar that never leaves the screen; idle, the kiosk asks
// "还在吗?" and then goes home (after longer on a guide, which takes time to read).
import { adoptToken, heartbeat, pageOf, pairDevice } from "device";
import { Pair, connectHub, h, label, minutes, split } from "hub";

const TOKEN_KEY = "onewindow.kiosk.token";
const IDLE_MS = { matter: 90000, default: 30000 };
const ASK_S = 15;
const HOLD_MS = 3000;
const ICONS = {
  企业开办: "business", 税务: "tax", 社会保障: "social", 医疗保障: "medical",
  住房公积金: "fund", 户籍证件: "id", 不动产: "house", 民政: "civil",
};
const config = document.getElementById("kiosk-config").dataset;
const $ = (id) => document.getElementById(id);
const state = {
  hall: null, matters: [], priorities: [], matter: null, ticket: null, busy: false,
  category: null, page: 0,
};
let hub = null;
let idleTimer = null;
let askTimer = null;
let refreshTimer = null;
let outageTimer = null;

function show(view) {
  for (const id of ["setup", "home", "matter", "checkin", "pickup", "ticket"]) $(id).hidden = id !== view;
  document.documentElement.dataset.view = view;
  for (const body of document.querySelectorAll(".view-body")) body.scrollTop = 0;
  armIdle();
  if (view === "home") renderMatters();
}

// Going home ends a resident's visit: large text and the search reset for the next one.
function goHome({ reset = true } = {}) {
  closeAsk();
  state.matter = null;
  state.ticket = null;
  if (reset) {
    $("search").value = "";
    showKeyboard(false);
    state.category = null;
    state.page = 0;
    setLargeText(false);
  }
  show("home");
}

// ---- idle: a countdown dialog first, then home ------------------------------------------------

function armIdle() {
  clearTimeout(idleTimer);
  const view = document.documentElement.dataset.view;
  if (view === "setup" || view === "home" && !$("search").value && !state.category) return;
  idleTimer = setTimeout(ask, IDLE_MS[view] || IDLE_MS.default);
}

function ask() {
  const dialog = $("still-there");
  let left = ASK_S;
  const tick = () => {
    $("still-there-count").replaceChildren(label("seconds", { n: left }));
    if (left <= 0) {
      goHome();
      return;
    }
    left -= 1;
    askTimer = setTimeout(tick, 1000);
  };
  if (!dialog.open) dialog.showModal();
  tick();
}

function closeAsk() {
  clearTimeout(askTimer);
  if ($("still-there").open) $("still-there").close();
}
$("still-here").addEventListener("click", () => {
  closeAsk();
  armIdle();
});
$("still-there").addEventListener("cancel", () => {
  closeAsk();
  armIdle();
});
for (const type of ["pointerdown", "keydown", "input", "scroll"]) {
  document.addEventListener(type, () => {
    if (!$("still-there").open) armIdle();
  }, true);
}

// ---- large text ---------------------------------------------------------------------------------

function setLargeText(on) {
  document.documentElement.classList.toggle("large-text", on);
  $("large-text").setAttribute("aria-pressed", String(on));
  if (document.documentElement.dataset.view === "home") renderMatters();
}
$("large-text").addEventListener("click", () =>
  setLargeText(!document.documentElement.classList.contains("large-text")),
);
for (const button of document.querySelectorAll("[data-back]")) {
  button.addEventListener("click", () => goHome({ reset: false }));
}
$("done").addEventListener("click", () => goHome());

function bilingual(zh, en, cls = "") {
  const english = document.documentElement.lang === "en";
  if (english && en) return h("span", { class: `en ${cls}`, lang: "en" }, en);
  return h("span", { class: cls }, h("span", { class: "zh" }, zh), en ? [" ", h("span", { class: "en", lang: "en" }, en)] : null);
}

/** A name given in both languages, as a value for a label (English alone on an English page). */
function both(zh, en) {
  if (document.documentElement.lang === "en") return new Pair([en || zh]);
  return new Pair([zh, en || zh]);
}

function matterState(m) {
  if (!m.open) return { cls: "is-closed", text: label("closed_now", {}) };
  if (m.full) return { cls: "is-full", text: label("full") };
  if (m.nearly_full) return { cls: "is-nearly-full", text: label("nearly_full", { n: m.remaining }) };
  return null;
}

function icon(category) {
  return h("img", { src: `${config.icons}${ICONS[category] || "matter"}.svg`, alt: "", width: 56, height: 56, class: "icon" });
}

// ---- home: categories with big icons, matters page by page -------------------------------------

function categories() {
  const seen = new Map();
  for (const m of state.matters) {
    if (!seen.has(m.category)) seen.set(m.category, { en: m.category_en, count: 0 });
    seen.get(m.category).count += 1;
  }
  return [...seen];
}

// The first level of the list: one big tile per category; a tap opens its matters.
function categoryTile([name, { en, count }]) {
  return h("button", {
    type: "button",
    class: "category-tile",
    dataset: { category: name },
    onclick: () => {
      state.category = name;
      state.page = 0;
      renderMatters();
      armIdle();
    },
  }, icon(name), h("span", { class: "matter-text" },
    bilingual(name, en, "category-name"),
    h("span", { class: "matter-queue" }, label("n_matters", { n: count }))));
}

function matches(m, query) {
  const terms = m.search || [m.name.toLowerCase()];
  const hay = [...terms, (m.name_en || "").toLowerCase(), (m.category || "").toLowerCase(), m.code];
  return hay.some((term) => term.includes(query));
}

/** What the list shows now: search results, one category's matters, or the categories. */
function listing() {
  const query = $("search").value.trim().toLowerCase().replace(/\s+/g, "");
  if (query) return { kind: "results", items: state.matters.filter((m) => matches(m, query)), make: card };
  if (state.category) {
    return { kind: "category", items: state.matters.filter((m) => m.category === state.category), make: card };
  }
  return { kind: "categories", items: categories(), make: categoryTile };
}

function card(m) {
  const blocked = matterState(m);
  return h("button", {
    type: "button",
    class: `matter-card ${blocked ? blocked.cls : ""}`,
    dataset: { matter: m.code },
    onclick: () => openMatter(m.code),
  },
    icon(m.category),
    h("span", { class: "matter-text" },
      h("span", { class: "matter-name" }, bilingual(m.name, m.name_en)),
      h("span", { class: "matter-queue" },
        h("span", { class: "waiting" }, label("waiting_n", { n: m.waiting })),
        h("span", { class: "estimate" }, label("about", { t: minutes(m.estimated_wait_s) }))),
      blocked ? h("span", { class: "matter-block" }, blocked.text) : null),
  );
}

// How many cards fit in the space left on screen: the page never scrolls to reach one.
function pageSize(grid, items, make) {
  if (!items.length) return 1;
  grid.replaceChildren(make(items[0]));
  const first = grid.firstElementChild;
  const style = getComputedStyle(grid);
  const columns = style.gridTemplateColumns.split(" ").filter(Boolean).length || 1;
  const gap = parseFloat(style.rowGap) || 0;
  const cardHeight = first.getBoundingClientRect().height;
  const bottom = $("home").querySelector(".action-bar").getBoundingClientRect().top;
  const room = bottom - grid.getBoundingClientRect().top - gap;
  const rows = Math.max(1, Math.floor((room + gap) / (cardHeight + gap)));
  return rows * columns;
}

function renderMatters() {
  if (document.documentElement.dataset.view !== "home") return;
  const { kind, items, make } = listing();
  const home = $("home");
  home.dataset.listing = kind;
  $("all-categories").hidden = kind === "categories";
  const en = categories().find(([n]) => n === state.category)?.[1].en;
  $("list-title").replaceChildren(
    kind === "results" ? label("results") : kind === "category" ? bilingual(state.category, en) : label("categories"),
  );
  const grid = $("matter-page");
  grid.className = kind === "categories" ? "matter-grid category-grid" : "matter-grid";
  const size = pageSize(grid, items, make);
  const pages = Math.max(1, Math.ceil(items.length / size));
  state.page = Math.min(state.page, pages - 1);
  grid.replaceChildren(...items.slice(state.page * size, state.page * size + size).map(make));
  $("page-of").replaceChildren(label("page", { p: state.page + 1, n: pages }));
  $("page-prev").disabled = state.page === 0;
  $("page-next").disabled = state.page >= pages - 1;
  home.querySelector(".pager").dataset.pages = String(pages);
  const none = $("no-results");
  none.hidden = items.length > 0 || !state.matters.length;
  none.replaceChildren(label("no_results"));
}
$("all-categories").addEventListener("click", () => {
  state.category = null;
  state.page = 0;
  $("search").value = "";
  renderMatters();
});
$("page-prev").addEventListener("click", () => {
  state.page = Math.max(0, state.page - 1);
  renderMatters();
});
$("page-next").addEventListener("click", () => {
  state.page += 1;
  renderMatters();
});
$("search").addEventListener("input", () => {
  state.page = 0;
  renderMatters();
});
window.addEventListener("resize", () => renderMatters());

// ---- the on-screen keyboard: pinyin initials or full pinyin (kiosks have no keyboard) --------

function showKeyboard(on) {
  $("keyboard").hidden = !on;
  $("home").classList.toggle("typing", on);
  $("keyboard-toggle").setAttribute("aria-expanded", String(on));
}
$("keyboard-toggle").addEventListener("click", () => {
  showKeyboard($("keyboard").hidden);
  renderMatters();
});
$("search").addEventListener("focus", () => {
  if ($("keyboard").hidden) {
    showKeyboard(true);
    renderMatters();
  }
});

function typeSearch(key) {
  const input = $("search");
  if (key === "back") input.value = input.value.slice(0, -1);
  else if (key === "clear") input.value = "";
  else input.value = (input.value + key.toLowerCase()).slice(0, 30);
  state.page = 0;
  renderMatters();
}

function buildKeyboard() {
  const rows = $("keyboard").dataset.rows.split(" ").map((row) =>
    h("div", { class: "key-row" },
      [...row].map((key) => h("button", { type: "button", class: "key", dataset: { letter: key }, onclick: () => typeSearch(key) }, key))),
  );
  rows[rows.length - 1].append(
    h("button", { type: "button", class: "key key-wide", dataset: { letter: "back" }, onclick: () => typeSearch("back") }, "⌫ ", label("delete")),
    h("button", { type: "button", class: "key key-wide", dataset: { letter: "clear" }, onclick: () => typeSearch("clear") }, label("clear")),
  );
  $("keyboard").replaceChildren(...rows);
}
buildKeyboard();

// ---- a matter's guide ---------------------------------------------------------------------------

function openMatter(code) {
  const m = state.matters.find((x) => x.code === code);
  if (!m) return;
  state.matter = m;
  $("matter-name").replaceChildren(bilingual(m.name, m.name_en));
  $("matter-meta").replaceChildren(
    h("span", { class: "chip" }, label("queue", { q: both(m.queue_name, m.queue_name_en) })),
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

// Appointment priority comes only with an appointment check-in, never from a walk-in's choice;
// every other class is checked at the window against a certificate.
function renderPriorities() {
  const classes = state.priorities.filter((p) => p !== "appointment");
  $("priority").hidden = !classes.length;
  $("priority-proof").hidden = true;
  $("priority-options").replaceChildren(
    ...[null, ...classes].map((p, i) =>
      h("label", { class: "priority-option" },
        h("input", {
          type: "radio", name: "priority", value: p ?? "", checked: i === 0,
          onchange: () => {
            $("priority-proof").hidden = !p;
            if (p) $("priority-proof").scrollIntoView({ block: "nearest" });
          },
        }),
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

// ---- appointment check-in: the code on an on-screen keypad, once ------------------------------

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

// ---- the ticket ---------------------------------------------------------------------------------

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
  $("ticket-wait").replaceChildren(label("%(n)s min", { n: ticket.estimated_wait_s < 60 ? "<1" : Math.round(ticket.estimated_wait_s / 60) }));
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

// ---- the hub ------------------------------------------------------------------------------------

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
    // The outage notice already tells residents what to do; a reconnect loads again.
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
  state.settingUp = false;
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

// A lost hub (not a blip of a second or two) tells residents where to go instead.
function onOnline(online) {
  document.documentElement.dataset.hub = online ? "online" : "offline"; // maintenance.js
  clearTimeout(outageTimer);
  if (online) {
    $("outage").hidden = true;
    document.documentElement.classList.remove("outage");
    return;
  }
  outageTimer = setTimeout(() => {
    if (document.documentElement.dataset.view === "setup") return;
    $("outage").hidden = false;
    document.documentElement.classList.add("outage");
  }, 2000);
}

function start(token) {
  hub = connectHub({
    namespace: "/kiosk",
    auth: { token },
    onSnapshot,
    onEvent,
    onOnline,
    onRefused(error) {
      hub.socket.disconnect();
      localStorage.removeItem(TOKEN_KEY);
      // Staff who just typed a token see why it failed; a resident sees only "not set up".
      $("setup-form").hidden = !state.settingUp;
      $("setup-error").textContent = error.message;
      $("setup-error").hidden = false;
      showSetup();
    },
  });
  stopBeat?.();
  stopBeat = heartbeat({ api: apiBase, kind: "kiosk", token });
}

// ---- no token: a pairing code for an admin to enter on /admin/devices ------------------------

const apiBase = config.api.replace(/\/halls$/, "");
let stopPairing = null;
let stopBeat = null;

function showSetup() {
  show("setup");
  stopPairing?.();
  stopPairing = pairDevice({
    api: apiBase,
    onCode(code) {
      $("pairing-code").textContent = code;
      $("pairing").hidden = false;
    },
    onError() {
      $("pairing").hidden = true;
    },
    onPaired(token, device) {
      stopPairing = null;
      if (device.kind !== "kiosk") {
        location.assign(pageOf(device));
        return;
      }
      $("pairing").hidden = true;
      state.settingUp = false;
      start(token);
    },
  });
}

// ---- no token: residents see "not set up"; staff press and hold for the set-up form -----------

let holdTimer = null;
const notSetUp = $("not-set-up");
notSetUp.addEventListener("pointerdown", () => {
  clearTimeout(holdTimer);
  holdTimer = setTimeout(() => {
    $("setup-form").hidden = false;
    $("setup-token").focus();
  }, HOLD_MS);
});
for (const type of ["pointerup", "pointerleave", "pointercancel"]) {
  notSetUp.addEventListener(type, () => clearTimeout(holdTimer));
}
notSetUp.addEventListener("contextmenu", (event) => event.preventDefault());
$("setup-cancel").addEventListener("click", () => {
  $("setup-token").value = "";
  $("setup-form").hidden = true;
});

$("setup-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const token = $("setup-token").value.trim();
  if (!token) return;
  stopPairing?.();
  localStorage.setItem(TOKEN_KEY, token);
  $("setup-token").value = "";
  $("setup-error").hidden = true;
  $("setup-form").hidden = true;
  state.settingUp = true;
  start(token);
});

// The device token lives in this browser's storage, never in a URL that stays in history:
// a provisioning script's "#token=…" is stored and dropped from the address.
// The maintenance view's "pair again": the old token is gone; the set-up form is open.
const repair = location.hash === "#repair";
if (repair) history.replaceState(null, "", location.pathname + location.search);
const saved = adoptToken("kiosk");
if (saved) start(saved);
else {
  showSetup();
  if (repair) $("setup-form").hidden = false;
}
