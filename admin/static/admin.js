// The administration pages: one script for every page, driven by the page's spec (what it
// lists, which fields its forms edit, which actions its rows have). Reads and writes go
// through /api/v1/admin/…; the API's own validation errors are shown next to each field.
import { h, label, split, t } from "hub";
import { forgetLogin, loginForm, savedLogin } from "staff";

const $ = (id) => document.getElementById(id);
const api = $("admin-config").dataset.api;
const spec = JSON.parse($("admin-spec").textContent);
const state = { login: null, me: null, hall: null, setup: null, rows: [], year: null };

// ---- talking to the hub -----------------------------------------------------------------------

async function call(method, path, body) {
  const headers = { Authorization: `Bearer ${state.login.token}` };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  try {
    const response = await fetch(`${api}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.status === 401) {
      forgetLogin();
      show("login");
    }
    return response.ok ? answer : { error: answer.error || { code: "error", message: response.statusText } };
  } catch {
    return { error: { code: "offline", message: t("The hub is unreachable; try again shortly.") } };
  }
}

function show(view) {
  for (const id of ["login", "refused", "main"]) $(id).hidden = id !== view;
}

function flash(message) {
  $("saved").replaceChildren(message);
  $("saved").hidden = false;
  setTimeout(() => ($("saved").hidden = true), 4000);
}

function pageError(error) {
  $("page-error").replaceChildren(...(error ? [split(error.message).toString()] : []));
  $("page-error").hidden = !error;
}

// ---- options for selects ----------------------------------------------------------------------

function options(name) {
  if (name === "halls") return state.me.halls.map((x) => [x.id, `${x.name} (${x.code})`]);
  if (name === "departments") return state.me.departments.map((x) => [x.id, `${x.name} (${x.code})`]);
  if (name === "queues") return (state.setup?.queues || []).map((x) => [x.id, `${x.code} ${x.name}`]);
  if (name === "queue_kinds") return ["intake", "specialised", "consultation", "pickup"].map((k) => [k, t(k)]);
  if (name === "roles") return ["window", "backoffice", "pickup", "manager", "admin"].map((k) => [k, t(k)]);
  return [];
}

function nameOf(list, id) {
  const found = options(list).find(([value]) => String(value) === String(id));
  return found ? found[1] : id ?? "";
}

// ---- showing values ---------------------------------------------------------------------------

function queueCodes(ids) {
  const byId = new Map((state.setup?.queues || []).map((q) => [q.id, q.code]));
  return (ids || []).map((id) => byId.get(id) ?? id).join(", ");
}

function hoursText(hours) {
  if (!hours) return "";
  return Object.entries(hours)
    .map(([day, periods]) => `${day} ${periods.map((p) => p.join("-")).join(" ")}`)
    .join("\n");
}

function cell(key, row) {
  const value = row[key];
  if (key === "workday") return label(value ? "Make-up working day" : "Holiday");
  if (typeof value === "boolean") return t(value ? "Yes" : "No");
  if (key === "last_seen_at") return value ? value.replace("T", " ").slice(0, 19) : t("Never");
  if (key === "at" || key === "fault_since") return value ? value.replace("T", " ").slice(0, 19) : "";
  if (key === "queues") return queueCodes(value);
  if (key === "queue_id") return nameOf("queues", value);
  if (key === "hall_id") return value == null ? "" : nameOf("halls", value);
  if (key === "department_id") return value == null ? "" : nameOf("departments", value);
  if (key === "kind" || key === "role") return value ? t(value) : "";
  if (key === "roles") return (value || []).map((r) => t(r)).join(", ");
  if (value && typeof value === "object") return JSON.stringify(value);
  return value ?? "";
}

// ---- forms ------------------------------------------------------------------------------------

function input(field, value) {
  const attrs = { name: field.name, id: `f-${field.name}-${Math.random().toString(36).slice(2, 8)}` };
  if (field.type === "bool") return h("input", { ...attrs, type: "checkbox", checked: Boolean(value) });
  if (field.type === "date") return h("input", { ...attrs, type: "date", value: value ?? "", min: "2000-01-01", max: "2100-12-31" });
  if (field.type === "textarea") return h("textarea", { ...attrs, rows: 2, maxlength: 500 }, value ?? "");
  if (field.type === "hours") return h("textarea", { ...attrs, rows: 3, placeholder: t("One line per weekday: 0 08:30-12:00 13:30-17:00 (0 = Monday; default = other days)") }, hoursText(value));
  if (field.type === "select") {
    const select = h("select", attrs);
    if (field.blank) select.append(h("option", { value: "" }, "—"));
    for (const [v, text] of options(field.options)) select.append(h("option", { value: v }, text));
    select.value = value == null ? "" : String(value);
    return select;
  }
  if (field.type === "queue_list") return h("input", { ...attrs, value: queueCodes(value), placeholder: "A, Z" });
  if (field.type === "role_list") return h("input", { ...attrs, value: (value || []).join(", "), placeholder: "pickup" });
  const type = field.type === "number" ? "number" : field.type === "password" ? "password" : "text";
  return h("input", { ...attrs, type, value: value ?? "", autocomplete: "off" });
}

function parseHours(text) {
  const hours = {};
  for (const line of text.split("\n").map((l) => l.trim()).filter(Boolean)) {
    const [day, ...periods] = line.split(/\s+/);
    hours[day] = periods.map((p) => p.split("-"));
  }
  return Object.keys(hours).length ? hours : null;
}

function readValue(field, el) {
  if (field.type === "bool") return el.checked;
  const text = el.value.trim();
  if (field.type === "hours") return parseHours(el.value);
  if (field.type === "number") return text === "" ? (field.blank ? null : undefined) : Number(text);
  if (field.type === "select") {
    if (text === "") return field.blank ? null : undefined;
    return /^\d+$/.test(text) && field.options !== "roles" && field.options !== "queue_kinds" ? Number(text) : text;
  }
  if (field.type === "queue_list") {
    const byCode = new Map((state.setup?.queues || []).map((q) => [q.code, q.id]));
    return text.split(/[,\s]+/).filter(Boolean).map((code) => byCode.get(code.toUpperCase()) ?? -1);
  }
  if (field.type === "role_list") return text ? text.split(/[,\s]+/).filter(Boolean) : null;
  if (field.blank && text === "") return null;
  return text;
}

/** A form of the given fields; onSubmit(body) resolves to the API's answer. */
function form(fields, row, onSubmit, onCancel) {
  const grid = h("div", { class: "grid" });
  const inputs = new Map();
  for (const field of fields) {
    const el = input(field, row?.[field.name]);
    inputs.set(field.name, el);
    grid.append(
      h("label", { dataset: { field: field.name }, class: field.type === "bool" ? "check" : "" },
        label_(field.label), el, h("span", { class: "field-error", role: "alert" })),
    );
  }
  const formError = h("p", { class: "notice-error form-error", role: "alert", hidden: true });
  const el = h("form", { class: "admin-form", novalidate: true },
    grid, formError,
    h("div", { class: "form-actions" },
      h("button", { type: "button", onclick: onCancel }, label("Cancel")),
      h("button", { type: "submit", class: "primary" }, label("Save"))));
  el.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body = {};
    for (const field of fields) {
      const value = readValue(field, inputs.get(field.name));
      if (value !== undefined) body[field.name] = value;
    }
    // A field named in the path (a calendar day's date) goes there, not in the body.
    const where = {};
    for (const field of fields.filter((f) => f.in_path)) {
      where[field.name] = body[field.name];
      delete body[field.name];
    }
    body = Object.keys(where).length ? { ...body, [IN_PATH]: where } : body;
    for (const slot of el.querySelectorAll(".field-error")) slot.textContent = "";
    formError.hidden = true;
    const answer = await onSubmit(body);
    if (answer.error) showErrors(el, formError, answer.error);
  });
  return el;
}

/** Each field's message beside it; anything not tied to a field above the buttons. */
function showErrors(formEl, formError, error) {
  let placed = false;
  for (const [name, message] of Object.entries(error.fields || {})) {
    const slot = formEl.querySelector(`[data-field="${CSS.escape(name)}"] .field-error`);
    if (slot) {
      slot.textContent = split(message).toString();
      placed = true;
    }
  }
  if (!placed) {
    formError.textContent = split(error.message).toString();
    formError.hidden = false;
  }
}

function label_(parts) {
  const frag = document.createDocumentFragment();
  parts.forEach((text, i) => {
    const zh = parts.length === 2 && i === 0;
    frag.append(h("span", { class: zh ? "zh" : "en", lang: zh ? "zh" : "en" }, text));
    if (i === 0 && parts.length === 2) frag.append(" ");
  });
  return frag;
}

// ---- the table --------------------------------------------------------------------------------

function path(template, row) {
  return template
    .replace("{hall}", encodeURIComponent(state.hall || ""))
    .replace("{id}", row?.[spec.actions?.find((a) => a.id)?.id || "id"] ?? row?.id)
    .replace("{code}", encodeURIComponent(row?.code ?? ""))
    .replace("{date}", encodeURIComponent(row?.date ?? ""));
}

function editable() {
  return state.me.can_edit && spec.fields.length > 0;
}

function render() {
  const cols = spec.columns;
  $("head").replaceChildren(
    ...cols.map((key) => h("th", { scope: "col" }, label(spec.column_labels?.[key] || `col.${key}`))),
    ...(editable() || spec.actions?.length ? [h("th", { scope: "col" })] : []),
  );
  const body = $("rows");
  body.replaceChildren();
  if (!state.rows.length) {
    body.append(h("tr", {}, h("td", { colspan: cols.length + 1, class: "empty" }, label("Nothing here yet"))));
  }
  for (const row of state.rows) {
    const tr = h("tr", { dataset: { id: row.id ?? row.device_id ?? "" } }, ...cols.map((key) => h("td", { dataset: { col: key } }, cell(key, row))));
    const buttons = h("td", { class: "row-actions" });
    if (editable()) {
      buttons.append(h("button", { type: "button", class: "edit", onclick: () => openEdit(tr, row) }, label("Edit")));
    }
    if (state.me.can_edit) {
      for (const action of spec.actions || []) {
        if (!applies(action, row)) continue;
        buttons.append(
          h("button", { type: "button", class: action.danger ? "danger" : "", dataset: { action: action.name }, onclick: () => act(action, tr, row) }, label_(action.label)),
        );
      }
    } else if (spec.name === "matters") {
      buttons.append(h("button", { type: "button", dataset: { action: "guide" }, onclick: () => act({ name: "guide" }, tr, row) }, label("Guide and versions")));
    }
    if (buttons.childNodes.length || editable() || spec.actions?.length) tr.append(buttons);
    body.append(tr);
  }
}

function applies(action, row) {
  if (!action.when) return true;
  return action.when.startsWith("!") ? !row[action.when.slice(1)] : Boolean(row[action.when]);
}

function slotAfter(tr, content) {
  tr.parentNode.querySelectorAll("tr.slot").forEach((x) => x.remove());
  const slot = h("tr", { class: "slot" }, h("td", { colspan: spec.columns.length + 1 }, content));
  tr.after(slot);
  slot.querySelector("input, select, textarea")?.focus();
  return slot;
}

const IN_PATH = Symbol("in path");

function openEdit(tr, row) {
  const fields = spec.fields.filter((f) => !f.create_only);
  const slot = slotAfter(tr, form(fields, row, async (body) => {
    const answer = await call(spec.method || "PATCH", path(spec.edit, row), body);
    if (!answer.error) {
      slot.remove();
      flash(label("Saved"));
      await load();
    }
    return answer;
  }, () => slot.remove()));
}

function openAdd() {
  const slot = $("add-slot");
  const fields = spec.fields;
  slot.replaceChildren(form(fields, defaults(), async (body) => {
    const answer = await call(spec.method || "POST", path(spec.add, body[IN_PATH] || {}), body);
    if (!answer.error) {
      slot.replaceChildren();
      flash(label("Saved"));
      await load();
    }
    return answer;
  }, () => slot.replaceChildren()));
  slot.querySelector("input, select, textarea")?.focus();
}

function defaults() {
  if (spec.name === "staff") return { role: "window", hall_id: state.me.halls.find((x) => x.code === state.hall)?.id };
  if (spec.name === "queues") return { kind: "intake" };
  if (spec.name === "matters") return { active: true };
  if (spec.name === "halls") return { timezone: "Asia/Shanghai", wait_target_min: 30 };
  if (spec.name === "calendar") return { date: `${state.year}-01-01`, workday: false };
  return {};
}

async function act(action, tr, row) {
  const id = row[action.id || "id"];
  if (action.name === "revoke" || action.name === "disable") {
    const question = action.name === "revoke" ? "Revoke this device? Its screen stops working at once." : "Disable this account? Its logins end at once.";
    const slot = slotAfter(tr, h("div", { class: "confirm" }, h("p", {}, label(question)),
      h("button", { type: "button", onclick: () => slot.remove() }, label("Cancel")),
      h("button", { type: "button", class: "danger", dataset: { confirm: action.name }, onclick: async () => {
        const path_ = action.name === "revoke" ? `/admin/devices/${id}/revoke` : `/admin/staff/${id}/disable`;
        const answer = await call("POST", path_, {});
        slot.remove();
        if (answer.error) pageError(answer.error);
        else { pageError(null); flash(label("Saved")); await load(); }
      } }, label_(action.label))));
    return;
  }
  if (action.name === "remove") {
    const slot = slotAfter(tr, h("div", { class: "confirm" }, h("p", {}, label("Remove this day? The package or Monday to Friday decides it again.")),
      h("button", { type: "button", onclick: () => slot.remove() }, label("Cancel")),
      h("button", { type: "button", class: "danger", dataset: { confirm: "remove" }, onclick: async () => {
        const answer = await call("DELETE", path(spec.edit, row));
        slot.remove();
        if (answer.error) pageError(answer.error);
        else { pageError(null); flash(label("Saved")); await load(); }
      } }, label_(action.label))));
    return;
  }
  if (action.name === "enable") {
    const answer = await call("POST", `/admin/staff/${id}/enable`, {});
    if (answer.error) pageError(answer.error);
    else await load();
    return;
  }
  if (action.name === "password") {
    const slot = slotAfter(tr, form([{ name: "password", type: "password", label: [t("New password (at least 6 characters)")] }], {}, async (body) => {
      const answer = await call("POST", `/admin/staff/${id}/password`, body);
      if (!answer.error) { slot.remove(); flash(label("Saved")); }
      return answer;
    }, () => slot.remove()));
    return;
  }
  if (action.name === "test-print") {
    const answer = await call("POST", `/admin/devices/${id}/test-print`, {});
    if (answer.error) return pageError(answer.error);
    pageError(null);
    if (answer.test.printed) flash(label("Test page sent"));
    else pageError({ message: t("Test page not printed: %(r)s", { r: answer.test.error }) });
    await load();
    return;
  }
  if (action.name === "guide") await openGuide(tr, row);
}

async function openGuide(tr, row) {
  const answer = await call("GET", `/admin/matters/${row.id}/guides`);
  if (answer.error) return pageError(answer.error);
  const current = answer.guides[0] || {};
  const history = h("ol", { class: "guide-history" }, ...answer.guides.map((g) =>
    h("li", {}, h("strong", {}, t("Version %(v)s of %(d)s", { v: g.version, d: g.changed_on })), " ",
      `${g.fee} · ${g.time_limit_days}/${g.statutory_limit_days} · `, (g.documents || []).map((d) => d.name).join("、"))));
  const parts = [h("h3", {}, label("Guide and versions")), history];
  if (state.me.can_edit) {
    const fields = [
      { name: "fee", type: "text", label: [t("Fee")] },
      { name: "conditions", type: "textarea", label: [t("Conditions")] },
      { name: "legal_basis", type: "textarea", label: [t("Legal basis")] },
      { name: "time_limit_days", type: "number", label: [t("Promised limit (working days)")] },
      { name: "statutory_limit_days", type: "number", label: [t("Statutory limit (working days)")] },
    ];
    parts.push(h("h3", {}, label("Publish a new version")));
    parts.push(form(fields, current, async (body) => {
      const result = await call("PUT", `/matters/${row.id}/guide`, body);
      if (!result.error) { flash(label("Saved")); await load(); }
      return result;
    }, () => slot.remove()));
  }
  const slot = slotAfter(tr, h("div", { class: "guide" }, ...parts));
}

// ---- pairing (devices page) -------------------------------------------------------------------

function wirePairing() {
  const pairForm = $("pair-form");
  if (!pairForm) return;
  pairForm.hidden = !state.me.can_edit;
  const hallSelect = pairForm.querySelector("[name=hall_id]");
  hallSelect.replaceChildren(...options("halls").map(([v, text]) => h("option", { value: v }, text)));
  const current = state.me.halls.find((x) => x.code === state.hall);
  if (current) hallSelect.value = String(current.id);
  pairForm.onsubmit = async (event) => {
    event.preventDefault();
    const data = new FormData(pairForm);
    const body = {
      code: String(data.get("code")).trim(),
      kind: data.get("kind"),
      hall_id: Number(data.get("hall_id")),
      name: String(data.get("name")).trim(),
      printer_url: String(data.get("printer_url")).trim() || null,
      window: String(data.get("window")).trim() || null,
    };
    for (const slot of pairForm.querySelectorAll(".field-error")) slot.textContent = "";
    const formError = pairForm.querySelector(".form-error");
    formError.hidden = true;
    const answer = await call("POST", "/admin/devices/pair", body);
    if (answer.error) {
      // A wrong, used or expired code belongs beside the code field.
      if (!answer.error.fields && answer.error.code?.startsWith("pairing_")) answer.error.fields = { code: answer.error.message };
      showErrors(pairForm, formError, answer.error);
      return;
    }
    pairForm.reset();
    if (current) hallSelect.value = String(current.id);
    flash(label("Paired: %(n)s", { n: answer.device.name }));
    await load();
  };
}

// ---- loading ----------------------------------------------------------------------------------

const HALL_PAGES = new Set(["queues", "matters", "windows"]);

async function load() {
  let answer;
  if (spec.source.startsWith("setup:")) {
    answer = await call("GET", `/admin/halls/${encodeURIComponent(state.hall)}/setup`);
    if (!answer.error) {
      state.setup = answer;
      state.rows = answer[spec.source.slice(6)];
    }
  } else if (spec.source === "halls" || spec.source === "departments") {
    answer = await call("GET", "/admin/me");
    if (!answer.error) {
      state.me = answer;
      state.rows = answer[spec.source];
    }
  } else if (spec.source === "calendar") {
    answer = await call("GET", `/admin/calendar?year=${state.year}`);
    if (!answer.error) {
      state.rows = answer.days;
      showCoverage(answer.coverage);
      calendarWarning(answer.coverage);
      fillBulk(answer.days);
    }
  } else {
    const query = state.hall ? `?hall=${encodeURIComponent(state.hall)}` : "";
    answer = await call("GET", `/admin/${spec.source}${query}`);
    if (!answer.error) state.rows = answer[spec.source === "staff" ? "staff" : spec.source === "audit" ? "entries" : spec.source];
  }
  if (answer.error) return pageError(answer.error);
  pageError(null);
  render();
}

// ---- the holiday arrangement ------------------------------------------------------------------

const SOURCES = {
  table: "entered by the administrators",
  package: "the chinesecalendar package",
  none: "not covered: Monday to Friday",
};

/** What covers each year, and the first day nothing does. */
function showCoverage(coverage) {
  $("coverage-years").replaceChildren(
    ...Object.entries(coverage.years).map(([year, source]) =>
      h("li", { dataset: { year, source } }, `${year}: `, label(SOURCES[source]))),
  );
  $("coverage-from").replaceChildren(
    coverage.uncovered_from ? label("Not covered from %(d)s", { d: coverage.uncovered_from }) : "",
  );
}

/** The banner on every page when the coming weeks reach a year nothing covers. */
function calendarWarning(coverage) {
  const text = coverage?.warning;
  $("calendar-warning-text").replaceChildren(text ? split(text).toString() : "");
  $("calendar-warning").hidden = !text;
}

// The whole year at once: one line per run of days, "first [last] off|work name".
const OFF = new Set(["放假", "休", "off", "holiday"]);
const WORK = new Set(["上班", "班", "work", "workday"]);
const LINE = /^(\d{4}-\d{2}-\d{2})(?:\s+(\d{4}-\d{2}-\d{2}))?\s+(\S+)(?:\s+(.*))?$/;
const NAME_MAX = 40;

function nextDay(iso) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

function isDay(iso) {
  const d = new Date(`${iso}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === iso;
}

/** The entered days as lines: consecutive days of the same kind and name on one line. */
function bulkLines(days) {
  const runs = [];
  for (const day of [...days].sort((a, b) => a.date.localeCompare(b.date))) {
    const last = runs[runs.length - 1];
    if (last && last.workday === day.workday && last.name === day.name && nextDay(last.to) === day.date) last.to = day.date;
    else runs.push({ from: day.date, to: day.date, workday: day.workday, name: day.name });
  }
  return runs.map((r) => [r.from, r.to !== r.from ? r.to : "", r.workday ? "上班" : "放假", r.name].filter(Boolean).join(" "));
}

/** The lines as the year's entries, or the first wrong line as a message key and values. */
function parseBulk(text, year) {
  const entries = [];
  const lineOf = new Map(); // day → the line that gave it, to name both lines of a day given twice
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line || line.startsWith("#")) continue;
    const n = i + 1;
    const m = LINE.exec(line);
    if (!m) return { error: ["Line %(n)s: expected first day, [last day,] off or work, [name]", { n }] };
    const [, from, to = from, kind, rest = ""] = m;
    if (!isDay(from) || !isDay(to)) return { error: ["Line %(n)s: not a date", { n }] };
    if (from.slice(0, 4) !== String(year) || to.slice(0, 4) !== String(year) || to < from) {
      return { error: ["Line %(n)s: the days must lie in %(y)s, the first before the last", { n, y: year }] };
    }
    const key = kind.toLowerCase();
    if (!OFF.has(key) && !WORK.has(key)) return { error: ["Line %(n)s: write off or work, not %(w)s", { n, w: kind }] };
    const name = rest.trim();
    if (name.length > NAME_MAX) return { error: ["Line %(n)s: the name is over %(m)s characters", { n, m: NAME_MAX }] };
    for (let day = from; day <= to; day = nextDay(day)) {
      if (lineOf.has(day)) return { error: ["Line %(n)s: %(d)s is also on line %(o)s", { n, d: day, o: lineOf.get(day) }] };
      lineOf.set(day, n);
    }
    entries.push({ from, to, workday: WORK.has(key), name });
  }
  return { entries, days: lineOf.size };
}

/** A message beside the box: the parser's (a key and values) or the API's ("中文 / English"). */
function bulkError(message) {
  const shown = !message ? [] : Array.isArray(message) ? [label(...message)] : [split(message).toString()];
  $("bulk-error").replaceChildren(...shown);
  $("bulk-error").hidden = !message;
}

function fillBulk(days) {
  $("bulk").hidden = !state.me.can_edit;
  $("bulk-text").value = bulkLines(days).join("\n");
  $("bulk-confirm").hidden = true;
  bulkError(null);
}

function wireBulk() {
  if (spec.name !== "calendar") return;
  $("bulk-save").onclick = () => {
    const year = state.year;
    const parsed = parseBulk($("bulk-text").value, year);
    bulkError(parsed.error);
    if (parsed.error) return;
    const ask = $("bulk-confirm");
    ask.replaceChildren(
      h("p", {}, label("Replace the %(n)s days entered for %(y)s with these %(m)s?", { n: state.rows.length, y: year, m: parsed.days })),
      h("button", { type: "button", onclick: () => (ask.hidden = true) }, label("Cancel")),
      h("button", { type: "button", class: "primary", dataset: { confirm: "year" }, onclick: async () => {
        ask.hidden = true;
        const answer = await call("PUT", `/admin/calendar/years/${year}`, { days: parsed.entries });
        if (answer.error) return bulkError(answer.error.message);
        const c = answer.changes;
        await load();
        flash(label("Saved: %(a)s added, %(c)s changed, %(r)s removed", { a: c.added, c: c.changed, r: c.removed }));
      } }, label("Save the year")),
    );
    ask.hidden = false;
  };
}

function wireYear() {
  if (spec.name !== "calendar") return;
  const wanted = Number(new URLSearchParams(location.search).get("year"));
  const coverage = state.me.calendar;
  state.year = wanted >= 2000 && wanted <= 2100 ? wanted : coverage.warning_year || Number(coverage.today.slice(0, 4));
  $("year").value = state.year;
  $("year").onchange = () => {
    const year = Number($("year").value);
    if (!(year >= 2000 && year <= 2100)) return;
    state.year = year;
    const url = new URL(location.href);
    url.searchParams.set("year", year);
    history.replaceState(null, "", url);
    load();
  };
}

async function start(login) {
  state.login = login;
  const me = await call("GET", "/admin/me");
  if (me.error) {
    if (me.error.code === "unauthorized" || me.error.code === "bad_token") return;
    $("refused-reason").replaceChildren(
      label("Only administrators may open the administration pages (managers: read-only)."), " ", split(me.error.message).toString());
    show("refused");
    return;
  }
  state.me = me;
  calendarWarning(me.calendar);
  $("who").textContent = `${me.staff.name} (${t(me.staff.role)})`;
  $("readonly").hidden = me.can_edit;
  const wanted = new URLSearchParams(location.search).get("hall");
  const halls = me.halls;
  state.hall = halls.find((x) => x.code === wanted)?.code || (HALL_PAGES.has(spec.name) || !me.can_edit ? halls[0]?.code : "") || "";
  const select = $("hall-select");
  select.replaceChildren(
    ...(HALL_PAGES.has(spec.name) || !me.can_edit ? [] : [h("option", { value: "" }, "—")]),
    ...halls.map((x) => h("option", { value: x.code }, `${x.name} (${x.code})`)),
  );
  select.value = state.hall;
  $("hall-pick").hidden = ["halls", "departments", "calendar"].includes(spec.name);
  wireYear();
  wireBulk();
  select.onchange = () => {
    state.hall = select.value;
    const url = new URL(location.href);
    if (state.hall) url.searchParams.set("hall", state.hall);
    else url.searchParams.delete("hall");
    history.replaceState(null, "", url);
    load();
  };
  $("add").hidden = !(me.can_edit && spec.add);
  $("add").onclick = openAdd;
  wirePairing();
  show("main");
  await load();
}

for (const button of document.querySelectorAll(".logout")) {
  button.addEventListener("click", async () => {
    if (state.login) await call("POST", "/auth/logout", {}).catch(() => null);
    forgetLogin();
    state.login = null;
    show("login");
  });
}

loginForm($("login-form"), api, t("The hub is unreachable; try again shortly."), start);
const saved = savedLogin();
if (saved) start(saved);
else show("login");
