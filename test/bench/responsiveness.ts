/**
 * How the studio feels while Graft works: a `graft serve` process imports the 1,806
 * flowers, trains with the defaults, finds likely mistakes and predicts 200 files, while
 * this process makes a cheap API call (`jobs.list`, which is also how the studio polls)
 * back to back and records how long each answer takes: what a click waits for at worst.
 * Then a fresh server imports a folder of ten BMP decompression bombs (1 KB files that
 * declare 14,000×14,000 pixels), with the same probe and the server's peak memory.
 *
 * Target (issue 16): p99 ≤ 50 ms and max ≤ 150 ms in every phase; the bombs under 500 MB.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { rle8BmpBomb } from '../helpers/image-fixtures';
import { DEFAULTS } from '../../shared/defaults';
import { flowersDir, graftBin, modelsDir, tempDir } from '../helpers/paths';
import type { Figures } from './run';
import { sampleRss } from './rss';

interface Served {
  child: ChildProcess;
  port: number;
  token: string;
}

export async function run(): Promise<Figures> {
  const tmp = tempDir('graft-bench-responsive-');
  const figures: Figures = {};
  try {
    const served = await serve(path.join(tmp.dir, 'flowers.graft'));
    try {
      // As the studio imports: the next run's networks compute codes from the same decodes.
      const codes = { backbones: [...DEFAULTS.training.backbones.value], views: ['center'] };
      await phase(served, figures, 'import', { method: 'import.start', params: { folder: flowersDir, codes } });
      await phase(served, figures, 'train', { method: 'train.start', params: {} });
      await phase(served, figures, 'mistakes', { method: 'mistakes.start', params: { limit: 50 } });
      const files = listImages(flowersDir).slice(0, 200);
      await phase(served, figures, 'predict200', { method: 'predict.start', params: { paths: files, top: 3 } });
    } finally {
      served.child.kill('SIGTERM');
    }
    const bombs = path.join(tmp.dir, 'bombs', 'bombs');
    fs.mkdirSync(bombs, { recursive: true });
    for (let i = 0; i < 10; i++) fs.writeFileSync(path.join(bombs, `bomb-${i}.bmp`), rle8BmpBomb(14_000, 14_000));
    const fresh = await serve(path.join(tmp.dir, 'bombs.graft'));
    try {
      const peak = sampleRss(fresh.child.pid!);
      await phase(fresh, figures, 'bmpBombs', { method: 'import.start', params: { folder: path.dirname(bombs) } });
      figures.responsivenessBmpBombsPeakRssMb = Math.round(peak.stop());
    } finally {
      fresh.child.kill('SIGTERM');
    }
    return figures;
  } finally {
    tmp.cleanup();
  }
}

/** Starts a job, then calls `jobs.list` back to back until the job is over; records the latencies. */
async function phase(s: Served, figures: Figures, name: string, start: { method: string; params: unknown }): Promise<void> {
  const started = await call(s, start.method, start.params);
  if (!started.ok) throw new Error(`${start.method}: ${started.error.message}`);
  const jobId = started.value.jobId as string;
  const latencies: number[] = [];
  const t0 = Date.now();
  for (;;) {
    const t = process.hrtime.bigint();
    const reply = await call(s, 'jobs.list', {});
    latencies.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (!reply.ok) throw new Error(`jobs.list: ${reply.error.message}`);
    if (!(reply.value as Array<{ jobId: string }>).some((j) => j.jobId === jobId)) break;
  }
  latencies.sort((a, b) => a - b);
  const key = `responsiveness${name[0].toUpperCase()}${name.slice(1)}`;
  figures[`${key}Seconds`] = Math.round((Date.now() - t0) / 100) / 10;
  figures[`${key}Calls`] = latencies.length;
  figures[`${key}P99Ms`] = round1(latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))]);
  figures[`${key}MaxMs`] = round1(latencies[latencies.length - 1]);
  process.stderr.write(`bench: ${name}: ${latencies.length} calls, p99 ${figures[`${key}P99Ms`]} ms, max ${figures[`${key}MaxMs`]} ms\n`);
}

function serve(project: string): Promise<Served> {
  const child = spawn(process.execPath, [graftBin, 'serve', '--project', project, '--json'], {
    env: { ...process.env, GRAFT_MODELS_DIR: modelsDir },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout! });
    lines.once('line', (line) => {
      const info = JSON.parse(line) as { port: number; token: string };
      resolve({ child, port: info.port, token: info.token });
    });
    child.once('exit', (code) => reject(new Error(`graft serve exited with ${code}`)));
  });
}

type Reply = { ok: true; value: any } | { ok: false; error: { message: string } };

function call(s: Served, method: string, params: unknown): Promise<Reply> {
  const body = JSON.stringify({ method, params });
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: s.port, path: '/api/call', method: 'POST', headers: { 'content-type': 'application/json', 'x-graft-token': s.token, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as Reply));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function listImages(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? listImages(path.join(dir, e.name)) : /\.jpe?g$/i.test(e.name) ? [path.join(dir, e.name)] : []))
    .sort();
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
