// The open figures, read again every 5 minutes and changed in place: no page reload (a timed
// meta refresh moves a reader's place and focus without warning, WCAG 2.2.1).
const app = document.getElementById("open-app");
const FORMAT = {
  issued: (f) => f.issued,
  served: (f) => f.served,
  median_wait: (f) => (f.median_wait_s == null ? "–" : (Math.round(f.median_wait_s / 6) / 10).toString()),
  service_level: (f) => pct(f.service_level),
  one_trip_rate: (f) => pct(f.one_trip_rate),
  on_time_rate: (f) => pct(f.on_time_rate),
  good_rate: (f) => pct(f.good_rate),
  bad: (f) => f.bad,
  fixed: (f) => f.fixed,
};

function pct(value) {
  return value == null ? "–" : `${(value * 100).toFixed(1)}%`;
}

async function refresh() {
  try {
    const response = await fetch(app.dataset.api, { cache: "no-store" });
    if (!response.ok) return;
    const figures = (await response.json()).open;
    for (const key of ["today", "month"]) {
      const section = document.getElementById(`open-${key}`);
      for (const dd of section?.querySelectorAll("[data-figure]") || []) {
        const format = FORMAT[dd.dataset.figure];
        if (format && figures[key]) dd.textContent = String(format(figures[key]));
      }
    }
  } catch {
    // Offline for a moment: the last figures stay until the next round.
  }
}

setInterval(refresh, 300000);
