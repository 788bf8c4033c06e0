/**
 * Small static SVG charts for the offline report: no script, no fonts or images
 * fetched, so the file reads the same in any browser, in an e-mail attachment or
 * printed to PDF.
 */
import { esc } from './html';

export interface Series {
  name: string;
  color: string;
  /** y values by x index; null leaves a gap. */
  values: Array<number | null>;
  dashed?: boolean;
}

export interface LineChartOptions {
  title: string;
  width?: number;
  height?: number;
  /** Labels under the x axis. */
  xLabel?: string;
  /** Fixed y range, e.g. [0, 1] for accuracy; otherwise fitted to the data. */
  yDomain?: [number, number];
  yFormat?: (v: number) => string;
  /** x positions (0-based) where a vertical marker is drawn, e.g. the start of fine-tuning. */
  markers?: Array<{ at: number; label: string }>;
}

/** "Nice" tick values covering [lo, hi] (1, 2, 5 × 10^k steps). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) ticks.push(Number(v.toFixed(12)));
  return ticks;
}

export function lineChart(series: Series[], options: LineChartOptions): string {
  const width = options.width ?? 520;
  const height = options.height ?? 260;
  const pad = { left: 48, right: 16, top: 34, bottom: 40 };
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const points = Math.max(1, ...series.map((s) => s.values.length));
  const finite = series.flatMap((s) => s.values.filter((v): v is number => v != null && isFinite(v)));
  let [y0, y1] = options.yDomain ?? [Math.min(0, ...finite), Math.max(...finite, 1e-9)];
  if (!options.yDomain) {
    const ticks = niceTicks(y0, y1);
    y1 = Math.max(y1, ticks[ticks.length - 1]);
  }
  if (y1 <= y0) y1 = y0 + 1;
  const fmt = options.yFormat ?? ((v: number) => String(Number(v.toPrecision(3))));
  const x = (i: number) => pad.left + (points === 1 ? plotW / 2 : (i * plotW) / (points - 1));
  const y = (v: number) => pad.top + plotH - ((v - y0) / (y1 - y0)) * plotH;

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(options.title)}" class="chart">`,
  );
  parts.push(`<text x="${pad.left}" y="18" class="chart-title">${esc(options.title)}</text>`);
  for (const t of niceTicks(y0, y1)) {
    parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${y(t).toFixed(1)}" y2="${y(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${pad.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(fmt(t))}</text>`);
  }
  const xTicks = niceTicks(1, points, Math.min(points, 8)).filter((t) => Number.isInteger(t));
  for (const t of xTicks) {
    parts.push(`<text x="${x(t - 1).toFixed(1)}" y="${height - pad.bottom + 16}" text-anchor="middle" class="tick">${t}</text>`);
  }
  parts.push(`<line x1="${pad.left}" x2="${width - pad.right}" y1="${pad.top + plotH}" y2="${pad.top + plotH}" class="axis"/>`);
  if (options.xLabel) {
    parts.push(`<text x="${pad.left + plotW / 2}" y="${height - 6}" text-anchor="middle" class="axis-label">${esc(options.xLabel)}</text>`);
  }
  for (const m of options.markers ?? []) {
    const mx = x(m.at).toFixed(1);
    parts.push(`<line x1="${mx}" x2="${mx}" y1="${pad.top}" y2="${pad.top + plotH}" class="marker"/>`);
    parts.push(`<text x="${(x(m.at) + 4).toFixed(1)}" y="${pad.top + 12}" class="marker-label">${esc(m.label)}</text>`);
  }
  for (const s of series) {
    let d = '';
    let penDown = false;
    s.values.forEach((v, i) => {
      if (v == null || !isFinite(v)) {
        penDown = false;
        return;
      }
      d += `${penDown ? 'L' : 'M'}${x(i).toFixed(1)} ${y(Math.min(y1, Math.max(y0, v))).toFixed(1)} `;
      penDown = true;
    });
    if (!d) continue;
    parts.push(
      `<path d="${d.trim()}" fill="none" stroke="${esc(s.color)}" stroke-width="2" stroke-linejoin="round"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
    );
    if (points <= 40) {
      s.values.forEach((v, i) => {
        if (v != null && isFinite(v)) parts.push(`<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2.2" fill="${esc(s.color)}"/>`);
      });
    }
  }
  // Legend, top right.
  let lx = width - pad.right;
  for (const s of [...series].reverse()) {
    const w = 26 + s.name.length * 6.6;
    lx -= w;
    parts.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="14" y2="14" stroke="${esc(s.color)}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 4"' : ''}/>`,
      `<text x="${lx + 22}" y="18" class="legend">${esc(s.name)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Horizontal bars, one per item, with the value at the end of the bar. */
export function barChart(items: Array<{ label: string; value: number; color: string; note?: string }>, options: { width?: number; title: string }): string {
  const width = options.width ?? 520;
  const rowH = 24;
  const labelW = Math.min(180, 20 + Math.max(40, ...items.map((i) => i.label.length * 7)));
  const height = items.length * rowH + 16;
  const max = Math.max(1, ...items.map((i) => i.value));
  const barMax = width - labelW - 90;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(options.title)}" class="chart">`,
  ];
  items.forEach((item, i) => {
    const top = 8 + i * rowH;
    const w = Math.max(1, (item.value / max) * barMax);
    const label = item.label.length > 24 ? `${item.label.slice(0, 23)}…` : item.label;
    parts.push(
      `<text x="${labelW - 10}" y="${top + 15}" text-anchor="end" class="bar-label">${esc(label)}</text>`,
      `<rect x="${labelW}" y="${top + 3}" width="${w.toFixed(1)}" height="${rowH - 8}" rx="3" fill="${esc(item.color)}"/>`,
      `<text x="${(labelW + w + 6).toFixed(1)}" y="${top + 15}" class="bar-value">${esc(item.value)}${item.note ? ` <tspan class="muted">${esc(item.note)}</tspan>` : ''}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
