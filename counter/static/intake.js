// The intake dialog: register a case (办件) from the ticket being served, over REST.
// It reads the window's current ticket from the page (#current[data-ticket]) and the staff
// token from this tab's sign-in; the hub checks that this clerk serves that ticket.
import { h, label, t } from "hub";
import { savedLogin } from "staff";

const config = document.getElementById("counter-config").dataset;
const $ = (id) => document.getElementById(id);
let ticket = null;
let matter = null;

async function api(path, options = {}) {
  const login = savedLogin();
  const response = await fetch(`${config.api}${path}`, {
    ...options,
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${login?.token || ""}`, ...(options.headers || {}) },
  });
  return { ok: response.ok, body: await response.json() };
}

function error(message) {
  $("intake-error").textContent = message || "";
  $("intake-error").hidden = !message;
}

async function loadMatter(id) {
  const { ok, body } = await api(`/matters/${id}`);
  if (!ok) return error(body.error?.message);
  matter = body.matter;
  $("intake-guide").replaceChildren(
    label(matter.kind),
    " · ",
    label("intake_kind", { days: matter.time_limit_days, legal: matter.statutory_limit_days }),
    ` · v${matter.version} (${matter.updated_at || ""})`,
  );
  $("intake-documents").replaceChildren(...matter.documents.map((d) =>
    h("li", {},
      h("label", {},
        h("input", { type: "checkbox", name: "documents", value: d.id, dataset: { document: d.id } }),
        ` ${d.name} `,
        h("span", { class: "tags" },
          label(d.required ? "intake_required" : "intake_optional"),
          d.core ? [" · ", label("intake_core")] : null,
          d.original ? null : [" · ", label("intake_copy")]),
      ))));
}

async function open() {
  const id = document.getElementById("current").dataset.ticket;
  error("");
  $("intake-result").hidden = true;
  if (!id) {
    $("intake-ticket").textContent = "";
    $("intake-dialog").showModal();
    return error(t("intake_no_ticket"));
  }
  const answer = await api(`/tickets/${id}`);
  if (!answer.ok) return error(answer.body.error?.message);
  ticket = answer.body.ticket;
  $("intake-ticket").textContent = ticket.number;
  const list = await api(`/halls/${encodeURIComponent(ticket.hall)}/matters`);
  const matters = list.body.matters || [];
  $("intake-matter").replaceChildren(...matters.map((m) =>
    h("option", { value: m.id, selected: m.code === ticket.matter }, `${m.name} ${m.name_en || ""}`)));
  $("intake-form").reset();
  const chosen = matters.find((m) => m.code === ticket.matter) || matters[0];
  if (chosen) $("intake-matter").value = chosen.id;
  $("intake-dialog").showModal();
  if (chosen) await loadMatter(chosen.id);
}

async function submit(event) {
  event.preventDefault();
  if (!ticket || !matter) return;
  const form = new FormData($("intake-form"));
  const body = {
    ticket: ticket.id,
    matter: matter.id,
    applicant: {
      kind: form.get("kind"),
      name: form.get("name").trim(),
      id_number: form.get("id_number").trim().toUpperCase(),
      phone: form.get("phone").trim(),
    },
    documents: form.getAll("documents").map(Number),
    outcome: form.get("outcome"),
    reason: form.get("reason").trim(),
    delivery: form.get("delivery"),
  };
  $("intake-submit").disabled = true;
  const { ok, body: answer } = await api("/cases", { method: "POST", body: JSON.stringify(body) });
  $("intake-submit").disabled = false;
  if (!ok) return error(answer.error?.message);
  error("");
  const c = answer.case;
  const result = $("intake-result");
  result.dataset.status = c.status;
  result.dataset.number = c.number;
  result.replaceChildren(
    h("p", {}, h("strong", {}, label("intake_done", { n: c.number })), " ", c.status_label),
    c.deadline ? h("p", {}, label("intake_deadline", { d: c.deadline })) : null,
    c.missing_documents.length ? h("p", {}, label("intake_missing", { m: c.missing_documents.map((m) => m.name).join("、") })) : null,
    h("p", {}, h("a", { href: c.notice_url, target: "_blank", rel: "noopener", id: "intake-notice" }, label("intake_notice"))),
  );
  result.hidden = false;
  result.scrollIntoView({ block: "nearest" });
}

$("intake-open").addEventListener("click", open);
$("intake-matter").addEventListener("change", (event) => loadMatter(event.target.value));
$("intake-form").addEventListener("submit", submit);
$("intake-cancel").addEventListener("click", () => $("intake-dialog").close());
