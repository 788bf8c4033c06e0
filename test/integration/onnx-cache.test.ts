/**
 * The compiled-model cache: a backbone is compiled once and read back while nothing
 * changes; changed weights give a new file (and the stale one goes); a damaged cached
 * file is compiled again instead of failing; nothing half-written is left behind.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { compiledBackbone, compileKey } from '../../main/engine/onnx/compiled-cache';
import { startOnnxBackbone } from '../../main/engine/onnx/onnx-backbone';
import { decodeForNetwork } from '../../main/engine/tf/preprocess';
import { getBackbone, type BackboneSpec } from '../../main/engine/tf/registry';
import { resolveWeights } from '../../main/engine/tf/weights';
import { modelsDir, tempDir, testdataDir } from '../helpers/paths';

const tmp = tempDir('graft-onnx-cache-');
after(() => tmp.cleanup());

/** A private copy of MobileNet v1 0.25 as a user-added backbone (no published checksums). */
function userCopy(name: string): { spec: BackboneSpec; folder: string } {
  const folder = path.join(tmp.dir, name);
  fs.cpSync(path.join(modelsDir, 'mobilenet_v1_0.25_224'), folder, { recursive: true });
  const base = getBackbone('mobilenet_v1_0.25_224');
  const spec: BackboneSpec = { ...base, id: name, builtin: false, folder, files: undefined, source: undefined };
  return { spec, folder };
}

const onnxFiles = (dir: string) => fs.readdirSync(dir).sort();

describe('compiled-model cache', () => {
  it('reuses the compiled file while the weights are unchanged and rebuilds it when they change', () => {
    const cacheDir = path.join(tmp.dir, 'cache-a');
    const { spec, folder } = userCopy('my_net');
    const first = compiledBackbone(spec, folder, { cacheDir });
    assert.equal(first.from, 'compiled');
    const second = compiledBackbone(spec, folder, { cacheDir });
    assert.equal(second.from, 'cache');
    assert.equal(second.file, first.file);
    assert.deepEqual(Buffer.from(second.bytes), Buffer.from(first.bytes));

    // The same network at another size is another file, kept beside the first.
    const at320 = compiledBackbone({ ...spec, inputSize: 320 }, folder, { cacheDir });
    assert.equal(at320.from, 'compiled');
    assert.notEqual(at320.file, first.file);

    // New weights in the folder (the first convolution's kernel, doubled).
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'model.json'), 'utf8')) as { weightsManifest: Array<{ paths: string[]; weights: Array<{ name: string }> }> };
    const group = manifest.weightsManifest.find((g) => g.weights.some((w) => w.name === 'conv1/kernel'))!;
    const shard = path.join(folder, group.paths[0]);
    const bytes = fs.readFileSync(shard);
    const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
    for (let i = 0; i < floats.length; i++) floats[i] *= 2;
    fs.writeFileSync(shard, Buffer.from(floats.buffer));

    const third = compiledBackbone(spec, folder, { cacheDir });
    assert.equal(third.from, 'compiled');
    assert.notEqual(third.key, first.key);
    assert.notDeepEqual(Buffer.from(third.bytes), Buffer.from(first.bytes));
    const files = onnxFiles(cacheDir);
    assert.ok(!files.includes(path.basename(first.file)), 'the stale file is removed');
    assert.deepEqual(files, [path.basename(third.file), path.basename(at320.file)].sort(), 'one file per size, nothing half-written');
    assert.equal(compiledBackbone(spec, folder, { cacheDir }).from, 'cache');
  });

  it('keys built-ins by their published checksums, so a second start reads the cache', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-b');
    const spec = getBackbone('mobilenet_v1_0.25_224');
    const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
    assert.equal(compileKey(spec, dir), compileKey(spec, dir));
    assert.notEqual(compileKey(spec, dir), compileKey({ ...spec, inputSize: 320 }, dir));
    const a = await startOnnxBackbone(spec, dir, { cacheDir, layout: { workers: 1 } });
    await a.close();
    const b = await startOnnxBackbone(spec, dir, { cacheDir, layout: { workers: 1 } });
    await b.close();
    assert.deepEqual([a.from, b.from], ['compiled', 'cache']);
  });

  it('compiles again when the cached file is damaged', async () => {
    const cacheDir = path.join(tmp.dir, 'cache-c');
    const { spec, folder } = userCopy('damaged_net');
    const first = compiledBackbone(spec, folder, { cacheDir });
    fs.truncateSync(first.file, 1000);
    const bb = await startOnnxBackbone(spec, folder, { cacheDir, layout: { workers: 1 } });
    try {
      assert.equal(bb.from, 'compiled');
      const rgb = await decodeForNetwork(path.join(testdataDir, 'coffee.png'), 224);
      const codes = await bb.embed(rgb, 1);
      assert.equal(codes.length, 256);
      assert.ok(codes.some((v) => v > 0.1));
    } finally {
      await bb.close();
    }
    assert.equal(fs.statSync(first.file).size, first.bytes.length, 'the damaged file was replaced');
  });
});
