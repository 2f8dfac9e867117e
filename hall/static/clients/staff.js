// Staff sign-in shared by the counter and the managers' board: a bearer token kept for this
// browser tab only (sessionStorage), never in a URL.
const KEY = "onewindow.staff";

export function savedLogin() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null");
  } catch {
    return null;
  }
}

export function forgetLogin() {
  sessionStorage.removeItem(KEY);
}

/** POST the credentials; resolves to {token, staff} or {error: {code, message}}. */
export async function logIn(apiBase, username, password) {
  try {
    const response = await fetch(`${apiBase}/auth/token`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ username, password }),
    });
    const body = await response.json();
    if (!response.ok) return body.error ? body : { error: { code: "error", message: response.statusText } };
    sessionStorage.setItem(KEY, JSON.stringify(body));
    return body;
  } catch {
    return { error: { code: "offline", message: "" } };
  }
}

/** GET a JSON resource with the staff token. */
export async function getJson(url, token) {
  const response = await fetch(url, { headers: { Authorization: `Bearer ${token}` } });
  return response.json();
}

/** Wire a login form: calls onLogin({token, staff}) when the hub accepts the credentials. */
export function loginForm(form, apiBase, offlineMessage, onLogin) {
  const error = form.querySelector("[role=alert]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const data = new FormData(form);
    const result = await logIn(apiBase, data.get("username"), data.get("password"));
    button.disabled = false;
    if (result.error) {
      error.textContent = result.error.message || offlineMessage;
      error.hidden = false;
      return;
    }
    error.hidden = true;
    form.reset();
    onLogin(result);
  });
}

/**
 * The hall's matter names by code, read once from the public catalogue: ticket.issued names
 * its matter by code, waiting lists show the name. Resolves to an empty Map when unreachable.
 */
export async function matterNames(apiBase, hall) {
  try {
    const response = await fetch(`${apiBase}/halls/${encodeURIComponent(hall)}/matters`);
    const { matters } = await response.json();
    return new Map((matters || []).map((m) => [m.code, m.name]));
  } catch {
    return new Map();
  }
}
