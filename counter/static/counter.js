// The counter: sign in, take a window, call and serve; every action is the hub's to refuse.
// The hall (windows, queues, waiting lists) is the shared reducer's state (state.js), kept
// from events; a snapshot comes only after a gap in seq or a reconnect.
import { followHall, h, hallClock, label, minutes, split, t } from "hub";
import { applyToTicket } from "state";
import { forgetLogin, getJson, loginForm, matterNames, savedLogin } from "staff";

const WINDOW_KEY = "onewindow.counter.window";
const ACTIVE = ["called", "serving"];
const config = document.getElementById("counter-config").dataset;
const $ = (id) => document.getElementById(id);
// snap: the hall's state; ticket: the window's current ticket as the hub answered it;
// left: tickets that left this window by our own actions (a late event must not bring one back).
const state = { login: null, snap: null, windowId: null, window: null, ticket: null, busy: false, left: new Set() };
let hub = null;
let clock = hallClock(null);
let matters = new Map();

function show(view) {
  for (const id of ["login", "pick", "work"]) $(id).hidden = id !== view;
  document.documentElement.dataset.view = view;
}

function showError(message) {
  const el = $(state.windowId ? "error" : "pick-error");
  el.textContent = message;
  el.hidden = !message;
  if (message) $("info").hidden = true;
}

let infoTimer = null;
function showInfo(content) {
  const el = $("info");
  el.replaceChildren(content);
  el.hidden = false;
  clearTimeout(infoTimer);
  infoTimer = setTimeout(() => { el.hidden = true; }, 5000);
}

// ---- sign-in and connection -------------------------------------------------------------
loginForm($("login-form"), config.api, t("login_failed"), (login) => {
  state.login = login;
  connect();
});

for (const button of document.querySelectorAll("[data-logout]")) {
  button.addEventListener("click", () => {
    hub?.socket.disconnect();
    forgetLogin();
    sessionStorage.removeItem(WINDOW_KEY);
    location.reload();
  });
}

function connect() {
  for (const el of document.querySelectorAll("[data-who]")) el.textContent = state.login.staff.name;
  const auth = { token: state.login.token };
  if (config.hall) auth.hall = config.hall;
  hub = followHall({
    namespace: "/counter",
    auth,
    onChange(snap, change) {
      state.snap = snap;
      if (change.snapshot) onSnapshot(change.snapshot, change.first);
      else onEvent(change.name, change.payload, change.before);
    },
    onRefused(error) {
      reauth(error.message);
    },
  });
  // The login ended (logout elsewhere, disabled, expired, idle): the server cuts the socket.
  hub.socket.on("session_ended", (error) => reauth(error?.message || ""));
}

// Ask for the password again; the window stays held and is taken up again after sign-in.
function reauth(message) {
  hub?.socket.disconnect();
  // The window stays held on the hub and its id in sessionStorage: the next snapshot after
  // signing in takes it up again (opening one's own open window changes nothing).
  state.windowId = null;
  state.window = null;
  const username = state.login?.staff?.username;
  forgetLogin();
  show("login");
  const field = $("login-form").querySelector("[name=username]");
  if (field && username && !field.value) field.value = username;
  const alert = $("login-form").querySelector("[role=alert]");
  alert.textContent = message;
  alert.hidden = !message;
}

function onSnapshot(snap, first) {
  clock = hallClock(snap.now);
  if (first) {
    matterNames(config.api, snap.hall).then((names) => {
      matters = names;
      renderQueues();
    });
  }
  for (const el of document.querySelectorAll("[data-hall-name]")) el.textContent = snap.name;
  const saved = Number(sessionStorage.getItem(WINDOW_KEY)) || null;
  if (!state.windowId && saved) {
    openWindow(saved);
    return;
  }
  if (state.windowId) {
    refreshWindow();
    renderQueues();
  } else {
    renderPicker();
    show("pick");
  }
}

function onEvent(name, ev, before) {
  if (!state.windowId) {
    if (name.startsWith("window.")) renderPicker();
    return;
  }
  if (state.window && name.startsWith("window.") && ev.window_id === state.windowId) {
    applyWindow({ window: { ...state.window, status: ev.status, reason: ev.reason, staff: ev.staff }, ticket: state.ticket });
  } else if (state.ticket && ev.ticket_id === state.ticket.id) {
    if (!stale(state.ticket, name, ev)) setTicket(applyToTicket(state.ticket, name, ev));
  } else if (name === "ticket.called" && state.window && ev.window === state.window.number && !state.left.has(ev.ticket_id)) {
    calledHere(ev, before);
  }
  renderQueues();
}

// Our own action's answer may overtake its event (a message queue between hub processes):
// an event that would take the ticket back a step is older than what we show.
function stale(ticket, name, ev) {
  return ev.calls < ticket.calls || (name === "ticket.called" && ticket.status === "serving");
}

// This window called a ticket from another tab or device of ours: what the lists knew of it.
function calledHere(ev, before) {
  const known = before?.known?.[ev.ticket_id];
  if (!known) {
    refreshWindow(); // called before our snapshot and never listed: only the hub knows it
    return;
  }
  setTicket({
    id: ev.ticket_id,
    number: ev.number,
    status: ev.status,
    queue: ev.queue,
    priority: known.priority,
    matter_name: known.matter || matters.get(known.matter_code) || null,
    matter_name_en: null,
    calls: ev.calls,
    issued_at: known.queued_at,
    called_at: ev.at,
    window: ev.window,
    window_name: ev.window_name,
  });
}

function setTicket(ticket) {
  const active = ticket && ACTIVE.includes(ticket.status);
  if (ticket && !active) state.left.add(ticket.id);
  state.ticket = active ? ticket : null;
  renderCurrent();
}

// ---- window picker ------------------------------------------------------------------------
function renderPicker() {
  const me = state.login.staff.name;
  $("window-list").replaceChildren(
    ...state.snap.windows.map((w) => {
      const yours = w.status !== "closed" && w.staff?.name === me;
      const free = w.status === "closed";
      return h("li", {},
        h("button", {
          type: "button",
          class: `window-choice is-${w.status}${yours ? " is-yours" : ""}`,
          disabled: !(free || yours),
          dataset: { window: w.id },
          "data-needs-hub": true,
          onclick: () => openWindow(w.id),
        },
          h("strong", {}, w.name),
          h("span", {}, w.queues.join(" · ")),
          h("span", { class: "choice-state" },
            yours ? label("yours") : free ? label("closed") : label("held_by", { name: w.staff?.name || "" })),
        ));
    }),
  );
}

async function openWindow(id) {
  const ack = await hub.request("open_window", { window: id });
  if (ack.error?.code === "bad_token") {
    reauth(ack.error.message);
    return;
  }
  if (ack.error) {
    sessionStorage.removeItem(WINDOW_KEY);
    state.windowId = null;
    renderPicker();
    show("pick");
    showError(ack.error.message);
    return;
  }
  state.windowId = id;
  sessionStorage.setItem(WINDOW_KEY, String(id));
  applyWindow(ack);
  renderQueues();
  loadTally();
  showError("");
  show("work");
}

// ---- the window and its current ticket ----------------------------------------------------
async function refreshWindow() {
  if (!state.windowId) return;
  try {
    applyWindow(await getJson(`${config.api}/windows/${state.windowId}`, state.login.token));
    loadTally();
  } catch {
    // The hub is away; the banner says so and the reconnect snapshot refreshes us.
  }
}

function applyWindow({ window, ticket }) {
  if (!window) return;
  state.window = window;
  const active = ticket && ACTIVE.includes(ticket.status);
  if (ticket && !active) state.left.add(ticket.id);
  state.ticket = active ? ticket : null;
  if (window.status === "closed") {
    sessionStorage.removeItem(WINDOW_KEY);
    state.windowId = null;
    state.window = null;
    renderPicker();
    show("pick");
    return;
  }
  $("window-name").textContent = window.name;
  const status = $("window-status");
  status.className = `window-status is-${window.status}`;
  status.replaceChildren(
    label(window.status),
  );
  renderCurrent();
}

function priorityLabel(p) {
  return label(p || "no_priority");
}

function renderCurrent() {
  const ticket = state.ticket;
  const card = $("current");
  card.dataset.number = ticket ? ticket.number : "";
  card.dataset.ticket = ticket ? ticket.id : ""; // the intake dialog (intake.js) reads it
  card.dataset.status = ticket ? ticket.status : "idle";
  $("current-number").textContent = ticket ? ticket.number : "—";
  if (!ticket) {
    const paused = state.window?.status === "paused";
    $("current-facts").replaceChildren(h("p", { class: paused ? "idle is-paused" : "idle" },
      paused ? label("paused_now", { r: split(state.window.reason || "—") }) : label("idle")));
  } else {
    const waited = ticket.called_at
      ? Math.max(0, (Date.parse(ticket.called_at) - Date.parse(ticket.issued_at)) / 1000)
      : clock.since(ticket.issued_at);
    $("current-facts").replaceChildren(
      h("p", { class: "matter" }, ticket.matter_name || "", " ", h("span", { class: "en" }, ticket.matter_name_en || "")),
      h("ul", { class: "facts" },
        h("li", { class: `status is-${ticket.status}` }, label(ticket.status)),
        h("li", { class: ticket.priority ? "priority" : "" }, priorityLabel(ticket.priority)),
        h("li", {}, label("waited", { t: minutes(waited) })),
        h("li", { dataset: { calls: ticket.calls } }, label("calls_n", { n: ticket.calls })),
      ),
      ...(ticket.transfer_note
        ? [h("p", { class: "transfer-note", id: "current-note" }, label("note", { t: ticket.transfer_note }))]
        : []),
    );
  }
  markApplicable();
}

// Actions that make no sense now are dimmed but still sent: the hub has the last word.
function markApplicable() {
  const s = state.ticket?.status;
  const paused = state.window?.status === "paused";
  const fits = {
    call_next: !s && !paused,
    recall: s === "called",
    start: s === "called",
    finish: s === "serving",
    no_show: s === "called",
    transfer: Boolean(s),
    pause: !s && !paused,
    resume: paused,
    close_window: !s,
  };
  for (const button of document.querySelectorAll("[data-action]")) {
    button.classList.toggle("unlikely", !fits[button.dataset.action]);
  }
}

async function loadTally() {
  if (!state.windowId) return;
  try {
    const { tally } = await getJson(`${config.tally}${state.windowId}`, state.login.token);
    if (!tally) return;
    const el = $("tally");
    el.replaceChildren(label("done", { n: tally.served }), " · ", label("no_show"), ` ${tally.no_show}`);
    el.dataset.served = String(tally.served);
  } catch {
    // Figures wait for the next refresh.
  }
}

// ---- waiting lists --------------------------------------------------------------------------
function renderQueues() {
  if (!state.snap || !state.window) return;
  const served = state.window.queues;
  const byCode = new Map(state.snap.queues.map((q) => [q.code, { ...q, longest_wait_s: longestWait(state.snap.waiting?.[q.code]) }]));
  const lists = state.snap.waiting || {};
  const targeted = Object.values(lists).flat().filter((x) => x.target_window === state.windowId);
  const blocks = [];
  if (targeted.length) blocks.push(queueBlock({ code: "→", name: t("to_window", { w: state.window.number }) }, targeted));
  for (const code of served) {
    const queue = byCode.get(code);
    if (queue) blocks.push(queueBlock(queue, (lists[code] || []).filter((x) => !x.target_window)));
  }
  $("queues").replaceChildren(...blocks);
}

// The longest wait now, from the oldest waiting entry (the hub's figure is as of the snapshot).
function longestWait(list) {
  const oldest = (list || []).find((x) => x.status === "waiting");
  return oldest ? clock.since(oldest.queued_at) : 0;
}

function queueBlock(queue, tickets) {
  const waiting = tickets.filter((x) => x.status === "waiting");
  return h("section", { class: "queue", dataset: { queue: queue.code } },
    h("h3", {},
      h("span", {}, `${queue.code} · ${queue.name}`, queue.name_en ? h("span", { class: "en" }, ` ${queue.name_en}`) : null),
      h("span", { class: "queue-stats" },
        h("span", { class: "count", dataset: { count: waiting.length } }, label("n_waiting", { n: waiting.length })),
        queue.longest_wait_s ? h("span", {}, " · ", label("longest", { t: minutes(queue.longest_wait_s) })) : null)),
    tickets.length
      ? h("ol", { class: "tickets" }, tickets.slice(0, 50).map(ticketRow))
      : h("p", { class: "nobody" }, label("nobody")),
  );
}

function ticketRow(x) {
  const noShow = x.status === "no_show";
  return h("li", { class: `row is-${x.status}`, dataset: { ticket: x.id, number: x.number } },
    h("strong", { class: "row-number" }, x.number),
    h("span", { class: "row-matter" }, x.matter || matters.get(x.matter_code) || "",
      x.note ? h("span", { class: "row-note" }, label("note", { t: x.note })) : null,
      x.late ? h("span", { class: "row-late" }, label("late")) : null),
    x.priority ? h("span", { class: "row-priority" }, label(x.priority)) : h("span", {}),
    h("span", { class: "row-wait" }, noShow ? label("no_show") : minutes(clock.since(x.queued_at)).part(0)),
    noShow
      ? h("button", { type: "button", "data-needs-hub": true, onclick: () => act("requeue", { ticket: x.id }) }, label("requeue"))
      : h("span", { class: "row-actions" },
          h("button", { type: "button", class: "reprint", "data-needs-hub": true, dataset: { reprint: x.id }, onclick: () => act("reprint", { ticket: x.id }) }, label("reprint")),
          h("button", { type: "button", "data-needs-hub": true, onclick: () => act("call_ticket", { ticket: x.id }) }, label("call"))),
  );
}

// ---- actions ------------------------------------------------------------------------------
async function act(action, extra = {}) {
  if (state.busy || !state.windowId) return false;
  state.busy = true;
  document.documentElement.dataset.busy = "1";
  const body = action === "requeue" || action === "reprint" ? extra : { window: state.windowId, ...extra };
  const ack = await hub.request(action, body);
  state.busy = false;
  delete document.documentElement.dataset.busy;
  if (ack.error?.code === "bad_token") {
    reauth(ack.error.message);
    return;
  }
  if (ack.error) {
    showError(ack.error.message);
    return false;
  }
  showError("");
  if (action === "reprint") showInfo(label("reprint_sent"));
  if (ack.window) applyWindow(ack);
  if (action === "close_window") {
    sessionStorage.removeItem(WINDOW_KEY);
    state.windowId = null;
    state.window = null;
    renderPicker();
    show("pick");
  }
  loadTally();
  return true;
}

// The transfer dialog: a queue or a window, never both (one radio picks which select is live);
// only windows that can take a ticket (open or paused, never closed); a short note goes along.
function openTransfer() {
  const ticket = state.ticket;
  const queues = $("transfer-queue");
  queues.replaceChildren(
    ...state.snap.queues.map((q) => h("option", { value: q.code }, `${q.code} · ${q.name}${q.name_en ? ` ${q.name_en}` : ""}`)),
  );
  if (ticket) queues.value = state.snap.queues.find((q) => q.code !== ticket.queue)?.code || queues.value;
  const targets = state.snap.windows.filter((w) => w.id !== state.windowId && w.status !== "closed");
  $("transfer-window").replaceChildren(
    ...targets.map((w) => h("option", { value: w.id, dataset: { status: w.status } },
      w.status === "paused" ? `${w.name} (${t("paused_mark")})` : w.name)),
  );
  $("transfer-to-window").disabled = !targets.length;
  $("transfer-no-window").hidden = Boolean(targets.length);
  $("transfer-to-queue").checked = true;
  $("transfer-note").value = "";
  transferKind();
  $("transfer-dialog").showModal();
}

function transferKind() {
  const toWindow = $("transfer-to-window").checked;
  $("transfer-queue-field").hidden = toWindow;
  $("transfer-queue").disabled = toWindow;
  $("transfer-window-field").hidden = !toWindow;
  $("transfer-window").disabled = !toWindow;
}
for (const radio of document.querySelectorAll("input[name=kind]")) radio.addEventListener("change", transferKind);

$("transfer-dialog").addEventListener("close", async () => {
  if ($("transfer-dialog").returnValue !== "ok") return;
  const number = state.ticket?.number || "";
  const note = $("transfer-note").value.trim();
  const toWindow = $("transfer-to-window").checked;
  const target = toWindow ? Number($("transfer-window").value) || null : $("transfer-queue").value;
  if (!target) {
    showError(t("choose_target"));
    return;
  }
  const ok = await act("transfer", toWindow ? { to_window: target, note } : { queue: target, note });
  if (!ok) return;
  const windowNumber = state.snap.windows.find((w) => w.id === target)?.number;
  const done = toWindow
    ? label("transferred_to_window", { n: number, w: windowNumber })
    : label("transferred_to_queue", { n: number, q: target });
  showInfo(note ? h("span", {}, done, " · ", label("note", { t: note })) : done);
});

for (const button of document.querySelectorAll(".reason")) {
  button.addEventListener("click", () => {
    $("pause-reason").value = button.dataset.reason;
  });
}
$("pause-dialog").addEventListener("close", () => {
  if ($("pause-dialog").returnValue === "ok") act("pause", { reason: $("pause-reason").value.trim() });
});

function trigger(action) {
  if (action === "transfer") openTransfer();
  else if (action === "pause") {
    $("pause-reason").value = "";
    $("pause-dialog").showModal();
  } else act(action);
}

for (const button of document.querySelectorAll("[data-action]")) {
  button.addEventListener("click", () => trigger(button.dataset.action));
}

document.addEventListener("keydown", (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || document.querySelector("dialog[open]")) return;
  if (["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName)) return;
  if (document.documentElement.dataset.view !== "work" || !hub?.online) return;
  const button = document.querySelector(`[data-key="${event.key.toLowerCase()}"]`);
  if (button) {
    event.preventDefault();
    trigger(button.dataset.action);
  }
});

// Waiting times tick on without the hub.
setInterval(() => {
  if (state.window) {
    renderQueues();
    renderCurrent();
  }
}, 30000);

const saved = savedLogin();
if (saved) {
  state.login = saved;
  connect();
} else show("login");
