// The managers' board: queue lengths, longest waits, windows and alerts, read-only over /board.
// The hall's state is the shared reducer's (state.js): each event updates it in place of a
// fresh snapshot, which comes only after a gap in seq or a reconnect.
import { followHall, h, hallClock, label, minutes } from "hub";
import { forgetLogin, getJson, loginForm, matterNames, savedLogin } from "staff";

const WAIT_ALERT_S = 30 * 60; // a resident waiting half an hour is worth a manager's look
const config = document.getElementById("board-config").dataset;
const $ = (id) => document.getElementById(id);
let snap = null;
let matters = new Map();
let clock = hallClock(null);
let hub = null;
let caseWarnings = []; // yellow and red cases of the hall (GET /halls/<hall>/case-warnings)

function show(view) {
  $("login").hidden = view !== "login";
  $("main").hidden = view !== "main";
}

function render() {
  if (!snap) return;
  renderNotice();
  $("hall-name").textContent = snap.name;
  const waitingLists = snap.waiting || {};
  const queues = snap.queues.map((q) => {
    const oldest = (waitingLists[q.code] || []).find((x) => x.status === "waiting");
    return { ...q, longest: oldest ? clock.since(oldest.queued_at) : 0 };
  });
  $("queues").replaceChildren(...queues.map((q) =>
    h("tr", { class: q.longest >= target() ? "is-alert" : "", dataset: { queue: q.code, light: light(q) } },
      h("th", { scope: "row" }, h("span", { class: "light", "aria-hidden": "true" }), `${q.code} · ${q.name}`, q.name_en ? h("span", { class: "en" }, ` ${q.name_en}`) : null),
      h("td", { class: "num" }, String(q.waiting)),
      h("td", { class: "num" }, q.waiting ? minutes(q.longest).part(0) : "—"),
      h("td", { class: "num" }, q.waiting && q.estimated_wait_s != null ? minutes(q.estimated_wait_s).part(0) : "—"),
      h("td", { class: "num" }, String(q.open_windows)),
    )));
  const all = Object.entries(waitingLists)
    .flatMap(([code, list]) => list.filter((x) => x.status === "waiting").map((x) => ({ ...x, code })))
    .sort((a, b) => Date.parse(a.queued_at) - Date.parse(b.queued_at))
    .slice(0, 8);
  $("longest").replaceChildren(...all.map((x) =>
    h("tr", {}, h("th", { scope: "row" }, x.number), h("td", {}, x.code), h("td", {}, x.matter || matters.get(x.matter_code) || ""),
      h("td", { class: "num" }, minutes(clock.since(x.queued_at)).part(0)))));
  $("windows").replaceChildren(...snap.windows.map((w) =>
    h("li", { class: `win is-${w.status}`, dataset: { window: w.number } },
      h("strong", {}, w.name),
      h("span", { class: "win-status" }, label(w.status)),
      h("span", { class: "win-current" }, w.current || "—",
        w.current_status ? h("span", { class: "win-sub" }, " ", label(w.current_status)) : null),
      h("span", { class: "win-staff" }, w.staff ? `${w.staff.name} (${w.staff.staff_no})` : ""),
      w.status === "paused" ? h("span", { class: "win-reason" }, w.reason) : null,
    )));
  const open = snap.windows.filter((w) => w.status === "open").length;
  $("total-waiting").textContent = String(snap.queues.reduce((n, q) => n + q.waiting, 0));
  $("total-open").textContent = String(open);
  const longest = Math.max(0, ...queues.map((q) => q.longest));
  $("total-longest").replaceChildren(longest ? minutes(longest).part(0) : "—");
  renderAlerts(queues);
  const now = clock.now();
  const pad = (n) => String(n).padStart(2, "0");
  $("updated").replaceChildren(label("updated", { t: `${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}` }));
}

// The hall's waiting target (the service level's, hall/stats): red at it, yellow from half.
function target() {
  return snap?.wait_target_s || WAIT_ALERT_S;
}

function light(q) {
  const worst = Math.max(q.longest, q.waiting ? q.estimated_wait_s || 0 : 0);
  return worst >= target() ? "red" : worst >= target() / 2 ? "yellow" : "green";
}

function renderAlerts(queues) {
  const items = [];
  for (const q of queues) {
    if (q.longest >= target()) items.push(["bad", label("long_wait", { q: q.name, t: minutes(q.longest) })]);
    if (q.waiting && !q.open_windows) items.push(["bad", label("no_window", { q: q.name, n: q.waiting })]);
  }
  for (const w of snap.windows) {
    if (w.status === "paused") items.push(["warn", label("paused_window", { w: w.name, r: w.reason })]);
  }
  for (const p of snap.printer_faults || []) items.push(["bad", label("printer_down", { d: p.device, r: p.fault })]);
  for (const c of caseWarnings) {
    const values = { n: c.number, m: c.matter_name, d: c.deadline };
    items.push(c.warning === "red" ? ["bad", label("case_overdue", values)] : ["warn", label("case_due", values)]);
  }
  for (const p of snap.print_faults || []) items.push(["bad", label("print_fault", { n: p.number, r: p.reason })]);
  for (const r of snap.bad_ratings || []) {
    items.push([r.overdue ? "bad" : "warn", label(r.overdue ? "bad_rating_overdue" : "bad_rating",
      { n: r.number, w: r.window ?? "—", d: r.due_on ?? "" })]);
  }
  for (const t of snap.stranded || []) items.push(["bad", label("stranded", { n: t.number, w: t.window })]);
  $("alerts").replaceChildren(
    ...(items.length
      ? items.map(([level, text]) => h("li", { class: `alert is-${level}` }, text))
      : [h("li", { class: "alert is-ok" }, label("all_clear"))]),
  );
}

// The notice: shown as it is until the manager starts editing it.
function renderNotice() {
  const box = $("notice-text");
  if (document.activeElement !== box) box.value = snap.notice || "";
}
$("notice-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("notice-status");
  const ack = await hub.request("set_notice", { notice: $("notice-text").value });
  status.classList.toggle("is-error", Boolean(ack?.error));
  status.replaceChildren(ack?.error ? ack.error.message : label("notice_saved"));
  $("notice-text").blur();
});

async function loadCaseWarnings(login, hall) {
  try {
    const answer = await getJson(`${config.api}/halls/${encodeURIComponent(hall)}/case-warnings`, login.token);
    caseWarnings = answer.cases || [];
    render();
  } catch {
    // The hub is away; the next event or tick tries again.
  }
}

function connect(login) {
  $("who").textContent = login.staff.name;
  const auth = { token: login.token };
  if (config.hall) auth.hall = config.hall;
  hub = followHall({
    namespace: "/board",
    auth,
    onChange(state, { snapshot, first }) {
      snap = state;
      if (snapshot) {
        clock = hallClock(snapshot.now);
        if (first) {
          loadCaseWarnings(login, snapshot.hall);
          for (const name of ["case.warning", "case.ready", "case.accepted", "case.resubmitted", "case.extended", "case.closed"]) {
            hub.socket.on(name, () => loadCaseWarnings(login, snapshot.hall));
          }
          setInterval(() => loadCaseWarnings(login, snapshot.hall), 60000);
          matterNames(config.api, snapshot.hall).then((names) => {
            matters = names;
            render();
          });
        }
        show("main");
      }
      render();
    },
    onRefused(error) {
      hub.socket.disconnect();
      forgetLogin();
      show("login");
      const alert = $("login-form").querySelector("[role=alert]");
      alert.textContent = error.message;
      alert.hidden = false;
    },
  });
}

$("logout").addEventListener("click", () => {
  hub?.socket.disconnect();
  forgetLogin();
  location.reload();
});
loginForm($("login-form"), config.api, "", connect);
setInterval(render, 15000);
const saved = savedLogin();
if (saved) connect(saved);
else show("login");
