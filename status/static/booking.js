// A phone booking's own page: cancel it (after asking); the page then shows it cancelled.
import { split, t } from "hub";

const $ = (id) => document.getElementById(id);
const app = $("booking-app");

function showError(text) {
  const box = $("booking-error");
  box.hidden = false;
  box.textContent = split(text).toString();
}

$("cancel-booking").addEventListener("click", () => $("cancel-booking-dialog").showModal());
$("cancel-booking-dialog").addEventListener("close", async () => {
  if ($("cancel-booking-dialog").returnValue !== "cancel") return;
  try {
    const response = await fetch(app.dataset.cancelUrl, { method: "POST" });
    if (response.ok || response.status === 409) {
      location.reload();
      return;
    }
    const body = await response.json().catch(() => ({}));
    showError(body?.error?.message || t("The hub did not answer; try again."));
  } catch {
    showError(t("The hub is unreachable; try again shortly."));
  }
});
