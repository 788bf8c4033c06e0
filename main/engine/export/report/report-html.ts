/**
 * The model report: one self-contained HTML file (inline CSS, inline SVG charts,
 * thumbnails as data URLs, no script) that reads the same offline, attached to an
 * e-mail or printed. Rendered from a plain data object so it can be tested, and
 * re-rendered, without a project.
 */
import type { ExportSnippet } from '../../../../shared/api/export';
import type { DeployableResult } from '../deployable-export';
import { esc, num, pct } from './html';
import type { EvaluationSummary } from './metrics';
import { barChart, lineChart } from './svg-charts';

export interface ReportEpoch {
  epoch: number;
  /** 'head' or 'fine-tune'; a change of stage is marked on the curves. */
  stage?: string;
  loss: number | null;
  accuracy: number | null;
  valLoss?: number | null;
  valAccuracy?: number | null;
}

export interface ReportMistake {
  /** File name shown under the thumbnail. */
  name: string;
  path?: string;
  label: string;
  predicted: string;
  /** The model's probability for `predicted`. */
  confidence: number;
  split?: string | null;
  /** `data:image/jpeg;base64,…` */
  thumbnail?: string | null;
}

export interface ReportData {
  projectName: string;
  generatedAt: string;
  appVersion: string;
  run: {
    id: string;
    createdAt: string | null;
    seconds: number | null;
    backbones: string[];
    seed: number | null;
    /** Every training setting, as stored with the run. */
    settings: Record<string, unknown>;
  } | null;
  classes: Array<{ name: string; color: string; count: number }>;
  unlabelled: number;
  splits: { train: number; validation: number; test: number };
  validation: EvaluationSummary | null;
  test: EvaluationSummary | null;
  history: ReportEpoch[];
  /** The head epoch whose weights were kept (early stopping), marked on the curves. */
  bestEpoch?: number | null;
  mistakes: ReportMistake[];
  /** What the folder beside the report holds, for the reader's orientation. */
  exportFormat?: string | null;
  /** The ONNX / TFLite files beside the report, with their runtime checks. */
  deployable?: DeployableResult | null;
  /** How to load and run each model file written. */
  snippets?: ExportSnippet[];
}

const TRAIN_COLOR = '#2563eb';
const VAL_COLOR = '#f97316';

export function renderReport(data: ReportData): string {
  const evalSet = data.test && data.test.examples ? { name: 'test', m: data.test } : data.validation ? { name: 'validation', m: data.validation } : null;
  const totalImages = data.classes.reduce((a, c) => a + c.count, 0);
  const title = `Model report: ${data.projectName}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Graft ${esc(data.appVersion)}">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header class="page-header">
  <div>
    <h1>${esc(data.projectName)}</h1>
    <p class="subtitle">Model report${data.run ? ` · run <code>${esc(data.run.id)}</code>` : ''} · generated ${esc(formatDate(data.generatedAt))}</p>
  </div>
  <div class="brand">Graft ${esc(data.appVersion)}</div>
</header>
<main>
${summaryCards(data, evalSet, totalImages)}
<div class="grid-2">
  <section class="card">
    <h2>Classes</h2>
    ${classesSection(data, totalImages)}
  </section>
  <section class="card">
    <h2>Splits</h2>
    ${splitsSection(data)}
  </section>
</div>
<section class="card">
  <h2>Accuracy per class${evalSet ? ` <span class="muted">on the ${evalSet.name} set (${evalSet.m.examples} images)</span>` : ''}</h2>
  ${evalSet ? perClassTable(evalSet.m, data) : empty('No evaluation yet: train a model to see per-class precision, recall and F1.')}
</section>
<section class="card">
  <h2>Confusion matrix${evalSet ? ` <span class="muted">${evalSet.name} set; rows are the true class, columns the prediction</span>` : ''}</h2>
  ${evalSet ? confusionMatrix(evalSet.m) : empty('No evaluation yet.')}
</section>
<section class="card">
  <h2>Training curves</h2>
  ${curves(data.history, data.bestEpoch ?? null)}
</section>
<section class="card">
  <h2>Likely label mistakes <span class="muted">images the model disagrees with most confidently: check their labels</span></h2>
  ${mistakes(data.mistakes)}
</section>
${deploySection(data)}
<section class="card">
  <h2>Settings</h2>
  ${settings(data)}
</section>
</main>
<footer>Made with Graft ${esc(data.appVersion)}. This page needs no network: charts and thumbnails are embedded.</footer>
</body>
</html>
`;
}

function summaryCards(data: ReportData, evalSet: { name: string; m: EvaluationSummary } | null, totalImages: number): string {
  const cards: Array<[string, string, string]> = [
    ['Test accuracy', data.test && data.test.examples ? pct(data.test.accuracy) : '–', data.test ? `${data.test.examples} images` : 'no test set'],
    ['Validation accuracy', data.validation && data.validation.examples ? pct(data.validation.accuracy) : '–', data.validation ? `${data.validation.examples} images` : 'no validation set'],
    ['Macro F1', evalSet ? num(evalSet.m.macroF1, 3) : '–', evalSet ? `${evalSet.name} set` : ''],
    ['Classes', String(data.classes.length), `${totalImages.toLocaleString('en-US')} labelled images`],
  ];
  return `<div class="cards">${cards
    .map(([k, v, note]) => `<div class="stat"><div class="stat-label">${esc(k)}</div><div class="stat-value">${esc(v)}</div><div class="stat-note">${esc(note)}</div></div>`)
    .join('')}</div>`;
}

function classesSection(data: ReportData, totalImages: number): string {
  if (!data.classes.length) return empty('No classes.');
  const chart = barChart(
    data.classes.map((c) => ({ label: c.name, value: c.count, color: c.color, note: totalImages ? `${Math.round((100 * c.count) / totalImages)}%` : undefined })),
    { title: 'Images per class', width: 460 },
  );
  const unlabelled = data.unlabelled ? `<p class="muted">${data.unlabelled.toLocaleString('en-US')} unlabelled images are not part of this model.</p>` : '';
  return chart + unlabelled;
}

function splitsSection(data: ReportData): string {
  const { train, validation, test } = data.splits;
  const total = train + validation + test;
  if (!total) return empty('The images have not been split yet.');
  const seg = (n: number, cls: string, label: string) =>
    n ? `<div class="seg ${cls}" style="flex:${n}" title="${esc(label)}: ${n}"></div>` : '';
  const row = (n: number, cls: string, label: string, what: string) =>
    `<tr><td><span class="dot ${cls}"></span>${esc(label)}</td><td class="n">${n.toLocaleString('en-US')}</td><td class="n">${pct(n / total, 0)}</td><td class="muted">${esc(what)}</td></tr>`;
  return `<div class="splitbar">${seg(train, 'train', 'Train')}${seg(validation, 'validation', 'Validation')}${seg(test, 'test', 'Test')}</div>
<table class="table compact"><tbody>
${row(train, 'train', 'Train', 'the head learns from these')}
${row(validation, 'validation', 'Validation', 'chooses when to stop')}
${row(test, 'test', 'Test', 'held out: the honest score')}
</tbody></table>`;
}

function perClassTable(m: EvaluationSummary, data: ReportData): string {
  const colorOf = new Map(data.classes.map((c) => [c.name, c.color]));
  const bar = (v: number) => `<span class="meter"><span style="width:${(v * 100).toFixed(1)}%"></span></span>`;
  const rows = m.perClass
    .map(
      (c) => `<tr><td><span class="swatch" style="background:${esc(colorOf.get(c.label) ?? '#888')}"></span>${esc(c.label)}</td>
<td class="n">${num(c.precision)}${bar(c.precision)}</td><td class="n">${num(c.recall)}${bar(c.recall)}</td><td class="n">${num(c.f1)}${bar(c.f1)}</td><td class="n">${c.support}</td></tr>`,
    )
    .join('\n');
  return `<table class="table"><thead><tr><th>Class</th><th class="n">Precision</th><th class="n">Recall</th><th class="n">F1</th><th class="n">Images</th></tr></thead>
<tbody>${rows}</tbody>
<tfoot><tr><td>All classes</td><td class="n" colspan="2">accuracy ${pct(m.accuracy)}</td><td class="n">${num(m.macroF1)} <span class="muted">macro</span></td><td class="n">${m.examples}</td></tr></tfoot></table>`;
}

function confusionMatrix(m: EvaluationSummary): string {
  const labels = m.perClass.map((c) => c.label);
  const head = labels.map((l) => `<th class="col"><div title="${esc(l)}">${esc(l)}</div></th>`).join('');
  const rows = m.confusion
    .map((row, i) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      const cells = row
        .map((v, j) => {
          const share = v / total;
          const color = i === j ? `rgba(22,163,74,${(0.12 + share * 0.78).toFixed(3)})` : v ? `rgba(220,38,38,${(0.1 + share * 0.8).toFixed(3)})` : 'transparent';
          const dark = share > 0.55;
          return `<td class="cell${dark ? ' dark' : ''}" style="background:${color}" title="true ${esc(labels[i])}, predicted ${esc(labels[j])}: ${v}">${v || '<span class="zero">·</span>'}</td>`;
        })
        .join('');
      return `<tr><th class="row">${esc(labels[i])}</th>${cells}<td class="n muted">${pct((row[i] ?? 0) / total, 0)}</td></tr>`;
    })
    .join('\n');
  return `<div class="scroll"><table class="confusion"><thead><tr><th class="corner">true ↓ / predicted →</th>${head}<th class="n muted">recall</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

function curves(history: ReportEpoch[], bestEpoch: number | null): string {
  if (!history.length) return empty('No training history was recorded for this run.');
  const markers: Array<{ at: number; label: string }> = [];
  const best = history.findIndex((h) => (h.stage ?? 'head') === 'head' && h.epoch === bestEpoch);
  if (best >= 0 && best < history.length - 1) markers.push({ at: best, label: 'kept' });
  history.forEach((h, i) => {
    if (i > 0 && h.stage && h.stage !== history[i - 1].stage) markers.push({ at: i, label: h.stage });
  });
  const hasVal = history.some((h) => h.valLoss != null || h.valAccuracy != null);
  const loss = lineChart(
    [
      { name: 'train', color: TRAIN_COLOR, values: history.map((h) => h.loss) },
      ...(hasVal ? [{ name: 'validation', color: VAL_COLOR, values: history.map((h) => h.valLoss ?? null), dashed: true }] : []),
    ],
    { title: 'Loss', xLabel: 'epoch', markers },
  );
  const acc = lineChart(
    [
      { name: 'train', color: TRAIN_COLOR, values: history.map((h) => h.accuracy) },
      ...(hasVal ? [{ name: 'validation', color: VAL_COLOR, values: history.map((h) => h.valAccuracy ?? null), dashed: true }] : []),
    ],
    { title: 'Accuracy', xLabel: 'epoch', yDomain: [0, 1], yFormat: (v) => `${Math.round(v * 100)}%`, markers },
  );
  return `<div class="charts">${loss}${acc}</div>`;
}

function mistakes(list: ReportMistake[]): string {
  if (!list.length) return empty('None found: every labelled image agrees with the model, or no predictions were made yet.');
  return `<div class="mistakes">${list
    .map(
      (m) => `<figure class="mistake">
  ${m.thumbnail ? `<img src="${esc(m.thumbnail)}" alt="${esc(m.name)}">` : '<div class="noimg">no preview</div>'}
  <figcaption>
    <div class="labels"><span class="was" title="current label">${esc(m.label)}</span> → <span class="now" title="model's prediction">${esc(m.predicted)}</span></div>
    <div class="muted">${pct(m.confidence, 0)} sure${m.split ? ` · ${esc(m.split)}` : ''}</div>
    <div class="fname" title="${esc(m.path ?? m.name)}">${esc(m.name)}</div>
  </figcaption>
</figure>`,
    )
    .join('\n')}</div>`;
}

function settings(data: ReportData): string {
  const rows: Array<[string, unknown]> = [];
  if (data.run) {
    rows.push(['Run', data.run.id]);
    rows.push(['Backbone', data.run.backbones.join(' + ')]);
    rows.push(['Seed', data.run.seed]);
    if (data.run.createdAt) rows.push(['Trained', formatDate(data.run.createdAt)]);
    if (data.run.seconds != null) rows.push(['Training time', `${data.run.seconds.toFixed(1)} s`]);
    for (const [k, v] of flatten(data.run.settings)) {
      if (['seed', 'backbone', 'backbones'].includes(k)) continue;
      rows.push([k, v]);
    }
  }
  if (data.exportFormat) rows.push(['Exported model format', data.exportFormat]);
  rows.push(['Graft version', data.appVersion]);
  return `<table class="table compact settings"><tbody>${rows
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td><code>${esc(typeof v === 'string' ? v : JSON.stringify(v))}</code></td></tr>`)
    .join('')}</tbody></table>`;
}

/** Nested settings as dotted keys, so the table stays two columns. */
function flatten(obj: Record<string, unknown>, prefix = ''): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [k, v] of Object.entries(obj ?? {})) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) out.push(...flatten(v as Record<string, unknown>, key));
    else out.push([key, v]);
  }
  return out;
}

function empty(text: string): string {
  return `<p class="empty">${esc(text)}</p>`;
}

function formatDate(iso: string): string {
  const d = new Date(iso);
  if (isNaN(d.getTime())) return iso;
  return d.toISOString().replace('T', ' ').replace(/:\d\d\.\d+Z$/, ' UTC');
}

const STYLE = `
:root{--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--bg:#f6f7f9;--card:#fff;--accent:#2563eb;--train:${TRAIN_COLOR};--val:${VAL_COLOR};--test:#7c3aed}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#f3f4f6;padding:1px 4px;border-radius:4px}
.page-header{display:flex;justify-content:space-between;align-items:flex-end;padding:28px 40px 20px;background:linear-gradient(135deg,#1e3a8a,#2563eb);color:#fff}
.page-header h1{margin:0;font-size:26px;font-weight:650;letter-spacing:-.01em}
.page-header .subtitle{margin:4px 0 0;opacity:.85}
.page-header code{background:rgba(255,255,255,.16);color:#fff}
.brand{font-weight:600;opacity:.8}
main{max-width:1120px;margin:0 auto;padding:24px 40px 8px}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:16px;margin-bottom:16px}
.stat{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}
.stat-label{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.stat-value{font-size:28px;font-weight:650;margin-top:2px;font-variant-numeric:tabular-nums}
.stat-note{color:var(--muted);font-size:12px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:16px 20px;margin-bottom:16px;break-inside:avoid}
.card h2{margin:0 0 12px;font-size:16px;font-weight:650}
.card h2 .muted{font-weight:400;font-size:13px;margin-left:6px}
.grid-2{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.grid-2 .card{margin-bottom:16px}
.muted{color:var(--muted)}
.empty{color:var(--muted);font-style:italic;margin:4px 0}
.table{border-collapse:collapse;width:100%}
.table th,.table td{padding:7px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:middle}
.table thead th{font-size:12px;color:var(--muted);font-weight:600;text-transform:uppercase;letter-spacing:.04em}
.table tfoot td{font-weight:600;border-bottom:none}
.table.compact th,.table.compact td{padding:5px 8px}
.table .n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.settings th{width:38%;font-weight:500;color:#374151}
.swatch{display:inline-block;width:10px;height:10px;border-radius:3px;margin-right:8px;vertical-align:0}
.meter{display:inline-block;width:70px;height:6px;background:#eef2f7;border-radius:3px;margin-left:10px;vertical-align:2px;overflow:hidden}
.meter span{display:block;height:100%;background:var(--accent)}
.splitbar{display:flex;height:14px;border-radius:7px;overflow:hidden;margin:6px 0 12px;background:#eef2f7}
.seg.train,.dot.train{background:var(--train)}.seg.validation,.dot.validation{background:var(--val)}.seg.test,.dot.test{background:var(--test)}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:8px}
.scroll{overflow-x:auto}
.confusion{border-collapse:separate;border-spacing:3px;font-variant-numeric:tabular-nums}
.confusion th{font-weight:500;font-size:12px;color:#374151}
.confusion th.row{text-align:right;padding-right:8px;white-space:nowrap;max-width:180px;overflow:hidden;text-overflow:ellipsis}
.confusion th.col div{max-width:90px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap;padding:0 4px}
.confusion th.corner{font-size:11px;color:var(--muted);text-align:right;font-weight:400}
.confusion td.cell{min-width:54px;height:38px;text-align:center;border-radius:6px;border:1px solid #f0f1f3;font-weight:600}
.confusion td.cell.dark{color:#fff}
.confusion .zero{color:#cbd5e1}
.charts{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.chart{max-width:100%;height:auto;font-family:inherit}
.chart .chart-title{font-size:13px;font-weight:650;fill:#111827}
.chart .grid{stroke:#eef0f3}.chart .axis{stroke:#9ca3af}
.chart .tick{font-size:11px;fill:#6b7280}.chart .axis-label{font-size:11px;fill:#6b7280}
.chart .legend{font-size:11px;fill:#374151}
.chart .marker{stroke:#9ca3af;stroke-dasharray:3 3}.chart .marker-label{font-size:11px;fill:#6b7280}
.chart .bar-label{font-size:12px;fill:#374151}.chart .bar-value{font-size:12px;fill:#111827;font-weight:600}
.chart .muted{fill:#9ca3af;font-weight:400}
.mistakes{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:14px}
.mistake{margin:0;border:1px solid var(--line);border-radius:8px;overflow:hidden;background:#fafafa}
.mistake img,.mistake .noimg{display:block;width:100%;aspect-ratio:1;object-fit:cover;background:#e5e7eb}
.mistake .noimg{display:flex;align-items:center;justify-content:center;color:var(--muted);font-size:12px}
.mistake figcaption{padding:7px 9px;font-size:12px}
.mistake .labels{font-weight:600}
.mistake .was{color:#b91c1c;text-decoration:line-through;text-decoration-thickness:1px}
.mistake .now{color:#15803d}
.mistake .fname{color:var(--muted);white-space:nowrap;overflow:hidden;text-overflow:ellipsis;font-size:11px}
footer{text-align:center;color:var(--muted);font-size:12px;padding:8px 0 28px}
@media (max-width:820px){.cards{grid-template-columns:repeat(2,1fr)}.grid-2,.charts{grid-template-columns:1fr}main{padding:16px}}
@media print{body{background:#fff}.page-header{background:none;color:#111;border-bottom:2px solid #111}.card{border-color:#ccc}}
pre.snippet{background:#0f172a;color:#e2e8f0;padding:12px;border-radius:6px;overflow-x:auto;font-size:12px;line-height:1.4}
h3{font-size:14px;margin:16px 0 6px}
`;

/** The model files written beside the report: sizes, the runtime checks, refusals, and how to run each. */
function deploySection(data: ReportData): string {
  const snippets = data.snippets ?? [];
  const d = data.deployable;
  if (!snippets.length && !d?.refused.length) return '';
  const rows = (d?.files ?? [])
    .map((f) => `<tr><td><code>${esc(f.file)}</code></td><td>${esc(f.format === 'onnx' ? `ONNX, opset ${f.opset}` : 'TensorFlow Lite')}</td><td>${esc(f.weights)}</td><td class="n">${esc((f.bytes / 1e6).toFixed(2))} MB</td><td>${f.check ? `${f.check.ok ? 'passed' : 'FAILED'}: ${esc(f.check.runtime)}, ${esc(f.check.detail)}` : '<span class="muted">not checked</span>'}</td></tr>`)
    .join('');
  const refused = (d?.refused ?? []).map((r) => `<li><code>${esc(r.file)}</code> not written: ${esc(r.reason)}</li>`).join('');
  const code = snippets.map((s) => `<h3>${esc(s.title)} <span class="muted"><code>${esc(s.file)}</code></span></h3><pre class="snippet"><code>${esc(s.code)}</code></pre>`).join('');
  return `<section class="card">
  <h2>Run the model <span class="muted">input: the centre square of a photo, RGB 0…255, NHWC; see deployable.json</span></h2>
  ${rows ? `<table><thead><tr><th>File</th><th>Format</th><th>Weights</th><th class="n">Size</th><th>Check</th></tr></thead><tbody>${rows}</tbody></table>` : ''}
  ${refused ? `<ul>${refused}</ul>` : ''}
  ${code}
</section>`;
}
