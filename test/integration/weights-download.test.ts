import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GraftError } from '../../main/engine/errors';
import { loadBackbone } from '../../main/engine/tf/backbone';
import { checksums } from '../../main/engine/tf/checksums';
import { getBackbone, type BackboneSpec } from '../../main/engine/tf/registry';
import { PINNED_CHECKSUMS_FILE, downloadBackbone, resolveWeights, verifyModelFolder, type DownloadProgress } from '../../main/engine/tf/weights';
import { modelsDir, tempDir } from '../helpers/paths';

/**
 * A loopback HTTP server serving ../shared/models as if it were the official storage:
 * `/models/<id>/<file>`; `/cut/<id>/<file>` sends half of a file then drops the
 * connection; `/bad/<id>/<file>` serves model.json intact but flips a byte of weights.
 */
let server: http.Server;
let base = '';
const requests: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const m = /^\/(models|cut|bad)\/([^/]+)\/([^/?]+)/.exec(req.url ?? '');
    const file = m && path.join(modelsDir, m[2], m[3]);
    if (!m || !file || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    if (m[1] === 'cut' && m[3] !== 'model.json') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
      return;
    }
    if (m[1] === 'bad' && m[3] !== 'model.json') body[body.length >> 1] ^= 0xff;
    res.writeHead(200, { 'content-length': body.length }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

const specFor = (id: string, route: string, withChecksums = true): BackboneSpec => ({
  ...getBackbone(id),
  source: { baseUrl: `${base}/${route}/${id}`, homepage: 'http://localhost', license: 'Apache-2.0' },
  files: withChecksums ? checksums[id] : undefined,
});

describe('weights: download, verification and resolution order', () => {
  it('downloads with progress, verifies every checksum, moves into the cache atomically, and loads', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const spec = specFor('mobilenet_v1_0.25_224', 'models');
      const seen: DownloadProgress[] = [];
      const resolved = await resolveWeights(spec, { modelsDir: path.join(dir, 'no-such-models-dir'), cacheDir: path.join(dir, 'cache'), onProgress: (p) => seen.push(p) });
      assert.equal(resolved.from, 'download');
      assert.equal(resolved.dir, path.join(dir, 'cache', spec.id));
      const total = Object.values(checksums[spec.id]).reduce((a, [, b]) => a + b, 0);
      assert.ok(seen.length > 10, 'progress reported');
      assert.equal(seen[seen.length - 1].receivedBytes, total);
      assert.equal(seen[0].totalBytes, total);
      assert.ok(seen.every((p, i) => i === 0 || p.receivedBytes >= seen[i - 1].receivedBytes), 'progress only grows');
      // Nothing temporary left beside the entry.
      assert.deepEqual(fs.readdirSync(path.join(dir, 'cache')), [spec.id]);
      verifyModelFolder(resolved.dir, spec);

      // Second time: from the cache, without a request.
      const n = requests.length;
      assert.equal((await resolveWeights(spec, { modelsDir: path.join(dir, 'none'), cacheDir: path.join(dir, 'cache') })).from, 'cache');
      assert.equal(requests.length, n);

      const bb = await loadBackbone(spec, { weightsDir: resolved.dir });
      assert.equal(bb.dim, 256);
      bb.dispose();
    } finally {
      cleanup();
    }
  });

  it('pins checksums on first download when the registry has none', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const spec = specFor('mobilenet_v2_0.35_224_notop', 'models', false);
      const where = await downloadBackbone(spec, dir);
      const pinned = JSON.parse(fs.readFileSync(path.join(where, PINNED_CHECKSUMS_FILE), 'utf8')) as Record<string, [string, number]>;
      assert.deepEqual(pinned, JSON.parse(JSON.stringify(checksums[spec.id])));
      // A later change to a pinned file is caught.
      fs.appendFileSync(path.join(where, 'group1-shard1of1.bin'), Buffer.from([0]));
      assert.throws(() => verifyModelFolder(where, spec), /group1-shard1of1\.bin.*too long/);
    } finally {
      cleanup();
    }
  });

  it('rejects a download whose checksum does not match, naming the URL, and keeps nothing', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const spec = specFor('mobilenet_v2_0.35_224_notop', 'bad');
      await assert.rejects(downloadBackbone(spec, dir), (e: unknown) => {
        assert.ok(e instanceof GraftError);
        assert.match(e.message, /Checksum mismatch for http:\/\/127\.0\.0\.1:\d+\/bad\/mobilenet_v2_0\.35_224_notop\/group1-shard1of1\.bin/);
        assert.match(e.message, /GRAFT_MODELS_DIR/);
        return true;
      });
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });

  it('reports an interrupted download and keeps nothing', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const spec = specFor('mobilenet_v2_0.35_224_notop', 'cut');
      await assert.rejects(downloadBackbone(spec, dir), /interrupted/);
      assert.deepEqual(fs.readdirSync(dir), []);
    } finally {
      cleanup();
    }
  });

  it('says how to work offline when the server cannot be reached', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const spec: BackboneSpec = { ...getBackbone('mobilenet_v1_0.25_224'), source: { baseUrl: 'http://127.0.0.1:9/x', homepage: '', license: '' } };
      await assert.rejects(resolveWeights(spec, { modelsDir: dir, cacheDir: dir }), (e: unknown) => {
        assert.ok(e instanceof GraftError);
        assert.match(e.message, /Cannot download mobilenet_v1_0\.25_224 from http:\/\/127\.0\.0\.1:9\/x\/model\.json/);
        assert.match(e.message, /GRAFT_MODELS_DIR to a folder holding mobilenet_v1_0\.25_224\/model\.json/);
        return true;
      });
      const local = getBackbone('mobilenet_v2_0.35_224_notop');
      await assert.rejects(resolveWeights(local, { modelsDir: dir, cacheDir: dir }), /No backbone weights for mobilenet_v2_0\.35_224_notop/);
    } finally {
      cleanup();
    }
  });

  it('rejects a local folder with a missing or truncated weight file, naming the file', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const id = 'mobilenet_v1_0.25_224';
      const copy = path.join(dir, id);
      fs.cpSync(path.join(modelsDir, id), copy, { recursive: true });
      for (const f of fs.readdirSync(copy)) fs.chmodSync(path.join(copy, f), 0o644);
      fs.rmSync(path.join(copy, 'group7-shard1of1'));
      await assert.rejects(resolveWeights(getBackbone(id), { modelsDir: dir, cacheDir: dir, allowDownload: false }), /group7-shard1of1 is missing/);

      fs.copyFileSync(path.join(modelsDir, id, 'group7-shard1of1'), path.join(copy, 'group7-shard1of1'));
      fs.truncateSync(path.join(copy, 'group29-shard1of1'), 1000);
      await assert.rejects(resolveWeights(getBackbone(id), { modelsDir: dir, cacheDir: dir, allowDownload: false }), /group29-shard1of1 .*truncated/);
      // Without a checksum list, the manifest's byte counts still catch it.
      assert.throws(() => verifyModelFolder(copy), /group29-shard1of1 .*truncated/);

      fs.copyFileSync(path.join(modelsDir, id, 'group29-shard1of1'), path.join(copy, 'group29-shard1of1'));
      assert.equal((await resolveWeights(getBackbone(id), { modelsDir: dir, cacheDir: dir, allowDownload: false })).from, 'models-dir');
    } finally {
      cleanup();
    }
  });
});
