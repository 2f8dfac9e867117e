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
    // Pickup staff without a ticket: the results to send by post (邮寄).
    if (await openPostOnly()) return;
    $("intake-ticket").textContent = "";
    $("intake-dialog").showModal();
    return error(t("intake_no_ticket"));
  }
  const answer = await api(`/tickets/${id}`);
  if (!answer.ok) return error(answer.body.error?.message);
  ticket = answer.body.ticket;
  if (ticket.source === "pickup") return openHandover();
  $("intake-ticket").textContent = ticket.number;
  const list = await api(`/halls/${encodeURIComponent(ticket.hall)}/matters`);
  const matters = list.body.matters || [];
  $("intake-matter").replaceChildren(...matters.map((m) =>
    h("option", { value: m.id, selected: m.code === ticket.matter }, `${m.name} ${m.name_en || ""}`)));
  $("intake-form").reset();
  $("intake-address-field").hidden = true;
  $("intake-address").required = false;
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
    address: form.get("delivery") === "post" ? (form.get("address") || "").trim() : "",
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
  // replaceChildren would write a null as the text "null": leave the absent lines out.
  result.replaceChildren(...[
    h("p", {}, h("strong", {}, label("intake_done", { n: c.number })), " ", c.status_label),
    c.deadline ? h("p", {}, label("intake_deadline", { d: c.deadline })) : null,
    c.missing_documents.length ? h("p", {}, label("intake_missing", { m: c.missing_documents.map((m) => m.name).join("、") })) : null,
    h("p", {}, h("a", { href: c.notice_url, target: "_blank", rel: "noopener", id: "intake-notice" }, label("intake_notice"))),
    answer.print ? h("p", { id: "intake-printing" }, label("intake_printing")) : null,
  ].filter(Boolean));
  result.hidden = false;
  result.scrollIntoView({ block: "nearest" });
}

// ---- hand-over at the pickup window: the case of the pickup ticket being served ----
let handing = null;

async function openHandover() {
  $("handover-ticket").textContent = ticket.number;
  $("handover-error").hidden = true;
  $("handover-to").value = "";
  const { ok, body } = await api(`/cases?ticket=${ticket.id}`);
  const ready = ok ? body.cases.filter((c) => c.pickup_ticket === ticket.number) : [];
  handing = ready.find((c) => c.status === "ready") || null;
  $("handover-cases").replaceChildren(...(ready.length
    ? ready.map((c) => h("li", { dataset: { case: c.number, status: c.status } },
      h("strong", {}, c.number), ` ${c.matter.name} · ${c.applicant.name} · ${c.status_label}`,
      c.decision ? ` · ${c.decision === "approved" ? "准予 / approved" : "不予许可 / rejected"}` : ""))
    : [h("li", {}, label("handover_none"))]));
  $("handover-submit").disabled = !handing;
  $("handover-submit").hidden = false;
  $("handover-to-field").hidden = false;
  await loadPost();
  $("handover-dialog").showModal();
}

// ---- 邮寄: decided cases that go by post, handed over with their tracking number ----
async function loadPost() {
  const { ok, body } = await api(`/halls/${encodeURIComponent(config.hall)}/post-cases`);
  $("post-section").hidden = !ok;
  if (!ok) return false;
  $("post-cases").replaceChildren(...(body.cases.length
    ? body.cases.map(postRow)
    : [h("li", {}, label("post_none"))]));
  return true;
}

function postRow(c) {
  const address = h("span", { class: "post-address" }, c.address);
  const tracking = h("input", { maxlength: 60, autocomplete: "off", "aria-label": t("post_tracking"), placeholder: t("post_tracking") });
  const reveal = h("button", { type: "button", onclick: async () => {
    const { ok, body } = await api(`/cases/${c.id}/address`);
    if (ok) address.textContent = body.address;
  } }, label("post_address"));
  const send = h("button", { type: "button", class: "primary", onclick: async () => {
    const { ok, body } = await api(`/cases/${c.id}/hand-over`, {
      method: "POST",
      body: JSON.stringify({ tracking: tracking.value.trim() }),
    });
    $("handover-error").hidden = false;
    $("handover-error").classList.toggle("is-ok", ok);
    $("handover-error").replaceChildren(ok ? label("handover_done", { n: body.case.number }) : body.error?.message || "");
    if (ok) row.dataset.status = "closed";
  } }, label("post_send"));
  const row = h("li", { dataset: { case: c.number, status: c.status } },
    h("strong", {}, c.number), ` ${c.matter.name} · ${c.applicant.name} · `, address, " ", reveal, " ", tracking, " ", send);
  return row;
}

async function openPostOnly() {
  if (!(await loadPost())) return false;
  handing = null;
  $("handover-ticket").textContent = "";
  $("handover-error").hidden = true;
  $("handover-cases").replaceChildren();
  $("handover-to-field").hidden = true;
  $("handover-submit").hidden = true;
  $("handover-dialog").showModal();
  return true;
}

async function handOver(event) {
  event.preventDefault();
  if (!handing) return;
  const { ok, body } = await api(`/cases/${handing.id}/hand-over`, {
    method: "POST",
    body: JSON.stringify({ to: $("handover-to").value.trim() }),
  });
  $("handover-error").hidden = false;
  $("handover-error").replaceChildren(ok ? label("handover_done", { n: body.case.number }) : body.error?.message || "");
  $("handover-error").classList.toggle("is-ok", ok);
  if (ok) {
    handing = null;
    $("handover-submit").disabled = true;
    $(`handover-cases`).querySelector("li").dataset.status = "closed";
  }
}

$("handover-form").addEventListener("submit", handOver);
$("handover-cancel").addEventListener("click", () => $("handover-dialog").close());
$("intake-open").addEventListener("click", open);
$("intake-matter").addEventListener("change", (event) => loadMatter(event.target.value));
$("intake-form").addEventListener("submit", submit);
// 邮寄: the address is asked for only when the result goes by post.
$("intake-delivery").addEventListener("change", (event) => {
  const post = event.target.value === "post";
  $("intake-address-field").hidden = !post;
  $("intake-address").required = post;
});
$("intake-cancel").addEventListener("click", () => $("intake-dialog").close());
