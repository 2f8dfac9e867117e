// Booking a later day from the phone: a matter, then its working days and free times from the
// hub, then a mobile number; the hub answers with the booking's secret link, which opens.
import { h, label, split, t, tr } from "hub";

const $ = (id) => document.getElementById(id);
const app = $("book-app");
const strings = JSON.parse($("strings").textContent);
const english = document.documentElement.lang === "en";
let days = [];

function bilingual(pair) {
  return pair.parts.map((text, i) =>
    h("span", { class: i === 0 && pair.parts.length === 2 ? "zh" : "en" }, text),
  ).flatMap((span, i) => (i ? [" ", span] : [span]));
}

function showError(message) {
  const box = $("book-error");
  box.hidden = !message;
  box.replaceChildren(...(message ? bilingual(message) : []));
  if (message) box.scrollIntoView({ block: "center" });
}

function hint(key) {
  $("slots-hint").hidden = !key;
  $("slots-hint").replaceChildren(key ? label(key) : "");
}

// "9月29日 周二 Tue 29 Sep": the day is the hall's calendar day, named the same on every phone.
function dayLabel(day) {
  const [, month, date] = day.date.split("-").map(Number);
  const months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const en = `${strings.day_en[day.weekday]} ${date} ${months[month - 1]}`;
  return english ? en : `${month}月${date}日 ${strings.day_zh[day.weekday]} ${en}`;
}

function showSlots() {
  const grid = $("slot-grid");
  grid.replaceChildren();
  const day = days.find((d) => d.date === $("book-day").value);
  if (!day) return;
  if (!day.slots.some((s) => s.free > 0)) hint("no_slots");
  else hint(null);
  for (const slot of day.slots) {
    const free = slot.free > 0;
    const input = h("input", {
      type: "radio",
      name: "slot",
      value: slot.starts_at,
      disabled: !free,
      "data-time": slot.time,
    });
    const left = free ? tr("places_left", { n: slot.free }) : tr("slot_full");
    grid.append(
      h(
        "label",
        { class: free ? "slot" : "slot full" },
        input,
        h("span", { class: "slot-time" }, slot.time),
        h("span", { class: "slot-free" }, ...bilingual(left)),
      ),
    );
  }
}

async function loadSlots() {
  showError("");
  const matter = $("book-matter").value;
  const select = $("book-day");
  select.replaceChildren();
  select.disabled = true;
  $("slot-grid").replaceChildren();
  if (!matter) {
    hint("choose_matter");
    return;
  }
  hint("loading");
  try {
    const url = `${app.dataset.slotsUrl}?matter=${encodeURIComponent(matter)}`;
    const response = await fetch(url, { cache: "no-store" });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      hint(null);
      showError(split(body?.error?.message || t("The hub did not answer; try again.")));
      return;
    }
    days = body.days.filter((d) => d.slots.length);
    if (!days.length) {
      hint("no_days");
      return;
    }
    for (const day of days) {
      const open = day.slots.some((s) => s.free > 0);
      select.append(h("option", { value: day.date, disabled: !open }, dayLabel(day)));
    }
    const first = days.find((d) => d.slots.some((s) => s.free > 0));
    if (first) select.value = first.date;
    select.disabled = false;
    showSlots();
  } catch {
    hint(null);
    showError(tr("The hub is unreachable; try again shortly."));
  }
}

async function submit(event) {
  event.preventDefault();
  showError("");
  const slot = document.querySelector("input[name=slot]:checked");
  if (!slot) {
    showError(tr("choose_time"));
    return;
  }
  const phone = $("book-phone").value.trim();
  const required = app.dataset.phoneRequired === "true";
  if ((phone || required) && !/^(\+?86)?1[3-9]\d{9}$/.test(phone.replace(/[\s()-]/g, ""))) {
    showError(tr("bad_phone"));
    $("book-phone").focus();
    return;
  }
  const button = $("book-submit");
  button.setAttribute("aria-disabled", "true");
  try {
    const response = await fetch(app.dataset.bookUrl, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ matter: $("book-matter").value, starts_at: slot.value, phone: phone || null }),
    });
    const body = await response.json().catch(() => ({}));
    if (response.status !== 201) {
      showError(split(body?.error?.message || t("The hub did not answer; try again.")));
      if (response.status === 409) loadSlots();
      return;
    }
    remember(body.booking);
    location.assign(body.booking.url);
  } catch {
    showError(tr("The hub is unreachable; try again shortly."));
  } finally {
    button.removeAttribute("aria-disabled");
  }
}

// The secret links of this phone's bookings (localStorage), offered again while they hold.
const KEY = `onewindow.bookings.${app.dataset.hall}`;

function stored() {
  try {
    return JSON.parse(localStorage.getItem(KEY) || "[]");
  } catch {
    return [];
  }
}

function remember(booking) {
  const kept = stored().filter((b) => Date.parse(b.until) > Date.now());
  kept.push({ url: booking.url, until: booking.check_in_until });
  try {
    localStorage.setItem(KEY, JSON.stringify(kept.slice(-10)));
  } catch {
    // Private browsing may refuse storage: the booking's page itself is what counts.
  }
}

async function showMine() {
  const list = $("my-bookings-list");
  for (const item of stored().filter((b) => Date.parse(b.until) > Date.now())) {
    const token = new URL(item.url, location.href).pathname.split("/").pop();
    try {
      const response = await fetch(`/api/v1/bookings/${encodeURIComponent(token)}`, { cache: "no-store" });
      if (!response.ok) continue;
      const { booking } = await response.json();
      if (booking.status !== "booked") continue;
      const day = booking.starts_at.slice(5, 10).replace("-", "/");
      const text = `${booking.matter_name} · ${day} ${booking.starts_at.slice(11, 16)}`;
      list.append(h("li", {}, h("a", { href: item.url, class: "mine-booking" }, text)));
      $("my-bookings").hidden = false;
    } catch {
      // Offline: nothing to offer now.
    }
  }
}

showMine();
$("book-matter").addEventListener("change", loadSlots);
$("book-day").addEventListener("change", showSlots);
$("book-form").addEventListener("submit", submit);
$("book-phone").addEventListener("input", () => showError(""));
$("slot-grid").addEventListener("change", () => showError(""));
if ($("book-matter").value) loadSlots();
