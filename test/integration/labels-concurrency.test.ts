import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { findClassByName } from '../../main/engine/catalogue/classes';
import { setLabels } from '../../main/engine/catalogue/labels';
import { openProject } from '../../main/engine/catalogue/open';
import { insertImages } from '../helpers/label-fixtures';
import { tempDir } from '../helpers/paths';

/**
 * The app and `graft label` can work on one project at once. A label change must
 * wait for the other process's write, not fail because its read went stale.
 */
describe('label changes from two processes', () => {
  const tmp = tempDir('graft-labels-lock-');
  after(tmp.cleanup);

  it('waits for another process that holds the write lock, then applies on top of its change', async () => {
    const file = path.join(tmp.dir, 'shared.graft');
    const db = openProject(file);
    const ids = insertImages(db, path.join(tmp.dir, 'photos'), [{ cls: 'cats' }, { cls: 'dogs' }]).ids;
    const dogs = findClassByName(db, 'dogs')!.id;
    // Our connection reads first (a snapshot before the other process writes).
    assert.equal(findClassByName(db, 'cats')!.count, 1);

    const holder = `
      const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))});
      const db = new Database(${JSON.stringify(file)});
      db.pragma('busy_timeout = 5000');
      db.exec('BEGIN IMMEDIATE');
      db.prepare('UPDATE images SET class_id = NULL WHERE id = ${ids[1]}').run();
      process.stdout.write('locked\\n');
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 800);
      db.exec('COMMIT');
      db.close();`;
    const child = spawn(process.execPath, ['-e', holder], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.toString().includes('locked') && resolve()));

    const started = Date.now();
    const result = setLabels(db, ids, dogs);
    const waited = Date.now() - started;
    assert.equal(await exited, 0);
    assert.ok(waited >= 300, `waited ${waited} ms for the other writer`);
    // Both images changed: the cat, and the dog the other process had just unlabelled.
    assert.equal(result.changed, 2);
    assert.equal(findClassByName(db, 'dogs')!.count, 2);
    db.close();
  });
});
