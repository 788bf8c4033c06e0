import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openProject } from '../../main/engine/catalogue/open';
import { ensureCodes, type CodesProgress } from '../../main/engine/codes/extract';
import { countCodes, readCodes } from '../../main/engine/catalogue/codes';
import { loadBackbone } from '../../main/engine/tf/backbone';
import { addFilesToCatalogue, listImageFiles } from '../helpers/catalogue-fixtures';
import { flowersMiniDir, graftBin, modelsDir, tempDir } from '../helpers/paths';
import { assertReportedRuntime, assertTestRuntime } from '../helpers/runtime';

const backbone = 'mobilenet_v1_0.25_224';

describe('codes: incremental, resumable extraction into the catalogue', () => {
  it('runs on the TF.js runtime GRAFT_RUNTIME forces, or on a fast one', assertTestRuntime);

  it('computes every missing code once, with flip views, reporting unreadable files', async () => {
    const { dir, cleanup } = tempDir();
    const db = openProject(path.join(dir, 'p.graft'));
    try {
      const files = listImageFiles(flowersMiniDir).slice(0, 30);
      const broken = path.join(dir, 'broken.jpg');
      fs.writeFileSync(broken, fs.readFileSync(files[0]).subarray(0, 500));
      const ids = addFilesToCatalogue(db, [...files, broken]);
      const progress: CodesProgress[] = [];
      const first = await ensureCodes(db, { backbones: [backbone], views: ['center', 'flip'], modelsDir, onProgress: (p) => progress.push(p) });
      assert.equal(first.computed, 60);
      assert.equal(first.cached, 0);
      assert.deepEqual(first.failed.map((f) => f.path), [broken]);
      assert.match(first.failed[0].reason, /damaged|truncated|decoded/);
      assertReportedRuntime(first.runtime);
      assert.ok(first.imagesPerSecond > 0);
      const last = progress.filter((p) => p.stage === 'codes').pop()!;
      assert.equal(last.total, 62);
      assert.equal(last.done, 62);
      assert.equal(countCodes(db, backbone, 'center'), 30);
      assert.equal(countCodes(db, backbone, 'flip'), 30);

      // The cached codes are the backbone's codes of the preprocessed image, flip included.
      const bb = await loadBackbone(backbone, { modelsDir });
      const [center, flip] = [await bb.embedImages([files[3]]), await bb.embedImages([files[3]], { flip: true })];
      const id = ids.get(files[3])!;
      const stored = readCodes(db, backbone, 'center', [id]).get(id)!;
      const storedFlip = readCodes(db, backbone, 'flip', [id]).get(id)!;
      assert.ok(stored.every((v, i) => Math.abs(v - center[0][i]) < 1e-4));
      assert.ok(storedFlip.every((v, i) => Math.abs(v - flip[0][i]) < 1e-4));
      assert.ok(stored.some((v, i) => Math.abs(v - storedFlip[i]) > 1e-3), 'the flip view differs');
      bb.dispose();

      const again = await ensureCodes(db, { backbones: [backbone], views: ['center', 'flip'], modelsDir });
      assert.equal(again.computed, 0);
      assert.equal(again.cached, 60);
      assert.equal(again.failed.length, 1, 'the broken file is retried, and fails again');
    } finally {
      db.close();
      cleanup();
    }
  });

  it('stops promptly when cancelled, keeps what it computed, and the next run does only the rest', async () => {
    const { dir, cleanup } = tempDir();
    const db = openProject(path.join(dir, 'p.graft'));
    try {
      addFilesToCatalogue(db, listImageFiles(flowersMiniDir));
      const controller = new AbortController();
      const first = await ensureCodes(db, {
        backbones: [backbone],
        modelsDir,
        signal: controller.signal,
        batchSize: 8,
        onProgress: (p) => {
          if (p.stage === 'codes' && p.done >= 24) controller.abort();
        },
      });
      assert.equal(first.cancelled, true);
      assert.ok(first.computed >= 24 && first.computed < 100, `computed ${first.computed}`);
      assert.equal(countCodes(db, backbone), first.computed);
      const second = await ensureCodes(db, { backbones: [backbone], modelsDir });
      assert.equal(second.computed, 100 - first.computed);
      assert.equal(second.cached, first.computed);
    } finally {
      db.close();
      cleanup();
    }
  });

  it('graft codes --json: all, then none, and after a kill only the rest', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const project = path.join(dir, 'p.graft');
      const db = openProject(project);
      addFilesToCatalogue(db, listImageFiles(flowersMiniDir));
      db.close();
      const env = { ...process.env, GRAFT_MODELS_DIR: modelsDir };
      const args = [graftBin, 'codes', '--project', project, '--backbone', backbone, '--json'];

      // Kill -9 once some codes are committed.
      const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      const watcher = openProject(project);
      await new Promise<void>((resolve, reject) => {
        const timer = setInterval(() => {
          try {
            if (countCodes(watcher, backbone) >= 20) {
              clearInterval(timer);
              child.kill('SIGKILL');
              resolve();
            }
          } catch (err) {
            clearInterval(timer);
            reject(err);
          }
        }, 50);
        child.on('exit', () => {
          clearInterval(timer);
          resolve();
        });
      });
      if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
      const kept = countCodes(watcher, backbone);
      watcher.close();
      assert.ok(kept >= 20 && kept < 100, `kept ${kept} codes after the kill`);

      const rest = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
      assert.equal(rest.status, 0, rest.stderr);
      const out = JSON.parse(rest.stdout) as Record<string, unknown>;
      assert.deepEqual(Object.keys(out).sort(), ['backbone', 'cached', 'computed', 'failed', 'imagesPerSecond', 'runtime', 'seconds']);
      assert.equal(out.backbone, backbone);
      assert.equal(out.computed, 100 - kept);
      assert.equal(out.cached, kept);
      assert.deepEqual(out.failed, []);
      assertReportedRuntime(out.runtime);
      assert.match(rest.stderr, /codes: \d+\/\d+/);

      const none = JSON.parse(spawnSync(process.execPath, args, { env, encoding: 'utf8' }).stdout) as { computed: number; cached: number };
      assert.equal(none.computed, 0);
      assert.equal(none.cached, 100);
    } finally {
      cleanup();
    }
  });
});
