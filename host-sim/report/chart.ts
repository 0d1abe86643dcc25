// Loss and accuracy curves as a self-contained SVG (no dependencies, opens in any browser).
export interface Series {
  name: string;
  color: string;
  values: number[];
  /** Which y axis: loss on the left (auto-scaled), accuracy on the right (0..1). */
  axis: "loss" | "accuracy";
}

const escape = (s: string) => s.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

export function lossAccuracyChart(title: string, xLabel: string, series: Series[]): string {
  const W = 720, H = 400, left = 60, right = 60, top = 40, bottom = 50;
  const plotW = W - left - right, plotH = H - top - bottom;
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const finiteLoss = series.filter((s) => s.axis === "loss").flatMap((s) => s.values).filter(Number.isFinite);
  const lossMax = finiteLoss.length ? Math.max(...finiteLoss) * 1.05 || 1 : 1;
  const x = (i: number) => left + (plotW * i) / (n - 1);
  const y = (v: number, axis: Series["axis"]) => top + plotH * (1 - (axis === "loss" ? v / lossMax : v));
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="15">${escape(title)}</text>`,
    `<rect x="${left}" y="${top}" width="${plotW}" height="${plotH}" fill="none" stroke="#999"/>`,
  ];
  for (let t = 0; t <= 4; t++) {
    const f = t / 4, yy = top + plotH * (1 - f);
    parts.push(`<line x1="${left}" x2="${left + plotW}" y1="${yy}" y2="${yy}" stroke="#eee"/>`);
    parts.push(`<text x="${left - 6}" y="${yy + 4}" text-anchor="end">${(lossMax * f).toFixed(2)}</text>`);
    parts.push(`<text x="${left + plotW + 6}" y="${yy + 4}">${Math.round(f * 100)}%</text>`);
  }
  parts.push(`<text x="${left + plotW / 2}" y="${H - 12}" text-anchor="middle">${escape(xLabel)} (1..${n})</text>`);
  parts.push(`<text x="16" y="${top + plotH / 2}" transform="rotate(-90 16 ${top + plotH / 2})" text-anchor="middle">loss</text>`);
  parts.push(`<text x="${W - 12}" y="${top + plotH / 2}" transform="rotate(90 ${W - 12} ${top + plotH / 2})" text-anchor="middle">accuracy</text>`);
  series.forEach((s, k) => {
    const points = s.values.map((v, i) => (Number.isFinite(v) ? `${x(i).toFixed(1)},${y(v, s.axis).toFixed(1)}` : "")).filter(Boolean);
    if (points.length) parts.push(`<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${points.join(" ")}"/>`);
    parts.push(`<rect x="${left + 10 + k * 150}" y="${top + 8}" width="12" height="3" fill="${s.color}"/>`);
    parts.push(`<text x="${left + 26 + k * 150}" y="${top + 13}">${escape(s.name)}</text>`);
  });
  parts.push("</svg>");
  return parts.join("\n");
}
