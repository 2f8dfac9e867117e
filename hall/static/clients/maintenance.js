// The maintenance view of a device page (the kiosk, the displays), one for both: staff press
// and hold an element for 3 s, log in, and the hub shows them the device
// (POST /devices/maintenance, checked against the staff login, the page's hall and the
// device's own token; residents never get past the login). The staff token is logged out
// when the view closes, or after 2 minutes.
import { label } from "hub";

const HOLD_MS = 3000;
const CLOSE_AFTER_MS = 120000;
const $ = (id) => document.getElementById(id);

/** Put parts in a cell of the view, separated by " · ". */
export function fill(id, ...parts) {
  const cell = $(id);
  cell.replaceChildren();
  parts.forEach((part, i) => {
    if (i) cell.append(" · ");
    cell.append(part);
  });
}

/**
 * Wire the view. `handle`: what staff hold; `api`: the API's base; `deviceToken()`: the
 * device's stored token; `hall`: the hall code the page shows (staff of another hall are
 * refused even on an unpaired device), or null; `show(state)`: fill the panel (state null
 * when the device is not paired). Returns `close`, which logs the staff token out.
 */
export function maintenanceView({ handle, api, deviceToken, hall = null, show }) {
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
      await fetch(`${api}/auth/logout`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
      }).catch(() => {});
    }
  }

  function refuse() {
    $("maint-error").replaceChildren(label("maint_refused"));
    $("maint-error").hidden = false;
  }

  async function logIn(event) {
    event.preventDefault();
    // A new attempt: the last one's refusal goes until this one is answered.
    $("maint-error").hidden = true;
    const login = await fetch(`${api}/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username: $("maint-user").value, password: $("maint-password").value }),
    }).catch(() => null);
    $("maint-password").value = "";
    if (!login || !login.ok) return refuse();
    staffToken = (await login.json()).token;
    const answer = await fetch(`${api}/devices/maintenance`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${staffToken}` },
      body: JSON.stringify({ device_token: deviceToken() || "-", ...(hall ? { hall } : {}) }),
    }).catch(() => null);
    const body = answer ? await answer.json().catch(() => ({})) : {};
    // Staff of another hall see nothing; a device without a (live) token still shows staff
    // its connection and lets them pair it.
    if (!answer || answer.status === 401 || answer.status === 403) {
      await close();
      dialog.showModal();
      return refuse();
    }
    show(answer.ok ? body : null);
    $("maint-login").hidden = true;
    $("maint-panel").hidden = false;
  }

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
  return close;
}
