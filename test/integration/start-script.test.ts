/**
 * `npm start` (bin/start.js) where Electron's binary is absent: it says why, serves
 * the studio to a browser instead, on the default project in the user's data folder,
 * and prints the address.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { repoRoot, tempDir } from '../helpers/paths';

function electronInstalled(): boolean {
  try {
    return typeof require('electron') === 'string';
  } catch {
    return false;
  }
}

describe('npm start without Electron', () => {
  const tmp = tempDir('graft-start-');
  after(() => tmp.cleanup());

  test('serves the default project and prints the URL', { skip: electronInstalled() && 'Electron is installed here: npm start opens the desktop app (see the Electron smoke test)' }, async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'bin', 'start.js'), '--no-build'], {
      stdio: 'pipe',
      env: { ...process.env, GRAFT_USER_DATA: tmp.dir },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`nothing printed in 20 s: ${stderr}`)), 20_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.includes('\n')) {
          clearTimeout(timer);
          resolve(stdout.split('\n')[0]);
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const project = path.join(tmp.dir, 'Projects', 'My images.graft');
    const m = new RegExp(`^Graft is serving ${project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} at (http://127\\.0\\.0\\.1:\\d+)/\\?token=(\\S+)$`).exec(line);
    assert.ok(m, line);
    assert.match(stderr, /desktop app needs Electron.*serving Graft to your browser instead/);
    const reply = await fetch(`${m[1]}/api/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-graft-token': m[2] },
      body: JSON.stringify({ method: 'project.status', params: {} }),
    });
    assert.equal(reply.status, 200);
    child.kill('SIGINT');
    assert.equal(await exited, 0, stderr);
  });
});
