// The maintenance view: staff press and hold the hall's name for 3 s, log in, and see the
// kiosk's connection, device, hall, printer and the hub's version; they may pair it again or
// make it forget its token. The hub checks both the staff login and the device's own token;
// residents never get past the login. The staff token is logged out when the view closes.
import { label, t } from "hub";

const TOKEN_KEY = "onewindow.kiosk.token";
const HOLD_MS = 3000;
const CLOSE_AFTER_MS = 120000;
const $ = (id) => document.getElementById(id);
const dialog = $("maintenance");
let staffToken = null;
let holdTimer = null;
let closeTimer = null;

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
    await fetch("/api/v1/auth/logout", {
      method: "POST",
      headers: { Authorization: `Bearer ${token}` },
    }).catch(() => {});
  }
}

function fill(id, ...labels) {
  const cell = $(id);
  cell.replaceChildren();
  labels.forEach((part, i) => {
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
  const deviceToken = localStorage.getItem(TOKEN_KEY) || "";
  const login = await fetch("/api/v1/auth/token", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ username: $("maint-user").value, password: $("maint-password").value }),
  }).catch(() => null);
  $("maint-password").value = "";
  if (!login || !login.ok) return refuse();
  staffToken = (await login.json()).token;
  const answer = await fetch("/api/v1/devices/maintenance", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${staffToken}` },
    body: JSON.stringify({ device_token: deviceToken || "-" }),
  }).catch(() => null);
  const body = answer ? await answer.json().catch(() => ({})) : {};
  // Staff of another hall see nothing; a kiosk without a (valid) token still shows staff its
  // connection and lets them pair it.
  if (!answer || answer.status === 401 || answer.status === 403) {
    await close();
    dialog.showModal();
    return refuse();
  }
  show(answer.ok ? body : null);
}

function show(state) {
  const online = document.documentElement.dataset.hub === "online";
  fill("maint-connection", label(online ? "hub_online" : "hub_offline"));
  const device = state ? state.device : null;
  fill("maint-device", device ? `${device.name} (#${device.id}, ${device.kind})` : "—");
  fill("maint-hall", device ? `${device.hall_name} (${device.hall})` : "—");
  if (!device || !device.printer_url) fill("maint-printer", label("printer_none"));
  else {
    const fault = device.printer_fault ? device.printer_fault : t("printer_ok");
    const jobs = device.open_jobs ? [label("printer_jobs", { n: device.open_jobs })] : [];
    fill("maint-printer", device.printer_url, fault, ...jobs);
    $("maint-printer").classList.toggle("notice-error", Boolean(device.printer_fault));
  }
  fill("maint-version", state ? state.version : "—");
  $("maint-login").hidden = true;
  $("maint-panel").hidden = false;
}

const title = $("kiosk-title");
title.addEventListener("pointerdown", () => {
  clearTimeout(holdTimer);
  holdTimer = setTimeout(open, HOLD_MS);
});
for (const type of ["pointerup", "pointerleave", "pointercancel"]) {
  title.addEventListener(type, () => clearTimeout(holdTimer));
}
title.addEventListener("contextmenu", (event) => event.preventDefault());
$("maint-login").addEventListener("submit", logIn);
for (const button of dialog.querySelectorAll("[data-maint-close]")) {
  button.addEventListener("click", close);
}
dialog.addEventListener("cancel", (event) => {
  event.preventDefault();
  close();
});
$("maint-forget").addEventListener("click", async () => {
  await close();
  localStorage.removeItem(TOKEN_KEY);
  location.reload();
});
$("maint-repair").addEventListener("click", async () => {
  await close();
  localStorage.removeItem(TOKEN_KEY);
  location.replace(`${location.pathname}${location.search}#repair`);
  location.reload();
});
