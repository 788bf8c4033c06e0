/**
 * The project's 10-fold cross-validation (docs/experiments.md, "How the figures were made"),
 * driving the engine's own code: the importer, the codes pass (main/engine/codes) and the
 * training arithmetic of a run (model/head, model/vote, model/score), so a figure here is
 * what `graft train` would score with the same settings.
 *
 *   node dist/test/bench/cross-validation.js [--assignments 1,2,3] [--variants a,b] [--project file]
 *   node dist/test/bench/cross-validation.js --codes-timing [--project file]
 *
 * For each fold assignment (a seeded stratified deal into ten folds) and fold f: test = fold f,
 * validation = fold f+1 (picks the epoch), train = the other eight; the vote of the training and
 * validation images is appended as a run does. Every labelled photo is scored once per
 * assignment. Prints one line per variant and assignment, the paired differences against the
 * first variant, and each network's codes time per image and view; `--json` prints them as one
 * object. The project file (default: a folder under the system's temp folder) keeps the flowers
 * and their codes between runs, so a second run only trains. Not a `npm run bench` group: it
 * takes minutes, and it answers "is this setting better", not "is this build slower".
 *
 * `--codes-timing` instead times the codes pass a run would make for each variant's networks
 * and views, from no codes, in one pass as `graft train` makes it (each photo decoded once for
 * every network and view), the default first and last to show how the machine's load moved.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { View } from '../../shared/api/codes';
import { DEFAULTS } from '../../shared/defaults';
import { codeReaderOf, deleteCodes } from '../../main/engine/catalogue/codes';
import { labelledImages } from '../../main/engine/catalogue/splits';
import { ensureCodes } from '../../main/engine/codes/extract';
import { Engine } from '../../main/engine/engine';
import { importFolder } from '../../main/engine/importer';
import { buildFeatureTable, examplesOf, type FeatureTable } from '../../main/engine/model/features';
import { trainHead, type Tf } from '../../main/engine/model/head';
import { argMax } from '../../main/engine/model/metrics';
import { stratifiedFolds } from '../../main/engine/model/mistakes';
import { scoreModel } from '../../main/engine/model/score';
import { withVote } from '../../main/engine/model/vote';
import { getTf } from '../../main/engine/tf/runtime';
import { HEAD_DEFAULTS, voteSharesFor } from '../../main/engine/training/defaults';
import { flowersDir, modelsDir } from '../helpers/paths';

/** A setting to score: which networks, which views train, which views are averaged at prediction. */
interface Variant {
  name: string;
  backbones: string[];
  trainViews: View[];
  predictViews: View[];
}

const DEFAULT_BACKBONES = [...DEFAULTS.training.backbones.value];
const THIRD = 'mobilenet_v1_0.25_224';

const VARIANTS: Variant[] = [
  { name: 'default', backbones: DEFAULT_BACKBONES, trainViews: ['center'], predictViews: ['center'] },
  { name: 'flip-predict', backbones: DEFAULT_BACKBONES, trainViews: ['center'], predictViews: ['center', 'flip'] },
  { name: 'flip-train', backbones: DEFAULT_BACKBONES, trainViews: ['center', 'flip'], predictViews: ['center'] },
  { name: 'flip', backbones: DEFAULT_BACKBONES, trainViews: ['center', 'flip'], predictViews: ['center', 'flip'] },
  { name: 'third', backbones: [...DEFAULT_BACKBONES, THIRD], trainViews: ['center'], predictViews: ['center'] },
  { name: 'third+flip', backbones: [...DEFAULT_BACKBONES, THIRD], trainViews: ['center', 'flip'], predictViews: ['center', 'flip'] },
];

const FOLDS = 10;
const HEAD_SEED = DEFAULTS.training.seed.value;

interface Args {
  assignments: number[];
  variants: Variant[];
  project: string;
  json: boolean;
  codesTiming: boolean;
}

function parseArgs(argv: string[]): Args {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const names = value('--variants')?.split(',') ?? VARIANTS.map((v) => v.name);
  const unknown = names.filter((n) => !VARIANTS.some((v) => v.name === n));
  if (unknown.length) throw new Error(`No variant "${unknown[0]}". Variants: ${VARIANTS.map((v) => v.name).join(', ')}`);
  return {
    assignments: (value('--assignments') ?? '1,2,3').split(',').map(Number),
    variants: VARIANTS.filter((v) => names.includes(v.name)),
    project: value('--project') ?? path.join(os.tmpdir(), 'graft-cross-validation', 'flowers.graft'),
    json: argv.includes('--json'),
    codesTiming: argv.includes('--codes-timing'),
  };
}

/** Seconds per image and view of each network's codes, as the codes pass reported them. */
type CodesTimes = Record<string, { view: View; images: number; msPerImage: number; runtime: string }[]>;

async function computeCodes(engine: Engine, variants: Variant[], imageIds: number[]): Promise<CodesTimes> {
  const times: CodesTimes = {};
  const backbones = [...new Set(variants.flatMap((v) => v.backbones))];
  const views = [...new Set(variants.flatMap((v) => [...v.trainViews, ...v.predictViews]))];
  // One network and view at a time, so each figure is that pass alone (decoding included).
  for (const view of views) {
    for (const backbone of backbones) {
      const summary = await ensureCodes(engine.db, { backbones: [backbone], views: [view], modelsDir, imageIds });
      const b = summary.backbones[0];
      if (b && b.computed) {
        (times[backbone] ??= []).push({ view, images: b.computed, msPerImage: round((summary.seconds * 1000) / b.computed, 1), runtime: b.runtime });
        log(`codes ${backbone} ${view}: ${b.computed} in ${summary.seconds.toFixed(1)} s (${b.runtime})`);
      }
    }
  }
  return times;
}

/** Seconds of the codes pass a run of each variant makes from no codes (the networks' and views' union of the variant). */
async function timeCodesPasses(engine: Engine, variants: Variant[], imageIds: number[]): Promise<Array<{ variant: string; seconds: number; msPerImage: number }>> {
  const out: Array<{ variant: string; seconds: number; msPerImage: number }> = [];
  const all = [...new Set(VARIANTS.flatMap((v) => v.backbones))];
  for (const variant of [...variants, variants[0]]) {
    for (const backbone of all) deleteCodes(engine.db, backbone);
    const views = [...new Set([...variant.trainViews, ...variant.predictViews])];
    const t0 = Date.now();
    await ensureCodes(engine.db, { backbones: variant.backbones, views, modelsDir, imageIds });
    const seconds = (Date.now() - t0) / 1000;
    out.push({ variant: variant.name, seconds: round(seconds, 1), msPerImage: round((seconds * 1000) / imageIds.length, 1) });
    log(`codes pass for ${variant.name}: ${seconds.toFixed(1)} s (load ${os.loadavg()[0].toFixed(1)})`);
  }
  return out;
}

/** Out-of-fold accuracy (%) of one variant on one fold assignment. */
async function crossValidate(tf: Tf, table: FeatureTable, labels: Int32Array, k: number, variant: Variant, assignment: number): Promise<number> {
  const folds = stratifiedFolds(labels, k, FOLDS, assignment);
  let correct = 0;
  for (let f = 0; f < FOLDS; f++) {
    const test = folds[f];
    const validation = folds[(f + 1) % FOLDS];
    const train = folds.flatMap((rows, g) => (g === f || g === (f + 1) % FOLDS ? [] : rows));
    const trained = await trainHead(tf, {
      config: HEAD_DEFAULTS,
      seed: HEAD_SEED,
      classCount: k,
      train: examplesOf(table, train, labels, variant.trainViews),
      validation: examplesOf(table, validation, labels, ['center']),
    });
    // As the stored model of a run: training and validation images vote (fit-model.ts).
    const head = withVote(trained.params, examplesOf(table, [...train, ...validation], labels, ['center']), {
      temperature: HEAD_DEFAULTS.vote ?? 0,
      blocks: table.dims,
      shares: voteSharesFor(variant.backbones),
      seed: HEAD_SEED,
    });
    const probabilities = scoreModel(tf, head, table, test, variant.predictViews);
    test.forEach((row, r) => {
      if (argMax(probabilities, r * k, k) === labels[row]) correct++;
    });
  }
  return (100 * correct) / labels.length;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  fs.mkdirSync(path.dirname(args.project), { recursive: true });
  const engine = new Engine(args.project, { modelsDir });
  try {
    if (!labelledImages(engine.db).length) {
      const t0 = Date.now();
      const imported = await importFolder(engine.db, flowersDir);
      log(`imported ${imported.newImages} photos in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const images = labelledImages(engine.db);
    const classIds = [...new Set(images.map((i) => i.classId))];
    const labels = Int32Array.from(images, (i) => classIds.indexOf(i.classId));
    const ids = images.map((i) => i.imageId);
    if (args.codesTiming) {
      const passes = await timeCodesPasses(engine, args.variants, ids);
      process.stdout.write(`${JSON.stringify({ photos: images.length, passes })}\n`);
      return;
    }
    const codesTimes = await computeCodes(engine, args.variants, ids);
    const { tf } = await getTf();
    const results: Record<string, number[]> = {};
    for (const variant of args.variants) {
      const views = [...new Set([...variant.trainViews, ...variant.predictViews])];
      const table = buildFeatureTable(codeReaderOf(engine.db), variant.backbones, views, ids);
      if (table.missing.length) throw new Error(`${table.missing.length} photos have no codes for ${variant.name}`);
      results[variant.name] = [];
      for (const assignment of args.assignments) {
        const t0 = Date.now();
        const accuracy = await crossValidate(tf, table, labels, classIds.length, variant, assignment);
        results[variant.name].push(round(accuracy));
        log(`${variant.name} assignment ${assignment}: ${accuracy.toFixed(2)} (${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      }
    }
    const report = { photos: images.length, assignments: args.assignments, headSeed: HEAD_SEED, accuracy: results, codes: codesTimes };
    process.stdout.write(args.json ? `${JSON.stringify(report)}\n` : `${table(report.accuracy, args.assignments)}\n`);
  } finally {
    await engine.close();
  }
}

/** Per-assignment figures and their mean, and each row's paired differences against the first row. */
function table(accuracy: Record<string, number[]>, assignments: number[]): string {
  const rows = Object.entries(accuracy);
  const base = rows[0][1];
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const width = Math.max(...rows.map(([name]) => name.length));
  const lines = [`${''.padEnd(width)}  assignments ${assignments.join(' / ')}  = mean   (paired difference with ${rows[0][0]})`];
  for (const [name, xs] of rows) {
    const diffs = xs.map((x, i) => x - base[i]);
    const signed = (d: number) => `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(2)}`;
    lines.push(`${name.padEnd(width)}  ${xs.map((x) => x.toFixed(2)).join(' / ')} = ${mean(xs).toFixed(2)}   (${diffs.map(signed).join(' / ')} = ${signed(mean(diffs))})`);
  }
  return lines.join('\n');
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

function log(message: string): void {
  process.stderr.write(`cross-validation: ${message}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`cross-validation: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
