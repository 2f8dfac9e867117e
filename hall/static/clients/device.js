// What every device page (kiosk, display, evaluator) shares: the token handed over once as
// "#token=…" in the address, pairing by a 6-digit code when there is no token, and the
// heartbeat that tells the hub the device is alive (and tells the device who it is).

const KEYS = {
  kiosk: "onewindow.kiosk.token",
  display: "onewindow.display.token",
  evaluator: "onewindow.evaluator.token",
};
const WINDOW_KEY = "onewindow.evaluator.window";
const POLL_MS = 2000;

/** The storage key of a kind's token. */
export function tokenKey(kind) {
  return KEYS[kind];
}

/**
 * A provisioning script's "#token=…": kept in this browser's storage and dropped from the
 * address (replaceState), so it never stays in the history. Returns the stored token, if any.
 */
export function adoptToken(kind) {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get("token");
  if (fromHash) {
    localStorage.setItem(KEYS[kind], fromHash);
    history.replaceState(null, "", location.pathname + location.search);
  }
  return localStorage.getItem(KEYS[kind]);
}

/** Where a paired device of a kind works. */
export function pageOf(device) {
  const hall = encodeURIComponent(device.hall);
  if (device.kind === "display") return `/display/?hall=${hall}`;
  if (device.kind === "evaluator") {
    const window = device.window || localStorage.getItem(WINDOW_KEY) || "";
    return `/evaluator/?hall=${hall}&window=${encodeURIComponent(window)}`;
  }
  return "/kiosk/";
}

/**
 * Show a pairing code until an admin claims it on /admin/devices; then store the token under
 * the kind the admin chose and call onPaired(token, device). A code that expires is replaced
 * by a fresh one. Returns a function that stops.
 */
export function pairDevice({ api, onCode, onPaired, onError }) {
  let stopped = false;
  let timer = null;
  let secret = null;

  async function post(path, body) {
    const response = await fetch(`${api}${path}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body || {}),
    });
    const answer = await response.json().catch(() => ({}));
    return { status: response.status, answer, retry: Number(response.headers.get("Retry-After")) };
  }

  async function fresh() {
    try {
      const { status, answer, retry } = await post("/devices/pairing");
      if (stopped) return;
      if (status !== 201) {
        onError?.(answer.error);
        timer = setTimeout(fresh, Math.max(5, retry || 10) * 1000);
        return;
      }
      secret = answer.secret;
      onCode(answer.code, answer.expires_in_s);
      timer = setTimeout(poll, POLL_MS);
    } catch {
      onError?.(null);
      if (!stopped) timer = setTimeout(fresh, 5000);
    }
  }

  async function poll() {
    try {
      const { status, answer } = await post("/devices/pairing/poll", { secret });
      if (stopped) return;
      if (status === 200 && answer.state === "paired") {
        const device = answer.device;
        localStorage.setItem(KEYS[device.kind], answer.token);
        if (device.window) localStorage.setItem(WINDOW_KEY, device.window);
        onPaired(answer.token, device);
        return;
      }
      if (status !== 200 || answer.state !== "waiting") {
        fresh();
        return;
      }
    } catch {
      // the hub is away for a moment: keep the code and ask again
    }
    if (!stopped) timer = setTimeout(poll, POLL_MS);
  }

  fresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/**
 * Tell the hub this device is alive, now and every minute. onDevice(device) gets who the
 * token names; onRevoked() runs when the token no longer works (the token is forgotten).
 */
export function heartbeat({ api, kind, token, onDevice, onRevoked }) {
  let timer = null;
  async function beat() {
    try {
      const response = await fetch(`${api}/devices/heartbeat`, {
        method: "POST",
        headers: { Authorization: `Bearer ${token}` },
      });
      if (response.status === 401) {
        localStorage.removeItem(KEYS[kind]);
        onRevoked?.();
        return;
      }
      if (response.ok) onDevice?.((await response.json()).device);
    } catch {
      // offline: the next beat tries again
    }
    timer = setTimeout(beat, 60000);
  }
  beat();
  return () => clearTimeout(timer);
}
