/**
 * A machine without ONNX Runtime, or without tfjs-node: Graft falls back to the next
 * runtime, says so (`graft doctor`, a line after the codes), and nothing else changes — the
 * codes equal ONNX Runtime's within 1e-4. The packages are hidden from the child `graft`
 * process (test/helpers/hide-packages.ts), not removed from the shared node_modules.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { RuntimeInfo } from '../../shared/api/codes';
import { openProject } from '../../main/engine/catalogue/open';
import { readCodes } from '../../main/engine/catalogue/codes';
import { addFilesToCatalogue, listImageFiles } from '../helpers/catalogue-fixtures';
import { flowersMiniDir, graftBin, modelsDir, tempDir } from '../helpers/paths';

const HIDE = path.join(__dirname, '..', 'helpers', 'hide-packages.js');
const BACKBONE = 'mobilenet_v1_0.25_224';

function graft(args: string[], hidden: string[]) {
  const env: NodeJS.ProcessEnv = { ...process.env, GRAFT_MODELS_DIR: modelsDir, GRAFT_TEST_HIDDEN_PACKAGES: hidden.join(',') };
  delete env.GRAFT_RUNTIME; // the fallback is what is tested, not a forced runtime
  return spawnSync(process.execPath, ['--require', HIDE, graftBin, ...args], { encoding: 'utf8', env, timeout: 300_000 });
}

/** A project with the first eight flowers-mini photos, in a fresh temp folder. */
function smallProject(): { file: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir('graft-fallback-');
  const file = path.join(dir, 'p.graft');
  const db = openProject(file);
  try {
    addFilesToCatalogue(db, listImageFiles(flowersMiniDir).slice(0, 8));
  } finally {
    db.close();
  }
  return { file, cleanup };
}

function codesOf(file: string): Map<number, Float32Array> {
  const db = openProject(file);
  try {
    return readCodes(db, BACKBONE);
  } finally {
    db.close();
  }
}

function codes(hidden: string[]): { runtime: string; stderr: string; vectors: Map<number, Float32Array> } {
  const p = smallProject();
  try {
    const r = graft(['codes', '--project', p.file, '--backbone', BACKBONE, '--json'], hidden);
    assert.equal(r.status, 0, r.stderr);
    const json = JSON.parse(r.stdout) as { computed: number; runtime: string };
    assert.equal(json.computed, 8);
    return { runtime: json.runtime, stderr: r.stderr, vectors: codesOf(p.file) };
  } finally {
    p.cleanup();
  }
}

function maxDiff(a: Map<number, Float32Array>, b: Map<number, Float32Array>): number {
  assert.deepEqual([...a.keys()].sort(), [...b.keys()].sort());
  let worst = 0;
  for (const [id, v] of a) {
    const w = b.get(id)!;
    assert.equal(v.length, w.length);
    for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i] - w[i]));
  }
  return worst;
}

describe('runtime fallback when a package is missing', () => {
  it('without onnxruntime-node: doctor names the reason, codes run on TF.js and equal ONNX Runtime’s within 1e-4', () => {
    const r = graft(['doctor', '--json'], ['onnxruntime-node']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as RuntimeInfo;
    assert.notEqual(info.inference.runtime, 'onnx');
    assert.ok(info.inference.runtime === 'tfjs-node' || info.inference.runtime === 'wasm', `inference on ${info.inference.runtime}`);
    const onnx = info.inference.runtimes.find((x) => x.name === 'onnx');
    assert.equal(onnx?.used, false);
    assert.match(onnx?.reason ?? '', /onnxruntime-node is not installed/);
    assert.equal(info.inference.onnxVersion, null);

    const fallback = codes(['onnxruntime-node']);
    assert.notEqual(fallback.runtime, 'onnx');
    assert.match(fallback.stderr, new RegExp(`The networks ran on ${fallback.runtime}, not ONNX Runtime \\(onnxruntime-node is not installed\\)`));
    const full = codes([]);
    assert.equal(full.runtime, 'onnx', 'with everything installed, ONNX Runtime runs the networks');
    assert.doesNotMatch(full.stderr, /not ONNX Runtime/);
    const diff = maxDiff(fallback.vectors, full.vectors);
    assert.ok(diff < 1e-4, `codes differ by ${diff}`);
  });

  it('without tfjs-node (and without ONNX Runtime): TF.js runs on wasm, and doctor says why tfjs-node is not used', () => {
    const r = graft(['doctor', '--json'], ['@tensorflow/tfjs-node', 'onnxruntime-node']);
    assert.equal(r.status, 0, r.stderr);
    const info = JSON.parse(r.stdout) as RuntimeInfo;
    assert.equal(info.runtime, 'wasm');
    assert.equal(info.inference.runtime, 'wasm');
    const native = info.runtimes.find((x) => x.name === 'tfjs-node');
    assert.equal(native?.used, false);
    assert.ok((native?.reason ?? '').length > 0, 'a reason for tfjs-node');

    const wasm = codes(['@tensorflow/tfjs-node', 'onnxruntime-node']);
    assert.equal(wasm.runtime, 'wasm');
  });
});
