/**
 * Codes computed during an import (codes/import-codes.ts), from the same decode as each new
 * photo's thumbnail: they are the codes the codes step would compute, a training run then
 * computes none, a cancel leaves the project consistent, and without the networks' weights
 * the import is what it was. Real engine, real SQLite, real networks on ONNX Runtime (the
 * only runtime the import computes codes on), real photos.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import sharp from 'sharp';
import { DEFAULTS } from '../../shared/defaults';
import type { JobProgress } from '../../shared/jobs';
import { readCodes } from '../../main/engine/catalogue/codes';
import { call } from '../../main/engine/dispatch';
import { Engine } from '../../main/engine/engine';
import { inferenceChoice } from '../../main/engine/inference/inference-runtime';
import { flowersMiniDir, modelsDir, tempDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';

const tmp = tempDir('graft-import-codes-');
after(() => tmp.cleanup());
const backbones = [...DEFAULTS.training.backbones.value];
const onnx = inferenceChoice().onnx;
const skip = onnx ? false : 'the import computes codes only on ONNX Runtime, which does not load here';

/**
 * flowers-mini, plus photos that are decoded twice (rotated, PNG, large), a duplicate and a
 * damaged file, in two classes.
 */
async function mixedFolder(name: string): Promise<string> {
  const root = path.join(tmp.dir, name);
  for (const cls of fs.readdirSync(flowersMiniDir, { withFileTypes: true }).filter((d) => d.isDirectory())) {
    fs.cpSync(path.join(flowersMiniDir, cls.name), path.join(root, cls.name), { recursive: true });
  }
  const first = fs.readdirSync(path.join(root, 'daisy'))[0];
  fs.copyFileSync(path.join(root, 'daisy', first), path.join(root, 'roses', `copy-of-${first}`));
  const raw = Buffer.alloc(900 * 700 * 3);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 7 + ((i / 2700) | 0) * 3) & 255;
  const image = () => sharp(raw, { raw: { width: 900, height: 700, channels: 3 } });
  await image().jpeg().withMetadata({ orientation: 6 }).toFile(path.join(root, 'tulips', 'made-rotated.jpg'));
  await image().resize(300, 200).png().toFile(path.join(root, 'tulips', 'made.png'));
  await image().resize(1600).jpeg().toFile(path.join(root, 'tulips', 'made-large.jpg'));
  fs.writeFileSync(path.join(root, 'tulips', 'damaged.jpg'), fs.readFileSync(path.join(root, 'daisy', first)).subarray(0, 2000));
  return root;
}

/** Every cached code of the project, by image hash, backbone and view. */
function codesByHash(engine: Engine): Map<string, Float32Array> {
  const hashes = new Map((engine.db.prepare('SELECT id, hash FROM images').all() as Array<{ id: number; hash: string }>).map((r) => [r.id, r.hash]));
  const out = new Map<string, Float32Array>();
  for (const backbone of backbones) {
    for (const [id, code] of readCodes(engine.db, backbone, 'center')) out.set(`${hashes.get(id)} ${backbone}`, code);
  }
  return out;
}

const imageCount = (engine: Engine) => (engine.db.prepare('SELECT COUNT(*) AS n FROM images').get() as { n: number }).n;

describe('codes computed during an import', { skip }, () => {
  it('are cached for every new photo, the same as the codes step computes, and a run computes none', async () => {
    const folder = await mixedFolder('mixed');
    const during = new Engine(path.join(tmp.dir, 'during.graft'), { modelsDir });
    const after_ = new Engine(path.join(tmp.dir, 'after.graft'), { modelsDir });
    try {
      const summary = resultOf(await runToEnd(during, 'import', () => call(during, 'import.start', { folder, codes: { backbones, views: ['center'] } })));
      assert.equal(summary.newImages, 103, 'the 100 photos and the 3 made here (the copy is a duplicate)');
      assert.deepEqual(summary.skipped.map((s) => path.basename(s.path)), ['damaged.jpg']);
      const status = await call(during, 'codes.status', {});
      for (const backbone of backbones) {
        assert.equal(status.codes.find((c) => c.backbone === backbone && c.view === 'center')?.count, 103, `every new photo has its ${backbone} code`);
      }

      resultOf(await runToEnd(after_, 'import', () => call(after_, 'import.start', { folder })));
      assert.equal((await call(after_, 'codes.status', {})).codes.length, 0, 'without `codes`, the import computes none');
      resultOf(await runToEnd(after_, 'codes', () => call(after_, 'codes.start', { backbones })));
      const expected = codesByHash(after_);
      const got = codesByHash(during);
      assert.equal(got.size, expected.size);
      let worst = 0;
      for (const [key, code] of expected) {
        const other = got.get(key);
        assert.ok(other, `${key} was computed during the import`);
        for (let i = 0; i < code.length; i++) worst = Math.max(worst, Math.abs(code[i] - other[i]));
      }
      // The same pixels; only the batches' makeup differs.
      assert.ok(worst < 1e-5, `codes agree within 1e-5 (worst ${worst})`);

      const progress: JobProgress[] = [];
      const off = during.on('job.progress', (p) => {
        if (p.kind === 'train' && p.stage === 'codes') progress.push(p);
      });
      const run = resultOf(await runToEnd(during, 'train', () => call(during, 'train.start', { epochs: 5 })));
      off();
      assert.ok(run.accuracy.train > 0.5, 'the run trained');
      assert.equal(Math.max(0, ...progress.map((p) => p.total)), 0, 'the run had no codes to compute');
    } finally {
      await during.close();
      await after_.close();
    }
  });

  it('leave a cancelled import consistent, and the codes step computes the rest', async () => {
    const engine = new Engine(path.join(tmp.dir, 'cancelled.graft'), { modelsDir });
    try {
      let jobId: string | null = null;
      let cancelled = false;
      const off = engine.on('job.progress', (p) => {
        if (p.kind === 'import' && p.jobId === jobId && p.stage === 'import' && p.done >= 20 && !cancelled) {
          cancelled = true;
          void call(engine, 'jobs.cancel', { jobId: p.jobId });
        }
      });
      const ended = await runToEnd(engine, 'import', async () => {
        const started = await call(engine, 'import.start', { folder: flowersMiniDir, codes: { backbones, views: ['center'] } });
        jobId = started.jobId;
        return started;
      });
      off();
      assert.ok(cancelled, 'the import was cancelled on its way');
      const images = imageCount(engine);
      // The import waits for the networks, so it is stopped well before its 100th photo.
      assert.equal(ended.status, 'cancelled', 'the import reports the cancel');
      assert.ok(images >= 20 && images < 100, `the photos prepared before the cancel are kept (${images})`);
      const before = (await call(engine, 'codes.status', {})).codes.reduce((a, c) => a + c.count, 0);
      assert.ok(before <= images * backbones.length, `no more codes than images (${before} for ${images})`);

      const codes = resultOf(await runToEnd(engine, 'codes', () => call(engine, 'codes.start', { backbones })));
      assert.equal(codes.computed, images * backbones.length - before, 'the codes step computed exactly what was missing');
      assert.equal(codes.failed.length, 0);
    } finally {
      await engine.close();
    }
  });

  it('are left to the codes step when the networks’ weights are not on this machine', async () => {
    const empty = path.join(tmp.dir, 'no-models');
    fs.mkdirSync(empty, { recursive: true });
    const savedCache = process.env.GRAFT_CACHE_DIR;
    process.env.GRAFT_CACHE_DIR = path.join(tmp.dir, 'empty-cache');
    const engine = new Engine(path.join(tmp.dir, 'offline.graft'), { modelsDir: empty });
    try {
      const summary = resultOf(await runToEnd(engine, 'import', () => call(engine, 'import.start', { folder: flowersMiniDir, codes: { backbones, views: ['center'] } })));
      assert.equal(summary.newImages, 100, 'the import itself is unchanged');
      assert.equal((await call(engine, 'codes.status', {})).codes.length, 0, 'no codes, and no download during an import');
    } finally {
      await engine.close();
      if (savedCache === undefined) delete process.env.GRAFT_CACHE_DIR;
      else process.env.GRAFT_CACHE_DIR = savedCache;
    }
  });
});
