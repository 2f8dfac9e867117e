// The resident's status page: one ticket, followed live over the /status namespace.
// Any hall event that may move this ticket (its queue, its window) makes the page ask the
// hub for the ticket again; the hub's answer is the only truth shown.
import { io } from "socket.io-client";
import { label, t } from "hub";

const $ = (id) => document.getElementById(id);
const app = $("status-app");
const near = Number(app.dataset.near);
let ticket = JSON.parse($("ticket-data").textContent);
let seq = -1;
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
  if (notice) $("notice").replaceChildren(label(notice, { n: ticket.ahead }));
  document.title = atWindow && ticket.window ? `${ticket.number} → ${ticket.window}` : ticket.number;
  if (fresh) {
    const time = new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
    $("updated").replaceChildren(label("updated", { t: time }));
  }
  const newCall = ticket.status === "called" && (before.status !== "called" || ticket.calls > before.calls);
  if (newCall && fresh) alertResident();
}

function waitMinutes(tk) {
  const s = tk.estimated_wait_s || 0;
  return { n: s < 60 ? "<1" : String(Math.round(s / 60)) };
}

const STATES = ["waiting", "called", "serving", "done", "no_show", "cancelled"];

function noticeKey(tk) {
  if (tk.status === "waiting") return tk.ahead === 0 ? "next" : tk.ahead <= near ? "near" : null;
  if (tk.status === "done" || tk.status === "no_show") return tk.status;
  if (tk.status !== "called" && tk.status !== "serving") return "cancelled";
  return null;
}

// Vibration and a notification where the phone allows them; the page itself always shows it.
function alertResident() {
  navigator.vibrate?.([400, 150, 400, 150, 400]);
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  const body = t("called", { w: ticket.window ?? "" });
  try {
    new Notification(`${ticket.number} · ${t("notify_title")}`, { body, tag: "onewindow-call", renotify: true });
  } catch {
    // Android Chrome allows notifications only from a service worker: the page and the
    // vibration still tell the resident.
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

async function refresh() {
  if (socket.connected) {
    try {
      const ack = await socket.timeout(8000).emitWithAck("snapshot", {});
      if (ack?.ticket) {
        seq = Math.max(seq, ack.seq ?? seq);
        render(ack.ticket);
        return;
      }
    } catch {
      // Fall through to the REST read below.
    }
  }
  try {
    const response = await fetch(app.dataset.api, { cache: "no-store" });
    if (response.ok) render((await response.json()).ticket);
  } catch {
    // Offline: the banner says so and the next reconnect reads the ticket again.
  }
}

function refreshSoon() {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(refresh, 150);
}

// Which events may change this ticket or the people ahead of it.
function concerns(name, ev) {
  if (ev?.ticket_id === ticket.id) return true;
  if (name.startsWith("window.")) return true;
  return ev?.queue === ticket.queue || ev?.from_queue === ticket.queue;
}

const socket = io("/status", {
  auth: { ticket: app.dataset.token },
  reconnectionDelay: 500,
  reconnectionDelayMax: 5000,
});

function setOnline(online) {
  document.documentElement.dataset.hub = online ? "online" : "offline";
  const banner = $("hub-banner");
  if (banner) banner.hidden = online;
  // While the socket is away, read the ticket now and then over plain HTTP.
  clearInterval(pollTimer);
  if (!online) pollTimer = setInterval(refresh, 15000);
}

socket.on("connect", () => setOnline(true));
socket.on("disconnect", () => setOnline(false));
socket.on("connect_error", () => setOnline(false));
socket.on("ticket", (data) => {
  seq = data.seq;
  render(data.ticket);
});
socket.onAny((name, ev) => {
  if (name === "ticket" || name === "snapshot" || typeof ev?.seq !== "number") return;
  const gap = seq >= 0 && ev.seq > seq + 1;
  seq = Math.max(seq, ev.seq);
  if (gap || concerns(name, ev)) refreshSoon();
});

render(ticket, false);
showAlertsState();
setOnline(false);
