// Daily and monthly reports for managers: the figures of GET /halls/<hall>/stats, charts drawn
// as SVG (charts.js), tables of staff and departments, downloads, and a printable layout.
import { h, label, tr } from "hub";
import { forgetLogin, getJson, loginForm, matterNames, savedLogin } from "staff";
import { barChart, hbarChart, lineChart } from "./charts.js";

// A chart is an image named by its section's heading (axe: svg-img-alt).
function named(id, svg) {
  svg.setAttribute("aria-labelledby", `${id}-title`);
  document.getElementById(id).replaceChildren(svg);
}

const config = document.getElementById("report-config").dataset;
const $ = (id) => document.getElementById(id);
let login = null;
let hall = config.hall;

function show(view) {
  $("login").hidden = view !== "login";
  $("main").hidden = view !== "main";
}

const pct = (v) => (v == null ? "–" : `${(v * 100).toFixed(1)}%`);
const mins = (s) => (s == null ? "–" : (s / 60).toFixed(1));

function range(kind, day) {
  if (kind === "daily") return [day, day];
  const [y, m] = day.split("-").map(Number);
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const pad = (n) => String(n).padStart(2, "0");
  return [`${y}-${pad(m)}-01`, `${y}-${pad(m)}-${pad(last)}`];
}

async function stats(from, to, by) {
  const query = new URLSearchParams({ from, to });
  if (by) query.set("by", by);
  return getJson(`${config.api}/halls/${encodeURIComponent(hall)}/stats?${query}`, login.token);
}

function fill(figure, value) {
  const node = document.querySelector(`[data-figure="${figure}"]`);
  if (node) node.textContent = value == null ? "–" : String(value);
}

function empty(box) {
  box.replaceChildren(h("p", { class: "no-data" }, label("no_data")));
}

async function load() {
  const kind = $("kind").value;
  const day = $("day").value;
  if (!day) return;
  const [from, to] = range(kind, day);
  history.replaceState(null, "", `?hall=${encodeURIComponent(hall)}&kind=${kind}&day=${day}`);
  const trend = kind === "daily" ? "hour" : "day";
  const [byHour, byMatter, byTrend, byStaff, byDepartment, names] = await Promise.all([
    stats(from, to, "hour"),
    stats(from, to, "matter"),
    trend === "hour" ? null : stats(from, to, "day"),
    stats(from, to, "staff"),
    stats(from, to, "department"),
    matterNames(config.api, hall),
  ]);
  if (byHour.error) {
    $("report-title").textContent = byHour.error.message;
    return;
  }
  document.documentElement.dataset.report = "loading";
  $("report-title").replaceChildren(label(kind));
  $("period-text").textContent = from === to ? from : `${from} – ${to}`;
  const t = byHour.tickets;
  const c = byHour.cases;
  const r = byHour.ratings;
  fill("issued", t.issued);
  fill("served", t.served);
  fill("wait_p50", mins(t.wait_s.p50));
  fill("service_level", pct(t.service_level));
  fill("no_show", t.no_show);
  fill("good_rate", pct(r.good_rate));
  fill("bad", r.bad);
  fill("cases_received", c.received);
  fill("cases_decided", c.decided);
  fill("cases_late", c.late);
  fill("on_time_rate", pct(c.on_time_rate));
  fill("one_trip_rate", pct(c.one_trip_rate));
  const hours = byHour.groups.filter((g) => g.tickets.wait_s.p50 != null);
  const minutesOf = (s) => (s == null ? null : Math.round(s / 6) / 10);
  if (hours.length) {
    named("chart-wait", barChart(
      hours.map((g) => `${g.key}:00`),
      [
        { name: label("p50"), cls: "main", values: hours.map((g) => minutesOf(g.tickets.wait_s.p50)) },
        { name: label("p90"), cls: "alt", values: hours.map((g) => minutesOf(g.tickets.wait_s.p90)) },
      ],
    ));
  } else empty($("chart-wait"));
  const matters = byMatter.groups.filter((g) => g.tickets.issued).sort((a, b) => b.tickets.issued - a.tickets.issued).slice(0, 12);
  if (matters.length) {
    named("chart-matter", hbarChart(matters.map((g) => names.get(g.name) || g.name || "—"), matters.map((g) => g.tickets.issued)));
  } else empty($("chart-matter"));
  const points = (byTrend || byHour).groups;
  if (points.some((g) => g.tickets.service_level != null)) {
    named("chart-level", lineChart(
      points.map((g) => (trend === "hour" ? `${g.key}:00` : String(g.key).slice(5))),
      points.map((g) => (g.tickets.service_level == null ? null : Math.round(g.tickets.service_level * 1000) / 10)),
      { max: 100, format: (v) => `${Math.round(v)}%` },
    ));
  } else empty($("chart-level"));
  $("staff-rows").replaceChildren(...byStaff.groups.filter((g) => g.key != null).map((g) =>
    h("tr", {}, h("th", { scope: "row" }, g.name), h("td", { class: "num" }, g.tickets.served),
      h("td", { class: "num" }, mins(g.tickets.service_s.p50)), h("td", { class: "num" }, pct(g.ratings.good_rate)),
      h("td", { class: "num" }, g.ratings.bad), h("td", { class: "num" }, g.cases?.received ?? 0),
      h("td", { class: "num" }, g.cases?.late ?? 0))));
  // Case figures per group: a department answers for its matters' cases (their lead).
  $("department-rows").replaceChildren(...byDepartment.groups.filter((g) => g.key != null).map((g) =>
    h("tr", {}, h("th", { scope: "row" }, g.name), h("td", { class: "num" }, g.tickets.issued),
      h("td", { class: "num" }, g.tickets.served), h("td", { class: "num" }, mins(g.tickets.wait_s.p50)),
      h("td", { class: "num" }, g.cases?.received ?? 0), h("td", { class: "num" }, g.cases?.decided ?? 0),
      h("td", { class: "num" }, g.cases?.late ?? 0), h("td", { class: "num" }, pct(g.cases?.on_time_rate)))));
  const caseMatters = byMatter.groups.filter((g) => g.key != null && g.cases
    && (g.cases.received || g.cases.decided || g.cases.late || g.cases.in_progress));
  $("matter-case-rows").replaceChildren(...caseMatters.map((g) =>
    h("tr", {}, h("th", { scope: "row" }, names.get(g.name) || g.name), h("td", { class: "num" }, g.cases.received),
      h("td", { class: "num" }, g.cases.decided), h("td", { class: "num" }, g.cases.late),
      h("td", { class: "num" }, pct(g.cases.on_time_rate)), h("td", { class: "num" }, pct(g.cases.one_trip_rate)))));
  document.documentElement.dataset.report = "ready";
}

async function download(kind) {
  const [from, to] = range($("kind").value, $("day").value);
  const query = new URLSearchParams({ from, to, by: "hour" });
  const response = await fetch(`${config.api}/halls/${encodeURIComponent(hall)}/stats.${kind}?${query}`, {
    headers: { Authorization: `Bearer ${login.token}` },
  });
  if (!response.ok) return;
  const link = h("a", { href: URL.createObjectURL(await response.blob()), download: `report-${hall}-${from}-${to}.${kind}` });
  document.body.append(link);
  link.click();
  link.remove();
}

function dateIn(zone) {
  // en-CA formats as YYYY-MM-DD.
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  } catch {
    return new Date().toISOString().slice(0, 10);
  }
}

async function hallToday() {
  const answer = await getJson(`${config.api}/halls/${encodeURIComponent(hall)}`, login.token);
  return dateIn(answer.hall?.timezone || "Asia/Shanghai");
}

async function start(who) {
  login = who;
  if (!hall) {
    const { halls } = await getJson(`${config.api}/halls`, login.token);
    hall = (halls || []).find((x) => x.id === login.staff.hall_id)?.code || halls?.[0]?.code || "";
  }
  $("hall-name").textContent = hall;
  if (!$("day").value) $("day").value = await hallToday();
  show("main");
  await load();
}

$("kind").value = config.kind || "daily";
// The default day is the hall's date in the hall's time zone (rendered by the server for
// ?hall=), never the browser's date: a manager abroad, or a browser on UTC, sees the hall's day.
$("day").value = config.day || config.today || "";
$("period").addEventListener("submit", (event) => {
  event.preventDefault();
  load();
});
$("print").addEventListener("click", () => window.print());
$("csv").addEventListener("click", () => download("csv"));
$("xlsx").addEventListener("click", () => download("xlsx"));
$("logout").addEventListener("click", () => {
  forgetLogin();
  location.reload();
});
loginForm($("login-form"), config.api, tr("The hub is unreachable; try again shortly."), start);
const saved = savedLogin();
if (saved) start(saved);
else show("login");
