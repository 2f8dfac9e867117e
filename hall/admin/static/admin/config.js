// The configuration file page: an admin exports the file, pastes or uploads one, sees the
// dry run's changes (or every error with its path), then applies exactly what was checked.
import { label } from "hub";
import { forgetLogin, loginForm, savedLogin } from "staff";

const config = document.getElementById("config-config").dataset;
const $ = (id) => document.getElementById(id);
let login = null;
let checked = null; // the request that the last dry run answered; Apply sends it again

function show(view) {
  $("login").hidden = view !== "login";
  $("main").hidden = view !== "main";
}

function start(result) {
  login = result;
  $("who").textContent = `${login.staff.name} (${login.staff.role})`;
  const admin = login.staff.role === "admin";
  $("refused").hidden = admin;
  $("refused").replaceChildren(admin ? "" : label("not_admin"));
  $("import-panel").hidden = !admin;
  show("main");
}

async function call(url, options = {}) {
  try {
    const response = await fetch(url, {
      ...options,
      headers: { Authorization: `Bearer ${login.token}`, ...(options.headers || {}) },
    });
    if (response.status === 401) {
      forgetLogin();
      show("login");
    }
    return response;
  } catch {
    return null;
  }
}

$("export-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const params = new URLSearchParams({ format: $("export-format").value });
  if ($("export-hall").value.trim()) params.set("hall", $("export-hall").value.trim());
  const response = await call(`${config.api}/config?${params}`);
  if (!response) return summary("offline");
  if (!response.ok) {
    const body = await response.json();
    $("refused").replaceChildren(body.error?.message || String(response.status));
    $("refused").hidden = false;
    return;
  }
  const blob = await response.blob();
  const name = /filename="([^"]+)"/.exec(response.headers.get("Content-Disposition") || "")?.[1];
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = name || `onewindow.${$("export-format").value}`;
  document.body.append(link);
  link.click();
  link.remove();
  URL.revokeObjectURL(link.href);
});

$("file").addEventListener("change", async () => {
  const file = $("file").files[0];
  if (!file) return;
  $("text").value = await file.text();
  $("import-format").value = file.name.toLowerCase().endsWith(".json") ? "json" : "yaml";
  invalidate();
});

function invalidate() {
  checked = null;
  $("apply").disabled = true;
}

$("text").addEventListener("input", invalidate);
$("prune").addEventListener("change", invalidate);
$("import-format").addEventListener("change", invalidate);

function summary(key, values = {}) {
  $("summary").replaceChildren(label(key, values));
}

function showChanges(changes) {
  $("changes").replaceChildren(
    ...changes.map((line) => {
      const kind = line.startsWith("+") ? "add" : line.startsWith("-") ? "remove" : "change";
      const li = document.createElement("li");
      li.className = kind;
      li.textContent = line;
      return li;
    }),
  );
}

function showErrors(errors) {
  $("errors").replaceChildren(
    ...errors.map((line) => {
      const li = document.createElement("li");
      li.textContent = line;
      return li;
    }),
  );
}

async function send(dryRun) {
  const body = dryRun
    ? { text: $("text").value, format: $("import-format").value, prune: $("prune").checked, dry_run: true }
    : { ...checked, dry_run: false };
  const response = await call(`${config.api}/config/import`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response) return summary("offline");
  const answer = await response.json();
  showErrors(answer.errors || []);
  showChanges(answer.changes || []);
  if (response.status === 422) {
    invalidate();
    summary("n_errors", { n: (answer.errors || []).length });
    return;
  }
  if (!response.ok) {
    invalidate();
    $("summary").replaceChildren(answer.error?.message || String(response.status));
    return;
  }
  const n = answer.changes.length;
  if (dryRun) {
    checked = n ? { text: body.text, format: body.format, prune: body.prune } : null;
    $("apply").disabled = !n;
    summary(n ? "n_changes" : "no_changes", { n });
  } else {
    invalidate();
    summary("applied", { n });
  }
  document.documentElement.dataset.configState = dryRun ? "checked" : "applied";
}

$("import-form").addEventListener("submit", (event) => {
  event.preventDefault();
  send(true);
});
$("apply").addEventListener("click", () => {
  if (checked) send(false);
});
$("logout").addEventListener("click", () => {
  forgetLogin();
  login = null;
  show("login");
});

loginForm($("login-form"), config.api, "", start);
const saved = savedLogin();
if (saved) start(saved);
else show("login");
