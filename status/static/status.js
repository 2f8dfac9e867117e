// The resident's status page: one ticket, followed live over the /status namespace through
// the shared connection (hub.js: the ticket first, then events in seq order, a gap or a
// reconnect reads it again). An event about this ticket changes it at once (state.js); one
// that may move the people ahead (its queue, a window) makes the page ask the hub for the
// ticket again, since events do not say who was ahead of whom.
import { connectHub, label, split, t } from "hub";
import { applyToTicket } from "state";

const $ = (id) => document.getElementById(id);
const app = $("status-app");
const near = Number(app.dataset.near);
let ticket = JSON.parse($("ticket-data").textContent);
let refreshTimer = null;
let pollTimer = null;

function render(next, fresh = true) {
  const before = ticket;
  ticket = next;
  app.dataset.status = ticket.status;
  $("number").textContent = ticket.number;
  $("ahead").textContent = ticket.status === "waiting" ? String(ticket.ahead) : "–";
  $("wait").replaceChildren(ticket.status === "waiting" ? label("%(n)s min", waitMinutes(ticket)) : "–");
  const atWindow = ticket.status === "called" || ticket.status === "serving";
  $("call").hidden = !atWindow;
  if (atWindow) {
    const key = ticket.status === "serving" ? "serving" : ticket.calls > 1 ? "called_again" : "called";
    $("call-text").replaceChildren(label(key, { w: ticket.window ?? "", n: ticket.calls }));
    $("window-name").textContent = ticket.window_name || "";
  }
  $("state").replaceChildren(label(`state_${STATES.includes(ticket.status) ? ticket.status : "cancelled"}`));
  const notice = noticeKey(ticket);
  $("notice").hidden = !notice;
  if (notice) $("notice").replaceChildren(label(notice, { n: ticket.ahead, t: clockOf(ticket.grace_until) }));
  $("notice").dataset.kind = notice || "";
  // Back in line after a miss, within the grace: said on its own, beside "almost your turn".
  $("requeued").hidden = !(ticket.status === "waiting" && ticket.requeued);
  document.title = atWindow && ticket.window ? `${ticket.number} → ${ticket.window}` : ticket.number;
  // Alerts are for a resident still waiting: once called (or missed, or done) the offer goes.
  $("alerts").hidden = ticket.status !== "waiting";
  renderOwnActions();
  if (fresh) $("updated").replaceChildren(label("updated", { t: hallTime(ticket) }));
  const newCall = ticket.status === "called" && (before.status !== "called" || ticket.calls > before.calls);
  if (newCall && fresh) alertResident();
  const nearNow = ticket.status === "waiting" && ticket.ahead <= near;
  const nearBefore = before.status === "waiting" && before.ahead <= near;
  if (nearNow && !nearBefore && fresh) alertNear();
}

/** Now on the hall's 24-hour clock (the offset of the ticket's times), whatever the phone's locale. */
function hallTime(tk) {
  const match = /([+-])(\d\d):(\d\d)$/.exec(tk.issued_at || "");
  const offsetMin = match ? (match[1] === "-" ? -1 : 1) * (+match[2] * 60 + +match[3]) : 0;
  const local = new Date(Date.now() + offsetMin * 60000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}`;
}

/** "HH:MM" of a hall-local ISO time, as the hub wrote it (the hall's clock, not the phone's). */
function clockOf(iso) {
  const match = /T(\d\d:\d\d)/.exec(iso || "");
  return match ? match[1] : "";
}

function graceOver(tk) {
  return Date.parse(tk.grace_until) <= Date.now();
}

function waitMinutes(tk) {
  const s = tk.estimated_wait_s || 0;
  return { n: s < 60 ? "<1" : String(Math.round(s / 60)) };
}

const STATES = ["waiting", "called", "serving", "done", "no_show", "cancelled"];

function noticeKey(tk) {
  if (tk.status === "waiting") {
    if (tk.ahead === 0) return "next";
    return tk.ahead <= near ? "near" : null;
  }
  if (tk.status === "no_show" && tk.grace_until) return graceOver(tk) ? "grace_over" : "grace";
  if (tk.status === "done" || tk.status === "no_show") return tk.status;
  if (tk.status !== "called" && tk.status !== "serving") return "cancel_done";
  return null;
}

// Vibration and a notification where the phone allows them; the page itself always shows it.
function alertResident() {
  navigator.vibrate?.([400, 150, 400, 150, 400]);
  notify(`${ticket.number} · ${t("notify_title")}`, t("called", { w: ticket.window ?? "" }), "onewindow-call");
}

// "Your turn soon": once per ticket, when it comes within `near` of the window.
function alertNear() {
  const key = `onewindow.near.${app.dataset.token}`;
  try {
    if (sessionStorage.getItem(key)) return;
    sessionStorage.setItem(key, "1");
  } catch {
    // No storage: the notification may come twice, which does no harm.
  }
  navigator.vibrate?.(200);
  notify(t("near_title"), t("near_body", { n: ticket.ahead, number: ticket.number }), "onewindow-near");
}

// Android Chrome shows notifications only through a service worker (status/static/sw.js at
// /s/sw.js): registered on load, used when ready; a desktop browser without one gets a plain
// Notification. Denied or unsupported: nothing, the page and the vibration still tell.
const worker =
  "serviceWorker" in navigator
    ? navigator.serviceWorker
        .register(app.dataset.serviceWorker, { scope: app.dataset.serviceWorker.replace(/sw\.js$/, "") })
        .then(() => navigator.serviceWorker.ready)
        .catch(() => null)
    : Promise.resolve(null);

async function notify(title, body, tag) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const options = { body, tag, renotify: true, lang: document.documentElement.lang, data: { url: location.href } };
  try {
    const registration = await worker;
    if (registration) await registration.showNotification(title, options);
    else new Notification(title, options);
  } catch {
    // A browser that refuses both: the page itself shows the call.
  }
}

function showAlertsState() {
  const el = $("alerts-state");
  if (!("Notification" in window)) {
    $("enable-alerts").hidden = true;
    return;
  }
  const permission = Notification.permission;
  $("enable-alerts").hidden = permission !== "default";
  el.hidden = permission === "default";
  el.replaceChildren(label(permission === "granted" ? "alerts_on" : "alerts_blocked"));
}

$("enable-alerts").addEventListener("click", async () => {
  navigator.vibrate?.(50);
  try {
    await Notification.requestPermission();
  } catch {
    // Older browsers take a callback instead; the state below still shows what we have.
  }
  showAlertsState();
});

// ---- the resident's own moves: 我会晚到, 让后, 取消 ------------------------------------------

const deferMax = Number(app.dataset.deferMax);

function renderOwnActions() {
  const waiting = ticket.status === "waiting";
  $("own-actions").hidden = !waiting;
  if (!waiting) return;
  const left = Math.max(0, deferMax - (ticket.defers || 0));
  $("defer").hidden = left === 0;
  $("late").hidden = left === 0 || Boolean(ticket.late);
  $("defers-left").replaceChildren(label("defers_left", { n: left }));
  $("defers-left").hidden = left === 0;
}

function showOwn(kind, content) {
  $("own-error").hidden = kind !== "error";
  $("own-result").hidden = kind !== "result";
  const el = kind === "error" ? $("own-error") : $("own-result");
  el.replaceChildren(content);
}

function errorContent(message) {
  const frag = document.createDocumentFragment();
  split(message).parts.forEach((text, i) => {
    if (i) frag.append(" ");
    const span = document.createElement("span");
    span.className = i === 0 && split(message).parts.length === 2 ? "zh" : "en";
    span.textContent = text;
    frag.append(span);
  });
  return frag;
}

async function own(url, body) {
  for (const id of ["late", "defer", "cancel"]) $(id).setAttribute("aria-disabled", "true");
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) {
      showOwn("error", errorContent(answer?.error?.message || t("The hub did not answer; try again.")));
      return null;
    }
    render(answer.ticket);
    return answer.ticket;
  } catch {
    showOwn("error", errorContent(t("The hub is unreachable; try again shortly.")));
    return null;
  } finally {
    for (const id of ["late", "defer", "cancel"]) $(id).removeAttribute("aria-disabled");
  }
}

async function deferBy(late) {
  const before = ticket.ahead;
  const next = await own(app.dataset.defer, { late });
  if (next) showOwn("result", label(late ? "late_sent" : "deferred", { n: Math.max(next.ahead, before) }));
}

$("late").addEventListener("click", () => deferBy(true));
$("defer").addEventListener("click", () => deferBy(false));
$("cancel").addEventListener("click", () => $("cancel-dialog").showModal());
$("cancel-dialog").addEventListener("close", async () => {
  if ($("cancel-dialog").returnValue !== "cancel") return;
  // The answer shows it: the status reads 已取消 and the notice says the place is freed.
  await own(app.dataset.cancel, {});
});

// Offline: read the ticket over plain HTTP now and then, until the socket is back.
async function poll() {
  try {
    const response = await fetch(app.dataset.api, { cache: "no-store" });
    if (response.ok) render((await response.json()).ticket);
  } catch {
    // Offline: the banner says so and the next reconnect reads the ticket again.
  }
}

// Which events may change the people ahead of this ticket or its estimate.
function movesLine(name, ev) {
  if (ticket.status !== "waiting") return false;
  if (name.startsWith("window.")) return true;
  return ev.queue === ticket.queue || ev.from_queue === ticket.queue;
}

const hub = connectHub({
  namespace: "/status",
  auth: { ticket: app.dataset.token },
  // The namespace sends the ticket first ("ticket" {seq, ticket}) and answers "snapshot" alike.
  snapshotEvent: "ticket",
  snapshotOf: (ack) => (ack?.ticket ? { seq: ack.seq, ticket: ack.ticket } : null),
  // A phone may sit behind a proxy that refuses websockets: long-polling first, then upgrade.
  transports: ["polling", "websocket"],
  reconnectionDelayMax: 5000,
  onOnline(online) {
    // While the socket is away, read the ticket now and then over plain HTTP.
    if (online) {
      clearInterval(pollTimer);
      pollTimer = null;
    } else if (!pollTimer) pollTimer = setInterval(poll, 15000);
  },
  onSnapshot(data) {
    render(data.ticket);
  },
  onEvent(name, ev) {
    const next = applyToTicket(ticket, name, ev);
    // A miss or a return to the line: the hub's ticket says until when and whether it was put back.
    const recount = movesLine(name, ev) || (next !== ticket && ["waiting", "no_show"].includes(next.status));
    if (next !== ticket) render(next);
    if (recount) {
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(() => hub.resync(), 150);
    }
  },
});


render(ticket, false);
showAlertsState();
