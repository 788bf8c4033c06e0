import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openProject } from '../../main/engine/catalogue/open';
import { importFolder } from '../../main/engine/importer';
import { flowersMiniDir, graftBin, tempDir } from '../helpers/paths';

/**
 * Relabelling a project made by a real import of real photos: folder classes,
 * a label conflict (the same bytes under roses/ and tulips/), then labelling,
 * merging, deleting and undoing through the `graft` command.
 */
describe('relabelling an imported project', () => {
  const tmp = tempDir('graft-labels-import-');
  const project = path.join(tmp.dir, 'mini.graft');
  const roseFile = path.join(flowersMiniDir, 'roses', fs.readdirSync(path.join(flowersMiniDir, 'roses')).filter((f) => f.endsWith('.jpg')).sort()[0]);

  before(async () => {
    // The same bytes as a rose, filed under tulips/ in a second folder: a label conflict.
    const extra = path.join(tmp.dir, 'extra');
    fs.mkdirSync(path.join(extra, 'tulips'), { recursive: true });
    fs.copyFileSync(roseFile, path.join(extra, 'tulips', 'same-as-a-rose.jpg'));
    const db = openProject(project);
    try {
      const first = await importFolder(db, flowersMiniDir);
      assert.equal(first.newImages, 100);
      const second = await importFolder(db, extra);
      assert.equal(second.conflicts.length, 1);
    } finally {
      db.close();
    }
  });
  after(tmp.cleanup);

  function graft(...args: string[]): any {
    const res = spawnSync(process.execPath, [graftBin, ...args, '--project', project, '--json'], { encoding: 'utf8' });
    assert.equal(res.status, 0, `graft ${args.join(' ')}: ${res.stderr}`);
    return JSON.parse(res.stdout);
  }
  function countsOf(out: any): Record<string, number> {
    return Object.fromEntries(out.classes.map((c: any) => [c.name, c.count]));
  }
  function conflicts(): number {
    const db = openProject(project, { create: false });
    try {
      return (db.prepare(`SELECT COUNT(*) AS n FROM images WHERE conflict = 1`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  }

  it('lists the imported folder classes', () => {
    const out = graft('classes');
    assert.deepEqual(countsOf(out), { daisy: 20, dandelion: 20, roses: 20, sunflowers: 20, tulips: 20 });
    assert.equal(out.unlabelled, 0);
    assert.deepEqual(out.classes.map((c: any) => c.key), ['1', '2', '3', '4', '5']);
    assert.equal(conflicts(), 1);
  });

  it('labelling the conflicted photo (by either of its paths) settles the conflict, and undo brings it back', () => {
    const out = graft('label', path.join(tmp.dir, 'extra', 'tulips', 'same-as-a-rose.jpg'), '--class', 'tulips');
    assert.equal(out.changed, 1);
    assert.equal(conflicts(), 0);
    assert.deepEqual(countsOf(graft('classes')), { daisy: 20, dandelion: 20, roses: 19, sunflowers: 20, tulips: 21 });
    graft('undo');
    assert.equal(conflicts(), 1);
    assert.equal(graft('label', roseFile, '--class', 'roses').changed, 1, 'same label, but the person decided');
    assert.equal(conflicts(), 0);
  });

  it('merges and deletes folder classes and undoes both, image for image', () => {
    const before = graft('classes');
    assert.equal(graft('class', 'merge', 'dandelion', 'daisy').changed, 20);
    assert.equal(graft('class', 'delete', 'tulips').changed, 20);
    const after = graft('classes');
    assert.deepEqual(countsOf(after), { daisy: 40, roses: 20, sunflowers: 20 });
    assert.equal(after.unlabelled, 20);
    assert.deepEqual(graft('undo'), { description: 'Undid: delete class "tulips" (20 images become unlabelled)', changed: 20 });
    assert.deepEqual(graft('undo'), { description: 'Undid: merge "dandelion" into "daisy" (20 images)', changed: 20 });
    assert.deepEqual(graft('classes'), before);
  });

  it('a photo keeps its label when the folder is imported again', async () => {
    graft('label', path.join(flowersMiniDir, 'daisy'), '--class', 'sunflowers');
    const db = openProject(project);
    try {
      const again = await importFolder(db, flowersMiniDir);
      assert.equal(again.newImages, 0);
    } finally {
      db.close();
    }
    assert.deepEqual(countsOf(graft('classes')), { daisy: 0, dandelion: 20, roses: 20, sunflowers: 40, tulips: 20 });
    assert.equal(graft('undo').changed, 20);
  });
});
