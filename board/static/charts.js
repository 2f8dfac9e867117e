// A small SVG chart library for the reports: vertical bars (one or two series), horizontal
// bars and a line, drawn as DOM nodes (no inline style: colours come from report.css).
const NS = "http://www.w3.org/2000/svg";

function el(tag, attrs = {}, text = null) {
  const node = document.createElementNS(NS, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (text != null) node.textContent = String(text);
  return node;
}

function niceMax(value) {
  if (!(value > 0)) return 1;
  const step = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * step >= value) return m * step;
  return 10 * step;
}

function frame(width, height, max, { left = 44, bottom = 28, format = String } = {}) {
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart-svg" });
  const plot = { x: left, y: 10, w: width - left - 24, h: height - 10 - bottom };
  for (let i = 0; i <= 4; i++) {
    const y = plot.y + plot.h - (plot.h * i) / 4;
    svg.append(el("line", { x1: plot.x, x2: plot.x + plot.w, y1: y, y2: y, class: "grid" }));
    svg.append(el("text", { x: plot.x - 6, y: y + 4, class: "axis", "text-anchor": "end" }, format((max * i) / 4)));
  }
  return { svg, plot };
}

/** Vertical bars per label; ``series`` is [{name, cls, values}] drawn side by side. */
export function barChart(labels, series, { width = 640, height = 240, format } = {}) {
  const max = niceMax(Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v != null))));
  const { svg, plot } = frame(width, height, max, { format });
  const slot = plot.w / Math.max(1, labels.length);
  const bar = (slot * 0.8) / series.length;
  labels.forEach((label, i) => {
    series.forEach((s, k) => {
      const value = s.values[i];
      if (value == null) return;
      const h = (plot.h * value) / max;
      const x = plot.x + i * slot + slot * 0.1 + k * bar;
      const rect = el("rect", { x, y: plot.y + plot.h - h, width: bar, height: h, class: `bar ${s.cls}` });
      rect.append(el("title", {}, `${label}: ${s.name} ${format ? format(value) : value}`));
      svg.append(rect);
    });
    svg.append(el("text", { x: plot.x + i * slot + slot / 2, y: height - 10, class: "axis", "text-anchor": "middle" }, label));
  });
  return svg;
}

/** Horizontal bars, one per label, largest first. */
export function hbarChart(labels, values, { width = 640, rowHeight = 22 } = {}) {
  const left = 160;
  const height = rowHeight * labels.length + 16;
  const max = niceMax(Math.max(0, ...values));
  const svg = el("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", class: "chart-svg" });
  labels.forEach((label, i) => {
    const y = 8 + i * rowHeight;
    const w = ((width - left - 60) * values[i]) / max;
    svg.append(el("text", { x: left - 8, y: y + rowHeight * 0.65, class: "axis", "text-anchor": "end" }, label));
    const rect = el("rect", { x: left, y: y + 3, width: w, height: rowHeight - 6, class: "bar main" });
    rect.append(el("title", {}, `${label}: ${values[i]}`));
    svg.append(rect);
    svg.append(el("text", { x: left + w + 6, y: y + rowHeight * 0.65, class: "value" }, values[i]));
  });
  return svg;
}

/** A line over labels (values may be null: the line breaks there), with dots. */
export function lineChart(labels, values, { width = 640, height = 220, max = null, format } = {}) {
  const top = max ?? niceMax(Math.max(0, ...values.filter((v) => v != null)));
  const { svg, plot } = frame(width, height, top, { format });
  const step = plot.w / Math.max(1, labels.length - 1 || 1);
  let path = "";
  labels.forEach((label, i) => {
    const x = plot.x + (labels.length === 1 ? plot.w / 2 : i * step);
    const value = values[i];
    if (value != null) {
      const y = plot.y + plot.h - (plot.h * value) / top;
      path += `${path && values[i - 1] != null ? "L" : "M"}${x.toFixed(1)},${y.toFixed(1)} `;
      const dot = el("circle", { cx: x, cy: y, r: 3.5, class: "dot" });
      dot.append(el("title", {}, `${label}: ${format ? format(value) : value}`));
      svg.append(dot);
    }
    if (labels.length <= 16 || i % Math.ceil(labels.length / 16) === 0) {
      svg.append(el("text", { x, y: height - 10, class: "axis", "text-anchor": "middle" }, label));
    }
  });
  svg.prepend(el("path", { d: path.trim(), class: "line" }));
  return svg;
}
