/**
 * `graft serve` as a person runs it: prints where it serves, answers with the token
 * only, and stops cleanly on Ctrl+C (SIGINT) with exit code 0.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { graftBin, tempDir } from '../helpers/paths';

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`graft serve printed nothing in 20 s; stdout so far: ${out}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(out.slice(0, nl));
      }
    });
    child.once('exit', (code) => reject(new Error(`graft serve exited early with ${code}`)));
  });
}

function exited(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

describe('graft serve', () => {
  const tmp = tempDir('graft-serve-cli-');
  after(() => tmp.cleanup());

  test('prints the URL, serves the API with the token, stops on SIGINT', async () => {
    const project = path.join(tmp.dir, 'cli.graft');
    const child = spawn(process.execPath, [graftBin, 'serve', '--project', project], { stdio: 'pipe' });
    const line = await firstLine(child);
    const done = exited(child);
    const m = /^Graft is serving (.+) at (http:\/\/127\.0\.0\.1:(\d+)\/\?token=([A-Za-z0-9_-]+))$/.exec(line);
    assert.ok(m, `unexpected first line: ${line}`);
    assert.equal(m[1], project);
    const origin = `http://127.0.0.1:${m[3]}`;
    const ok = await fetch(`${origin}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-graft-token': m[4] },
      body: JSON.stringify({ method: 'project.status', params: {} }),
    });
    assert.equal(ok.status, 200);
    assert.equal(((await ok.json()) as { value: { path: string } }).value.path, project);
    const refused = await fetch(`${origin}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ method: 'project.status', params: {} }),
    });
    assert.equal(refused.status, 401);

    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '', 'nothing more on stdout after the address');
    assert.match(result.stderr, /Stopped serving/);
  });

  test('--json prints exactly one JSON object with the address', async () => {
    const project = path.join(tmp.dir, 'json.graft');
    const child = spawn(process.execPath, [graftBin, 'serve', '--project', project, '--json'], { stdio: 'pipe' });
    const line = await firstLine(child);
    const done = exited(child);
    const info = JSON.parse(line);
    assert.equal(info.project, project);
    assert.equal(info.url, `http://127.0.0.1:${info.port}/?token=${info.token}`);
    child.kill('SIGINT');
    const result = await done;
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, '');
  });

  test('a bad --port is refused with a one-line reason', async () => {
    const child = spawn(process.execPath, [graftBin, 'serve', '--project', path.join(tmp.dir, 'p.graft'), '--port', '99999'], { stdio: 'pipe' });
    const result = await exited(child);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^graft serve: --port must be a whole number from 1 to 65535/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });
});
