import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openProject } from '../../main/engine/catalogue/open';
import { flowersDir, graftBin, tempDir } from '../helpers/paths';

/** Files recorded so far, read beside the running import (WAL lets a reader in). */
function recordedFiles(project: string): number {
  if (!fs.existsSync(project)) return 0;
  try {
    const db = new Database(project, { readonly: true, fileMustExist: true });
    try {
      return (db.prepare(`SELECT COUNT(*) AS n FROM files`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0; // created but not migrated yet
  }
}

/** Starts `graft import` on the flowers and resolves once `when(recorded)` holds. */
async function importUntil(project: string, when: (recorded: number) => boolean) {
  const child = spawn(process.execPath, [graftBin, 'import', flowersDir, '--project', project, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const deadline = Date.now() + 120_000;
  let seen = 0;
  while (!when((seen = recordedFiles(project)))) {
    if (child.exitCode !== null) throw new Error(`the import finished before it could be interrupted (${seen} files): ${stderr}`);
    if (Date.now() > deadline) throw new Error(`no progress after 2 minutes (${seen} files): ${stderr}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return { child, exited, output: () => ({ stdout, stderr }) };
}

describe('an import interrupted for real', () => {
  const tmp = tempDir('graft-import-kill-');
  after(tmp.cleanup);

  it('survives SIGKILL mid-way and completes on the next import, with no duplicates', async () => {
    const project = path.join(tmp.dir, 'killed.graft');
    const run = await importUntil(project, (n) => n >= 150);
    run.child.kill('SIGKILL');
    assert.equal(await run.exited, null, 'killed, not exited');
    const before = recordedFiles(project);
    assert.ok(before >= 150 && before < 1806, `killed mid-way (${before} of 1806 files recorded)`);

    // The project opens (WAL replayed), is intact, and holds only whole records.
    const db = openProject(project, { create: false });
    try {
      assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
      assert.deepEqual(db.pragma('foreign_key_check'), []);
      const orphans = db.prepare(`SELECT COUNT(*) AS n FROM images i WHERE NOT EXISTS (SELECT 1 FROM files f WHERE f.image_id = i.id)`).get() as { n: number };
      assert.equal(orphans.n, 0, 'every recorded image has its file');
    } finally {
      db.close();
    }

    const res = spawnSync(process.execPath, [graftBin, 'import', flowersDir, '--project', project, '--json'], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(res.status, 0, res.stderr);
    const s = JSON.parse(res.stdout);
    assert.deepEqual([s.files, s.unchanged, s.added, s.cancelled], [1806, before, 1806 - before, false]);
    assert.equal(s.duplicates.length, 2);
    assert.equal(s.conflicts.length, 1);

    const done = openProject(project, { create: false });
    try {
      const count = (sql: string) => (done.prepare(sql).get() as { n: number }).n;
      assert.equal(count(`SELECT COUNT(*) AS n FROM files`), 1806);
      assert.equal(count(`SELECT COUNT(DISTINCT path) AS n FROM files`), 1806);
      assert.equal(count(`SELECT COUNT(*) AS n FROM images`), 1803);
      assert.equal(count(`SELECT COUNT(DISTINCT hash) AS n FROM images`), 1803);
      assert.equal(count(`SELECT COUNT(*) AS n FROM classes`), 5, 'no class created twice');
      assert.equal(done.pragma('integrity_check', { simple: true }), 'ok');
    } finally {
      done.close();
    }
  });

  it('stops cleanly on Ctrl+C, reporting cancelled: true and keeping every finished file', async () => {
    const project = path.join(tmp.dir, 'interrupted.graft');
    const run = await importUntil(project, (n) => n >= 100);
    run.child.kill('SIGINT');
    const code = await run.exited;
    const { stdout, stderr } = run.output();
    assert.equal(code, 0, stderr);
    const s = JSON.parse(stdout);
    assert.equal(s.cancelled, true);
    assert.ok(s.added >= 100 && s.added < 1806, `added ${s.added}`);
    assert.match(stderr, /Cancelling/);
    assert.match(stderr, /Run the same command again to finish/);
    assert.equal(recordedFiles(project), s.added, 'every file reported as added was committed');
  });
});
