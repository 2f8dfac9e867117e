// The back-office workbench: the department's inbox over /backoffice, actions over REST.
// Every case or task event in the department's room asks the hub for the inbox again.
import { io } from "socket.io-client";
import { h, label, t } from "hub";
import { forgetLogin, loginForm, savedLogin } from "staff";

const config = document.getElementById("backoffice-config").dataset;
const $ = (id) => document.getElementById(id);
const NEEDS_REASON = new Set(["reject", "return", "suspend"]);
const NEXT = {
  pending: ["claim"],
  claimed: ["approve", "reject", "return", "suspend"],
  suspended: ["resume"],
};
let login = null;
let socket = null;
let inbox = { departments: [] };

function show(view) {
  $("login").hidden = view !== "login";
  $("main").hidden = view !== "main";
}

function badge(key) {
  return h("span", { class: `badge is-${key}` }, label(key));
}

function row(task) {
  const c = task.case;
  const level = c.clock_stopped ? "paused" : c.warning;
  const actions = (NEXT[task.status] || []).map((action) =>
    h("button", { type: "button", class: action === "approve" ? "primary" : "", dataset: { action, task: task.id }, onclick: () => act(task, action) }, label(action)));
  return h("tr", { class: c.warning ? `is-${c.warning}` : "", dataset: { case: c.number, task: task.id } },
    h("th", { scope: "row" }, c.number),
    h("td", {}, c.matter_name, h("span", { class: "sub" }, label(task.lead ? "lead" : "assisting"))),
    h("td", {}, c.hall_name),
    h("td", {}, c.applicant),
    h("td", {}, c.deadline || "—", level ? badge(level) : null,
      ...(c.deferred_documents || []).map((d) => h("span", { class: "sub" }, label("deferred", { d: d.due }), ` ${d.name}`))),
    h("td", {}, label(task.status), task.claimed_by ? h("span", { class: "sub" }, task.claimed_by) : null),
    h("td", {}, h("div", { class: "actions" }, ...actions)),
  );
}

function render() {
  const departments = inbox.departments || [];
  $("department-name").textContent = departments.map((d) => d.name).join(" · ");
  const tasks = departments.flatMap((d) => d.tasks);
  $("tasks").replaceChildren(...(tasks.length ? tasks.map(row)
    : [h("tr", {}, h("td", { colspan: 7 }, label("empty")))]));
}

function ask(action) {
  // A reason (and for a return the documents, for a suspension the procedure) in a dialog.
  return new Promise((resolve) => {
    const dialog = $("reason-dialog");
    $("reason-title").replaceChildren(label(action));
    $("reason-text").value = "";
    $("documents").value = "";
    $("procedure-field").hidden = action !== "suspend";
    $("documents-field").hidden = action !== "return";
    const done = (value) => {
      dialog.close();
      $("reason-form").onsubmit = null;
      $("reason-cancel").onclick = null;
      resolve(value);
    };
    $("reason-form").onsubmit = (event) => {
      event.preventDefault();
      const reason = $("reason-text").value.trim();
      if (!reason) {
        $("reason-text").setCustomValidity(t("reason_needed"));
        $("reason-text").reportValidity();
        return;
      }
      const body = { reason };
      if (action === "suspend") body.procedure = $("procedure").value;
      if (action === "return") body.documents = $("documents").value.split("\n").map((s) => s.trim()).filter(Boolean);
      done(body);
    };
    $("reason-text").oninput = () => $("reason-text").setCustomValidity("");
    $("reason-cancel").onclick = () => done(null);
    dialog.showModal();
  });
}

async function act(task, action) {
  const body = NEEDS_REASON.has(action) ? await ask(action) : {};
  if (body === null) return;
  const response = await fetch(`${config.api}/tasks/${task.id}/${action}`, {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${login.token}` },
    body: JSON.stringify(body),
  });
  const answer = await response.json();
  $("error").hidden = response.ok;
  if (!response.ok) $("error").textContent = answer.error?.message || response.statusText;
  refresh();
}

function refresh() {
  socket?.emit("snapshot", {}, (ack) => {
    if (ack?.ok) {
      inbox = ack.snapshot;
      render();
    }
  });
}

function connect(saved) {
  login = saved;
  $("who").textContent = saved.staff.name;
  socket = io("/backoffice", { auth: { token: saved.token }, transports: ["websocket"] });
  socket.on("snapshot", (snap) => {
    inbox = snap;
    show("main");
    render();
  });
  socket.onAny((name) => {
    if (name.startsWith("case.") || name.startsWith("task.")) refresh();
  });
  socket.on("connect_error", (error) => {
    socket.disconnect();
    forgetLogin();
    show("login");
    const alert = $("login-form").querySelector("[role=alert]");
    alert.textContent = error.data?.message || error.message;
    alert.hidden = false;
  });
}

$("logout").addEventListener("click", () => {
  socket?.disconnect();
  forgetLogin();
  location.reload();
});
loginForm($("login-form"), config.api, "", connect);
const saved = savedLogin();
if (saved) connect(saved);
else show("login");
