// What the board and the window screens share: the offline shell (the service worker at
// /display/sw.js), how they connect (a paired display with its own token, else by the hall's
// code alone), and what the maintenance view reads of the connection.
import { adoptToken, tokenKey } from "device";

export function installOfflineShell() {
  const url = document.documentElement.dataset.serviceWorker;
  if (!url || !("serviceWorker" in navigator)) return;
  navigator.serviceWorker.register(url, { scope: url.replace(/sw\.js$/, "") }).catch(() => {
    // No service worker (an old browser, a plain-HTTP host name): the page still works.
  });
}

/**
 * The /display connection's auth: a paired display's token (kept from "#token=…" or from
 * pairing) with the page's hall, else the hall's code alone (the contract's anonymous display).
 */
export function displayAuth(hall) {
  const token = adoptToken("display");
  document.documentElement.dataset.displayAuth = token ? "token" : "hall";
  return token ? { token, hall } : { hall };
}

/** The token no longer works (revoked): forget it and show a pairing code. */
function tokenDied() {
  localStorage.removeItem(tokenKey("display"));
  location.replace("/display/");
}

/** A refused connection: a dead token goes back to pairing; anything else keeps retrying. */
export function onRefused(error) {
  if (error?.code === "bad_token" && document.documentElement.dataset.displayAuth === "token") {
    tokenDied();
  }
}

/** The hub's time with the hall's UTC offset ("…+08:00"): the maintenance view shows times
 * in the hall's time zone, whatever the screen's own. */
export function noteHallTime(nowIso) {
  if (typeof nowIso === "string") document.documentElement.dataset.hallNow = nowIso;
}

/** Note the time of every message from the hub (the maintenance view's "last event"). */
export function watchDisplay(hub) {
  hub.socket.onAny(() => {
    document.documentElement.dataset.lastEvent = new Date().toISOString();
  });
  // Revoked while open: the hub says so before it cuts the socket.
  hub.socket.on("session_ended", tokenDied);
}
