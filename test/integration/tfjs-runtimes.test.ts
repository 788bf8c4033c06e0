/**
 * The TF.js runtimes side by side: GRAFT_RUNTIME chooses one and `graft doctor --json` says
 * why each other one is not in use; a forced tfjs-node that cannot load fails in one
 * sentence; and native TensorFlow (tfjs-node) gives the codes wasm gives, within 1e-4, for
 * every built-in backbone whose files are here, at 224 and 320 px.
 *
 * Without tfjs-node (a plain `npm ci` where its libtensorflow cannot download) the
 * comparison is skipped; under `node test/run.js --runtime tfjs-node` it must run.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { RuntimeInfo } from '../../shared/api/codes';
import { openProject } from '../../main/engine/catalogue/open';
import { getBackbone } from '../../main/engine/tf/registry';
import { addFilesToCatalogue, listImageFiles } from '../helpers/catalogue-fixtures';
import { flowersMiniDir, graftBin, modelsDir, tempDir, testdataDir } from '../helpers/paths';
import { BACKEND_OF, forcedRuntime, graftStderrLines } from '../helpers/runtime';
import { codesOnRuntime } from '../helpers/runtime-codes-worker';

/** Every built-in entry whose files ship in ../shared/models: three at 224, the TF Hub graph at 224, two at 320. */
const BACKBONES = [
  'mobilenet_v1_0.25_224',
  'mobilenet_v1_0.75_224',
  'mobilenet_v2_0.35_224_notop',
  'tfhub_mobilenet_v1_025_224_classification',
  'mobilenet_v1_0.75_224_at320',
  'mobilenet_v2_0.35_224_notop_at320',
];

function graft(args: string[], env: Record<string, string | undefined>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, GRAFT_MODELS_DIR: modelsDir };
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) delete childEnv[k];
    else childEnv[k] = v;
  }
  return spawnSync(process.execPath, [graftBin, ...args], { encoding: 'utf8', env: childEnv, timeout: 300_000 });
}

function doctor(env: Record<string, string | undefined>): RuntimeInfo {
  const r = graft(['doctor', '--json'], env);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as RuntimeInfo;
}

/** Whether @tensorflow/tfjs-node loads in a fresh Node process here (its addon and libtensorflow). */
function tfjsNodeLoads(): { loads: boolean; error: string } {
  const probe = "try { require('@tensorflow/tfjs-node') } catch (e) { console.error(String(e.message).split('\\n')[0]); process.exit(1) }";
  const r = spawnSync(process.execPath, ['-e', probe], {
    cwd: path.dirname(graftBin),
    encoding: 'utf8',
    env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' },
  });
  return { loads: r.status === 0, error: r.stderr.trim() };
}

const native = tfjsNodeLoads();

describe('TF.js runtimes: GRAFT_RUNTIME, graft doctor, and tfjs-node against wasm', () => {
  it('GRAFT_RUNTIME=wasm and =cpu force those, and doctor says why each other runtime is not used', () => {
    const wasm = doctor({ GRAFT_RUNTIME: 'wasm' });
    assert.equal(wasm.runtime, 'wasm');
    assert.equal(wasm.requested, 'wasm');
    assert.equal(wasm.wasmSimd, true);
    assert.deepEqual(wasm.runtimes.map((r) => [r.name, r.used]), [['tfjs-node', false], ['wasm', true], ['cpu', false]]);
    assert.match(wasm.runtimes[0].reason!, /GRAFT_RUNTIME=wasm/);
    assert.equal(wasm.runtimes[1].reason, null);

    const cpu = doctor({ GRAFT_RUNTIME: 'cpu' });
    assert.equal(cpu.runtime, 'cpu', 'GRAFT_RUNTIME=cpu is the explicit opt-in');
    assert.match(cpu.runtimes[1].reason!, /GRAFT_RUNTIME=cpu/);

    const bad = doctor({ GRAFT_RUNTIME: 'tensorflow' });
    assert.equal(bad.runtime, null);
    assert.match(bad.runtimeError!, /GRAFT_RUNTIME="tensorflow" is not a runtime: use onnx, tfjs-node or wasm/);
  });

  it('unset or onnx, TF.js takes tfjs-node when it loads, else wasm, and plain JS only when allowed', () => {
    for (const requested of [undefined, 'onnx']) {
      const info = doctor({ GRAFT_RUNTIME: requested, GRAFT_ALLOW_CPU: undefined });
      assert.equal(info.requested, requested ?? null);
      assert.equal(info.runtime, native.loads ? 'tfjs-node' : 'wasm', native.error);
      const [node, wasm, cpu] = info.runtimes;
      if (native.loads) {
        assert.match(info.tensorflowVersion!, /^\d+\.\d+/);
        assert.match(wasm.reason!, /tfjs-node comes first/);
      } else {
        assert.match(node.reason!, /is not installed|does not load/);
      }
      assert.match(cpu.reason!, /GRAFT_ALLOW_CPU=1/);
    }
  });

  it('GRAFT_RUNTIME=tfjs-node runs on native TensorFlow where it loads, and otherwise fails in one sentence naming the cause and the fix', () => {
    if (forcedRuntime() === 'tfjs-node') assert.ok(native.loads, `this run forces tfjs-node, but it does not load: ${native.error}`);
    const info = doctor({ GRAFT_RUNTIME: 'tfjs-node' });
    if (native.loads) {
      assert.equal(info.runtime, 'tfjs-node');
      assert.deepEqual(info.runtimes.map((r) => r.used), [true, false, false]);
      assert.match(info.runtimes[1].reason!, /GRAFT_RUNTIME=tfjs-node/);
      return;
    }
    assert.equal(info.runtime, null, 'no quiet fallback to wasm');
    // The same refusal from a command that needs TF.js, as a user meets it.
    const { dir, cleanup } = tempDir();
    try {
      const project = path.join(dir, 'p.graft');
      const db = openProject(project);
      addFilesToCatalogue(db, listImageFiles(flowersMiniDir).slice(0, 4));
      db.close();
      const r = graft(['codes', '--project', project, '--backbone', 'mobilenet_v1_0.25_224'], { GRAFT_RUNTIME: 'tfjs-node' });
      assert.notEqual(r.status, 0);
      // Besides progress lines, exactly one: the reason and the fix, no stack trace.
      const lines = graftStderrLines(r.stderr).filter((l) => !/^(load|codes): /.test(l));
      assert.equal(lines.length, 1, r.stderr);
      assert.match(lines[0], /^graft codes: GRAFT_RUNTIME=tfjs-node, but @tensorflow\/tfjs-node (is not installed|does not load)/);
      assert.match(lines[0], /npm run stage:tfjs-node/);
      assert.match(lines[0], /unset GRAFT_RUNTIME to use wasm\.$/);
    } finally {
      cleanup();
    }
  });

  it('tfjs-node gives the codes wasm gives, within 1e-4, for every built-in backbone at 224 and 320 px', async (t) => {
    if (!native.loads) {
      assert.notEqual(forcedRuntime(), 'tfjs-node', `this run forces tfjs-node, but it does not load: ${native.error}`);
      t.skip(`@tensorflow/tfjs-node does not load here (run "npm run stage:tfjs-node"): ${native.error}`);
      return;
    }
    for (const id of BACKBONES) assert.ok(getBackbone(id).builtin, id);
    const flowers = listImageFiles(flowersMiniDir);
    const images = [
      path.join(testdataDir, 'chelsea.png'),
      path.join(testdataDir, 'coffee.png'),
      // One photo of each class, whatever their order on disk.
      ...['daisy', 'dandelion', 'roses', 'sunflowers', 'tulips'].map((c) => flowers.find((f) => f.includes(`${path.sep}${c}${path.sep}`))!),
    ];
    for (const f of images) assert.ok(f && fs.existsSync(f), `missing test image ${f}`);
    const job = { backbones: BACKBONES, images, modelsDir };
    // One at a time: each uses every core on its own.
    const onWasm = await codesOnRuntime('wasm', job);
    const onNode = await codesOnRuntime('tfjs-node', job);
    assert.equal(onWasm.runtime, 'wasm');
    assert.equal(onWasm.backend, BACKEND_OF.wasm);
    assert.equal(onNode.runtime, 'tfjs-node');
    assert.equal(onNode.backend, BACKEND_OF['tfjs-node']);
    for (const side of [onWasm, onNode]) assert.equal(side.tensors.after, side.tensors.before, `${side.runtime} leaked tensors`);

    const worst: string[] = [];
    for (const id of BACKBONES) {
      const [a, b] = [onWasm.codes[id], onNode.codes[id]];
      assert.equal(a.length, images.length, id);
      assert.equal(b.length, images.length, id);
      let max = 0;
      for (let i = 0; i < images.length; i++) {
        assert.equal(a[i].length, getBackbone(id).dim, id);
        assert.equal(b[i].length, a[i].length, id);
        assert.ok(a[i].some((v) => v !== 0), `${id}: wasm codes are all zero`);
        for (let j = 0; j < a[i].length; j++) max = Math.max(max, Math.abs(a[i][j] - b[i][j]));
      }
      worst.push(`${id} ${max.toExponential(2)}`);
      assert.ok(max <= 1e-4, `${id}: tfjs-node and wasm codes differ by up to ${max}`);
    }
    t.diagnostic(`largest difference per backbone: ${worst.join(', ')}`);
  });
});
