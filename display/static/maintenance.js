// The display's maintenance view, shaped like the kiosk's: staff press and hold the hall's
// (or the window's) name for 3 s, log in, and see the device, its hall, the connection (with
// the device token or the hall code alone), the hub's address, the last event heard and the
// hub's version; they may play a test announcement, reload, pair the display again or make
// it forget its token. The hub checks the staff login and the display's own token; the staff
// token is logged out when the view closes (or after 2 minutes).
import { label } from "hub";
import { tokenKey } from "device";

const HOLD_MS = 3000;
const CLOSE_AFTER_MS = 120000;
// A number the hub never issues (numbers start at 1): nobody in the hall takes it for a call.
const TEST_NUMBER = "A000";
const $ = (id) => document.getElementById(id);
const root = document.documentElement;
const dialog = $("maintenance");
const config = $("display-device").dataset;
const page = document.querySelector("[data-hall]").dataset;
let staffToken = null;
let holdTimer = null;
let closeTimer = null;
let testAudio = null;

function open() {
  $("maint-login").hidden = false;
  $("maint-panel").hidden = true;
  $("maint-error").hidden = true;
  dialog.showModal();
  $("maint-user").focus();
  clearTimeout(closeTimer);
  closeTimer = setTimeout(close, CLOSE_AFTER_MS);
}

async function close() {
  clearTimeout(closeTimer);
  $("maint-user").value = "";
  $("maint-password").value = "";
  if (dialog.open) dialog.close();
  const token = staffToken;
  staffToken = null;
  if (token) {
    await fetch(`${config.api}/auth/logout`, {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
    }).catch(() => {});
  }
}

function fill(id, ...parts) {
  const cell = $(id);
  cell.replaceChildren();
  parts.forEach((part, i) => {
    if (i) cell.append(" · ");
    cell.append(part);
  });
}

function refuse() {
  $("maint-error").replaceChildren(label("maint_refused"));
  $("maint-error").hidden = false;
}

async function logIn(event) {
  event.preventDefault();
  // A new attempt: the last one's refusal goes until this one is answered.
  $("maint-error").hidden = true;
  const deviceToken = localStorage.getItem(tokenKey("display")) || "";
  const login = await fetch(`${config.api}/auth/token`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("maint-user").value, password: $("maint-password").value }),
  }).catch(() => null);
  $("maint-password").value = "";
  if (!login || !login.ok) return refuse();
  staffToken = (await login.json()).token;
  const answer = await fetch(`${config.api}/devices/maintenance`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${staffToken}` },
    body: JSON.stringify({ device_token: deviceToken || "-", hall: page.hall }),
  }).catch(() => null);
  const body = answer ? await answer.json().catch(() => ({})) : {};
  // Staff of another hall see nothing; a display without a (live) token still shows staff its
  // connection and lets them pair it.
  if (!answer || answer.status === 401 || answer.status === 403) {
    await close();
    dialog.showModal();
    return refuse();
  }
  show(answer.ok ? body : null);
}

function lastEvent() {
  const at = root.dataset.lastEvent;
  if (!at) return label("no_event");
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(at)) / 1000));
  // In the hall's time zone (the offset of the hub's last snapshot), on a 24-hour clock.
  const match = /([+-])(\d\d):(\d\d)$/.exec(root.dataset.hallNow || "");
  const offsetMin = match ? (match[1] === "-" ? -1 : 1) * (+match[2] * 60 + +match[3]) : 0;
  const time = new Date(Date.parse(at) + offsetMin * 60000).toISOString().slice(11, 19);
  return `${time} (${seconds} s)`;
}

function show(state) {
  const device = state ? state.device : null;
  fill("maint-device", device ? `${device.name || "—"} (#${device.id}, ${device.kind})` : label("not_paired"));
  fill("maint-hall", device ? `${device.hall_name} (${device.hall})` : page.hall);
  const online = root.dataset.hub === "online";
  const via = root.dataset.displayAuth === "token" ? "via_token" : "via_hall";
  fill("maint-connection", label(online ? "hub_online" : "hub_offline"), label(via));
  $("maint-connection").dataset.online = String(online);
  fill("maint-hub", location.origin);
  fill("maint-last-event", lastEvent());
  fill("maint-version", state ? state.version : "—");
  $("maint-test-state").hidden = true;
  $("maint-login").hidden = true;
  $("maint-panel").hidden = false;
}

function testState(key) {
  const el = $("maint-test-state");
  el.dataset.state = key;
  el.replaceChildren(label(`test_${key}`));
  el.hidden = false;
}

// The test announcement plays on this display only (a click lets the browser play sound).
function testAnnouncement() {
  testAudio?.pause();
  const window = page.windowNumber || "0";
  const audio = new Audio(`${config.voiceUrl}?${new URLSearchParams({ number: TEST_NUMBER, window })}`);
  testAudio = audio;
  testState("playing");
  audio.addEventListener("ended", () => testState("done"), { once: true });
  audio.addEventListener("error", () => testState("failed"), { once: true });
  audio.play().catch(() => testState("failed"));
}

const handle = document.querySelector("[data-maint-hold]");
handle.addEventListener("pointerdown", () => {
  clearTimeout(holdTimer);
  holdTimer = setTimeout(open, HOLD_MS);
});
for (const type of ["pointerup", "pointerleave", "pointercancel"]) {
  handle.addEventListener(type, () => clearTimeout(holdTimer));
}
handle.addEventListener("contextmenu", (event) => event.preventDefault());
$("maint-login").addEventListener("submit", logIn);
for (const button of dialog.querySelectorAll("[data-maint-close]")) {
  button.addEventListener("click", close);
}
dialog.addEventListener("cancel", (event) => {
  event.preventDefault();
  close();
});
$("maint-test").addEventListener("click", testAnnouncement);
$("maint-reload").addEventListener("click", async () => {
  await close();
  location.reload();
});
// Forget: this page goes on by the hall's code alone. Pair again: a fresh pairing code.
$("maint-forget").addEventListener("click", async () => {
  await close();
  localStorage.removeItem(tokenKey("display"));
  location.reload();
});
$("maint-repair").addEventListener("click", async () => {
  await close();
  localStorage.removeItem(tokenKey("display"));
  location.replace("/display/");
});
