/**
 * The loopback web transport against a real project file: what it refuses (no token,
 * wrong token, another origin or site, a rebinding host name, malformed or invalid
 * calls) is refused with 4xx and changes nothing in the SQLite file; what it allows
 * works, events arrive over the socket, images are served, and it listens on
 * 127.0.0.1 only.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import WebSocket from 'ws';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { respondToImageRequest } from '../../main/hosts/electron/protocol-responses';
import type { RunningServer } from '../../main/hosts/server/server';
import { startServer } from '../../main/hosts/server/server';
import type { ApiEvents } from '../../shared/events';
import type { JobFinished } from '../../shared/events';
import { tempDir } from '../helpers/paths';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  json(): any;
}

function request(
  server: RunningServer,
  options: { method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer; host?: string },
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: options.host ?? `127.0.0.1:${server.port}`, ...(options.headers ?? {}) };
    const req = http.request(
      { host: '127.0.0.1', port: server.port, method: options.method ?? 'GET', path: options.path ?? '/', headers, setHost: false, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** A POST /api/call with the token unless told otherwise. */
function apiCall(server: RunningServer, payload: unknown, headers: Record<string, string> = { 'x-graft-token': server.token }, host?: string): Promise<Reply> {
  return request(server, {
    method: 'POST',
    path: '/api/call',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
    host,
  });
}

/** Everything a call could change, read from the file by a second connection. */
function fingerprint(file: string): string {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const hash = createHash('sha256');
    for (const table of ['classes', 'images', 'files', 'operations', 'label_history', 'splits', 'runs']) {
      const rows = db.prepare(`SELECT * FROM ${table} ORDER BY rowid`).raw().all();
      hash.update(`${table}:${JSON.stringify(rows, (_k, v) => (Buffer.isBuffer(v) ? createHash('sha1').update(v).digest('hex') : v))}\n`);
    }
    return hash.digest('hex');
  } finally {
    db.close();
  }
}

async function makePhotos(dir: string): Promise<void> {
  const classes: Array<[string, [number, number, number]]> = [
    ['red', [220, 30, 30]],
    ['blue', [30, 40, 220]],
  ];
  for (const [name, rgb] of classes) {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    for (let i = 0; i < 3; i++) {
      await sharp({ create: { width: 320 + i * 16, height: 240, channels: 3, background: { r: rgb[0], g: rgb[1] + i * 20, b: rgb[2] } } })
        .jpeg()
        .toFile(path.join(dir, name, `${name}-${i}.jpg`));
    }
  }
}

function nextEvent<E extends keyof ApiEvents>(ws: WebSocket, event: E, accept: (p: ApiEvents[E]) => boolean = () => true, timeoutMs = 20_000): Promise<ApiEvents[E]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error(`No ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const onMessage = (data: WebSocket.RawData) => {
      const frame = JSON.parse(data.toString());
      if (frame.event === event && accept(frame.payload)) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(frame.payload);
      }
    };
    ws.on('message', onMessage);
  });
}

function openSocket(server: RunningServer, query: string, headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/api/events${query}`, { headers });
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(Object.assign(new Error(`socket refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.once('error', reject);
  });
}

describe('loopback web transport', () => {
  const tmp = tempDir('graft-server-');
  const projectFile = path.join(tmp.dir, 'studio.graft');
  const staticDir = path.join(tmp.dir, 'renderer');
  const photos = path.join(tmp.dir, 'photos');
  let engine: Engine;
  let server: RunningServer;
  let imageId: number;

  before(async () => {
    fs.mkdirSync(path.join(staticDir, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>Graft</title><script type="module" src="./assets/index-AbCdEf12.js"></script>');
    fs.writeFileSync(path.join(staticDir, 'assets', 'index-AbCdEf12.js'), 'console.log("graft")');
    fs.writeFileSync(path.join(tmp.dir, 'secret.txt'), 'outside the renderer folder');
    await makePhotos(photos);
    engine = new Engine(projectFile);
    const { jobId } = await call(engine, 'import.start', { folder: photos });
    await engine.jobs.waitForIdle();
    assert.ok(jobId);
    const { images } = await call(engine, 'images.list', { filter: {}, sort: 'imported', descending: false, offset: 0, limit: 10 });
    assert.equal(images.length, 6);
    imageId = images[0].id;
    server = await startServer(engine, { host: '127.0.0.1', staticDir });
  });

  after(async () => {
    await server?.close();
    await engine?.close();
    tmp.cleanup();
  });

  test('prints a loopback URL with a long random token', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    assert.equal(server.url, `http://127.0.0.1:${server.port}/?token=${server.token}`);
  });

  test('a valid call works and its change is in the file', async () => {
    const before = fingerprint(projectFile);
    const created = await apiCall(server, { method: 'classes.create', params: { name: 'green' } });
    assert.equal(created.status, 200);
    const envelope = created.json();
    assert.equal(envelope.ok, true);
    assert.equal(envelope.value.name, 'green');
    assert.notEqual(fingerprint(projectFile), before);
    const listed = await apiCall(server, { method: 'classes.list', params: {} });
    assert.deepEqual(
      listed.json().value.map((c: { name: string }) => c.name).sort(),
      ['blue', 'green', 'red'],
    );
  });

  test('refused requests get 4xx and change nothing in the catalogue', async () => {
    const mutation = { method: 'classes.create', params: { name: 'intruder' } };
    const relabel = { method: 'labels.set', params: { imageIds: [imageId], classId: null } };
    const cases: Array<[string, () => Promise<Reply>, number]> = [
      ['no token', () => apiCall(server, mutation, {}), 401],
      ['wrong token', () => apiCall(server, mutation, { 'x-graft-token': `${server.token.slice(0, -1)}x` }), 403],
      ['token of the wrong length', () => apiCall(server, relabel, { 'x-graft-token': 'short' }), 403],
      ['another origin', () => apiCall(server, mutation, { 'x-graft-token': server.token, origin: 'http://evil.example' }), 403],
      ['another local origin', () => apiCall(server, relabel, { 'x-graft-token': server.token, origin: `http://127.0.0.1:${server.port + 1}` }), 403],
      ['a null origin', () => apiCall(server, relabel, { 'x-graft-token': server.token, origin: 'null' }), 403],
      ['a cross-site fetch', () => apiCall(server, relabel, { 'x-graft-token': server.token, 'sec-fetch-site': 'cross-site' }), 403],
      ['a same-site (other port) fetch', () => apiCall(server, relabel, { 'x-graft-token': server.token, 'sec-fetch-site': 'same-site' }), 403],
      ['a rebinding host name', () => apiCall(server, mutation, { 'x-graft-token': server.token }, `evil.example:${server.port}`), 403],
      ['a host on another port', () => apiCall(server, mutation, { 'x-graft-token': server.token }, `127.0.0.1:${server.port + 1}`), 403],
      ['malformed JSON', () => apiCall(server, '{"method": "classes.create", "params": {', { 'x-graft-token': server.token }), 400],
      ['a JSON array', () => apiCall(server, '[1,2,3]', { 'x-graft-token': server.token }), 400],
      ['no method', () => apiCall(server, { params: { name: 'x' } }), 400],
      ['an unknown method', () => apiCall(server, { method: 'classes.dropAll', params: {} }), 400],
      ['a prototype key as method', () => apiCall(server, { method: '__proto__', params: {} }), 400],
      ['invalid params: empty class name', () => apiCall(server, { method: 'classes.create', params: { name: '   ' } }), 400],
      ['invalid params: negative id', () => apiCall(server, { method: 'labels.set', params: { imageIds: [-1], classId: null } }), 400],
      ['invalid params: wrong type', () => apiCall(server, { method: 'labels.set', params: { imageIds: 'all', classId: null } }), 400],
      ['invalid params: not an object', () => apiCall(server, { method: 'classes.create', params: 'green' }), 400],
      ['a form post', () => request(server, { method: 'POST', path: '/api/call', headers: { 'x-graft-token': server.token, 'content-type': 'application/x-www-form-urlencoded' }, body: 'method=classes.create' }), 415],
      ['a text/plain post (no preflight)', () => request(server, { method: 'POST', path: '/api/call', headers: { 'x-graft-token': server.token, 'content-type': 'text/plain' }, body: JSON.stringify(mutation) }), 415],
      ['GET on the API', () => request(server, { path: '/api/call', headers: { 'x-graft-token': server.token } }), 405],
      ['a body over the limit', () => apiCall(server, { method: 'classes.create', params: { name: 'x'.repeat(9 * 1024 * 1024) } }), 413],
    ];
    const before = fingerprint(projectFile);
    for (const [what, send, status] of cases) {
      const reply = await send();
      assert.equal(reply.status, status, `${what}: expected ${status}, got ${reply.status} ${reply.body.toString().slice(0, 200)}`);
      const envelope = reply.json();
      assert.equal(envelope.ok, false, what);
      assert.ok(envelope.error.message.length > 10, `${what}: a message for a person`);
      assert.equal(fingerprint(projectFile), before, `${what} changed the catalogue`);
    }
    const names = (await call(engine, 'classes.list', {})).map((c) => c.name);
    assert.ok(!names.includes('intruder'));
  });

  test('engine errors keep their envelope and map to 4xx', async () => {
    const reply = await apiCall(server, { method: 'classes.rename', params: { id: 987654, name: 'ghost' } });
    assert.equal(reply.status, 404);
    assert.equal(reply.json().error.code, 'not_found');
    const invalid = await apiCall(server, { method: 'classes.create', params: {} });
    assert.equal(invalid.json().error.code, 'invalid_params');
    assert.match(invalid.json().error.message, /classes\.create/);
  });

  test('the page sets an HttpOnly same-site cookie and a strict CSP; the cookie authorises later requests', async () => {
    const page = await request(server, { path: `/?token=${server.token}`, headers: { accept: 'text/html' } });
    assert.equal(page.status, 200);
    assert.match(page.body.toString(), /<title>Graft<\/title>/);
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-eval|script-src[^;]*unsafe-inline|https?:\/\/(?!127\.0\.0\.1|localhost)/);
    assert.match(csp, /frame-ancestors 'none'/);
    const cookie = String(page.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^graft-token-${server.port}=${server.token};`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const pair = cookie.split(';')[0];

    const asset = await request(server, { path: '/assets/index-AbCdEf12.js', headers: { cookie: pair } });
    assert.equal(asset.status, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.match(String(asset.headers['cache-control']), /immutable/);

    const viaCookie = await apiCall(server, { method: 'project.status', params: {} }, { cookie: pair });
    assert.equal(viaCookie.status, 200);
    assert.equal(viaCookie.json().value.images, 6);

    // The cookie travels with requests from other pages on 127.0.0.1 (same site): Origin stops them.
    const forged = await apiCall(server, { method: 'classes.create', params: { name: 'csrf' } }, { cookie: pair, origin: 'http://localhost:1' });
    assert.equal(forged.status, 403);

    const noToken = await request(server, { path: '/', headers: { accept: 'text/html' } });
    assert.equal(noToken.status, 401);
    assert.match(noToken.body.toString(), /graft serve/);
    const noTokenAsset = await request(server, { path: '/assets/index-AbCdEf12.js' });
    assert.equal(noTokenAsset.status, 401);
  });

  test('nothing outside the renderer folder is served', async () => {
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/..%5csecret.txt', '/%00index.html', '/missing.js']) {
      const reply = await request(server, { path: p, headers: { 'x-graft-token': server.token } });
      assert.ok(reply.status === 404 || reply.status === 400, `${p}: ${reply.status}`);
      assert.doesNotMatch(reply.body.toString(), /outside the renderer folder/);
    }
  });

  test('thumbnails and previews are served as JPEG, with the token, and revalidate', async () => {
    const thumb = await request(server, { path: `/thumb/${imageId}?token=${server.token}` });
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers['content-type'], 'image/jpeg');
    assert.deepEqual([...thumb.body.subarray(0, 3)], [0xff, 0xd8, 0xff]);
    const meta = await sharp(thumb.body).metadata();
    assert.equal(Math.max(meta.width ?? 0, meta.height ?? 0), 256);
    assert.equal(thumb.headers['cross-origin-resource-policy'], 'same-origin');

    const etag = String(thumb.headers.etag);
    const again = await request(server, { path: `/thumb/${imageId}`, headers: { 'x-graft-token': server.token, 'if-none-match': etag } });
    assert.equal(again.status, 304);

    const preview = await request(server, { path: `/image/${imageId}`, headers: { 'x-graft-token': server.token } });
    assert.equal(preview.status, 200);
    const pm = await sharp(preview.body).metadata();
    assert.equal(pm.format, 'jpeg');
    assert.ok((pm.width ?? 0) >= 320, `preview width ${pm.width}`);

    assert.equal((await request(server, { path: `/thumb/${imageId}` })).status, 401);
    assert.equal((await request(server, { path: `/thumb/${imageId}?token=nope` })).status, 403);
    assert.equal((await request(server, { path: '/thumb/abc', headers: { 'x-graft-token': server.token } })).status, 400);
    assert.equal((await request(server, { path: '/thumb/1e3', headers: { 'x-graft-token': server.token } })).status, 400);
    assert.equal((await request(server, { path: '/thumb/987654', headers: { 'x-graft-token': server.token } })).status, 404);
    assert.equal((await request(server, { method: 'DELETE', path: `/thumb/${imageId}`, headers: { 'x-graft-token': server.token } })).status, 405);
  });

  test("the desktop app's graft-image: protocol serves the same images", async () => {
    const thumb = await respondToImageRequest(engine, `graft-image://thumb/${imageId}`);
    assert.equal(thumb.status, 200);
    assert.equal(thumb.headers.get('content-type'), 'image/jpeg');
    const bytes = Buffer.from(await thumb.arrayBuffer());
    const viaHttp = await request(server, { path: `/thumb/${imageId}`, headers: { 'x-graft-token': server.token } });
    assert.ok(bytes.equals(viaHttp.body), 'same bytes through both transports');
    const preview = await respondToImageRequest(engine, `graft-image://image/${imageId}`);
    assert.equal((await sharp(Buffer.from(await preview.arrayBuffer())).metadata()).format, 'jpeg');
    assert.equal((await respondToImageRequest(engine, 'graft-image://thumb/987654')).status, 404);
  });

  test('events arrive over the socket: direct, from a label change, and from an import job', async () => {
    const ws = await openSocket(server, `?token=${server.token}`, { origin: server.origin });
    try {
      const epoch = nextEvent(ws, 'training.epoch');
      engine.emit('training.epoch', { jobId: 'j', runId: 'r', stage: 'head', epoch: 1, epochs: 5, loss: 1, accuracy: 0.5, valLoss: 1.1, valAccuracy: 0.4 });
      assert.equal((await epoch).epochs, 5);

      const changed = nextEvent(ws, 'catalogue.changed');
      const set = await apiCall(server, { method: 'labels.set', params: { imageIds: [imageId], classId: null } });
      assert.equal(set.status, 200);
      assert.ok((await changed).areas.length > 0);

      const more = path.join(tmp.dir, 'more');
      fs.mkdirSync(path.join(more, 'yellow'), { recursive: true });
      await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 230, g: 220, b: 20 } } }).png().toFile(path.join(more, 'yellow', 'y.png'));
      const started = await apiCall(server, { method: 'import.start', params: { folder: more } });
      assert.equal(started.status, 200);
      const { jobId } = started.json().value;
      const finished = (await nextEvent(ws, 'job.finished', (f: JobFinished) => f.jobId === jobId)) as JobFinished;
      assert.equal(finished.status, 'finished');
      assert.equal(finished.kind, 'import');
    } finally {
      ws.close();
    }
  });

  test('the socket refuses a handshake without the token, from another origin or for another path', async () => {
    await assert.rejects(openSocket(server, ''), (e: { status?: number }) => e.status === 401);
    await assert.rejects(openSocket(server, `?token=${server.token}`, { origin: 'http://evil.example' }), (e: { status?: number }) => e.status === 403);
    await assert.rejects(openSocket(server, `?token=${server.token}`, { host: `evil.example:${server.port}` }), (e: { status?: number }) => e.status === 403);
    const other = new WebSocket(`ws://127.0.0.1:${server.port}/api/other?token=${server.token}`);
    const status = await new Promise<number | undefined>((resolve) => {
      other.once('unexpected-response', (_req, res) => resolve(res.statusCode));
      other.once('error', () => resolve(undefined));
    });
    assert.equal(status, 400);
  });

  test('listens on 127.0.0.1 only', async () => {
    const reachable = (host: string) =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect({ host, port: server.port });
        socket.setTimeout(2000);
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('timeout', () => {
          socket.destroy();
          resolve(false);
        });
        socket.once('error', () => resolve(false));
      });
    assert.equal(await reachable('127.0.0.1'), true);
    assert.equal(await reachable('::1'), false);
    // This machine's own non-loopback addresses (if it has any) must not reach it either.
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((i): i is os.NetworkInterfaceInfo => !!i && !i.internal && i.family === 'IPv4')
      .map((i) => i.address);
    for (const address of external) assert.equal(await reachable(address), false, `reachable on ${address}`);
  });

  test('a busy port is reported plainly, and close() frees the port', async () => {
    await assert.rejects(startServer(engine, { port: server.port, staticDir }), (e: Error & { code?: string }) => e.code === 'busy' && /--port/.test(e.message));
    const second = await startServer(engine, { staticDir });
    const port = second.port;
    await second.close();
    const third = await startServer(engine, { staticDir, port });
    assert.equal(third.port, port);
    await third.close();
  });
});
