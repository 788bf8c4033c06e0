import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openProject } from '../../main/engine/catalogue/open';
import { counts, insertImages, snapshot } from '../helpers/label-fixtures';
import { graftBin, tempDir } from '../helpers/paths';

/**
 * `graft classes | class | label | undo | redo` run as a person runs them: the real
 * bin/graft.js in a child process, on a real project file, with --json checked to
 * print exactly one JSON object and failures to exit non-zero with one line.
 */
describe('graft classes, class, label, undo, redo', () => {
  const tmp = tempDir('graft-labels-cli-');
  const project = path.join(tmp.dir, 'flowers.graft');
  let paths: string[][];

  before(() => {
    const db = openProject(project);
    paths = insertImages(db, path.join(tmp.dir, 'photos'), [
      { cls: 'roses' },
      { cls: 'roses', copies: 1 },
      { cls: 'tulips' },
      { cls: 'tulips' },
      { cls: 'tulips', conflict: true },
      { cls: null },
    ]).paths;
    db.close();
    for (const p of paths.flat()) {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, 'not really a jpeg: the catalogue rows stand in for an import');
    }
  });
  after(tmp.cleanup);

  function graft(args: string[], json = true): { code: number | null; stdout: string; stderr: string; out: any } {
    const res = spawnSync(process.execPath, [graftBin, ...args, '--project', project, ...(json ? ['--json'] : [])], {
      cwd: tmp.dir,
      encoding: 'utf8',
    });
    let out: unknown;
    if (json && res.status === 0) {
      const lines = res.stdout.trimEnd().split('\n');
      assert.equal(lines.length, 1, `one line of JSON on stdout, got: ${res.stdout}`);
      out = JSON.parse(lines[0]);
      assert.equal(typeof out, 'object');
      assert.ok(out && !Array.isArray(out), 'a JSON object, not an array');
    }
    return { code: res.status, stdout: res.stdout, stderr: res.stderr, out };
  }

  function fails(args: string[], message: RegExp): void {
    const res = graft(args);
    assert.notEqual(res.code, 0, `"graft ${args.join(' ')}" should fail`);
    assert.equal(res.stdout, '', 'nothing on stdout');
    const lines = res.stderr.trimEnd().split('\n');
    assert.equal(lines.length, 1, `one line on stderr, got: ${res.stderr}`);
    assert.match(lines[0], message);
  }

  function state(): { snap: unknown; counts: Record<string, number> } {
    const db = openProject(project, { create: false });
    try {
      return { snap: snapshot(db), counts: counts(db) };
    } finally {
      db.close();
    }
  }

  const rel = (p: string) => path.relative(tmp.dir, p);

  it('graft classes --json lists classes with counts and shortcut keys, and the unlabelled count', () => {
    const { code, out } = graft(['classes']);
    assert.equal(code, 0);
    assert.equal(out.unlabelled, 1);
    assert.deepEqual(
      out.classes.map((c: any) => [c.name, c.position, c.count, c.key]),
      [['roses', 0, 2, '1'], ['tulips', 1, 3, '2']],
    );
    assert.match(out.classes[0].color, /^#[0-9a-f]{6}$/);
    assert.equal(typeof out.classes[0].id, 'number');
    const text = graft(['classes'], false);
    assert.match(text.stdout, /1\s+roses\s+#[0-9a-f]{6}\s+2 images/);
    assert.match(text.stdout, /1 unlabelled image\n/);
  });

  it('graft class add creates a class and refuses a taken name', () => {
    const { code, out } = graft(['class', 'add', 'daisy', '--color', '#FFCC00']);
    assert.equal(code, 0);
    assert.deepEqual({ ...out.class, id: 0 }, { id: 0, name: 'daisy', color: '#ffcc00', position: 2, count: 0, key: '3' });
    assert.equal(out.action, 'add');
    fails(['class', 'add', 'Daisy'], /^graft class: There is already a class named "daisy"\. Pick another name\.$/);
    fails(['class', 'add'], /^graft class: Usage: graft class add NAME/);
    fails(['class', 'add', 'lilies', '--color', 'green'], /"green" is not a colour: write it as #rrggbb/);
    fails(['class', 'paint', 'x'], /Unknown action "paint"/);
  });

  it('graft label sets the class of images by relative path and settles their conflicts', () => {
    const { code, out } = graft(['label', rel(paths[0][0]), rel(paths[4][0]), rel(paths[5][0]), '--class', 'DAISY']);
    assert.equal(code, 0);
    assert.deepEqual(out, { class: 'daisy', images: 3, changed: 3, operationId: out.operationId, createdClass: false });
    assert.equal(typeof out.operationId, 'number');
    assert.deepEqual(state().counts, { roses: 1, tulips: 2, daisy: 3 });
    const db = openProject(project);
    const conflicts = db.prepare(`SELECT COUNT(*) AS n FROM images WHERE conflict = 1`).get() as { n: number };
    db.close();
    assert.equal(conflicts.n, 0);
  });

  it('graft label with a folder labels every image under it; duplicates count once', () => {
    const { out } = graft(['label', path.join(tmp.dir, 'photos', 'roses') + path.sep, '--class', 'tulips']);
    // roses/ holds three files of two images (one relabelled daisy already): both move.
    assert.deepEqual([out.images, out.changed], [2, 2]);
    const again = graft(['label', rel(paths[1][1]), '--class', 'tulips']);
    assert.deepEqual([again.out.images, again.out.changed, again.out.operationId], [1, 0, null]);
    assert.match(graft(['label', rel(paths[1][1]), '--class', 'tulips'], false).stdout, /Nothing to change/);
  });

  it('an unknown path or class is an error naming it, and nothing changes', () => {
    const before = state();
    fails(['label', rel(paths[2][0]), 'photos/nope.jpg', '--class', 'roses'], /^graft label: Not in the project: photos\/nope\.jpg\. Import it first/);
    fails(['label', rel(paths[2][0]), '--class', 'ferns'], /There is no class named "ferns"\. The classes are: roses, tulips, daisy\. Add it with "graft class add ferns", or pass --create\./);
    fails(['label', rel(paths[2][0])], /--class NAME, or --none/);
    fails(['label', rel(paths[2][0]), '--class', 'roses', '--none'], /--class NAME, or --none/);
    assert.deepEqual(state(), before);
  });

  it('graft label --create makes the class first; --none removes labels', () => {
    const { out } = graft(['label', rel(paths[2][0]), '--class', 'ferns', '--create']);
    assert.deepEqual([out.class, out.changed, out.createdClass], ['ferns', 1, true]);
    const none = graft(['label', rel(paths[3][0]), rel(paths[2][0]), '--none']);
    assert.deepEqual([none.out.class, none.out.changed], [null, 2]);
    assert.equal(graft(['classes']).out.unlabelled, 2);
  });

  it('graft undo and redo walk the steps back and forth, and say when there is nothing left', () => {
    const end = state();
    const undone = graft(['undo']);
    assert.deepEqual(undone.out, { description: 'Undid: remove the label from 2 images', changed: 2 });
    assert.deepEqual(graft(['undo']).out, { description: 'Undid: label 1 image as "ferns"', changed: 1 });
    assert.deepEqual(graft(['undo']).out, { description: 'Undid: create class "ferns"', changed: 0 });
    assert.deepEqual(graft(['redo']).out.description, 'Redid: create class "ferns"');
    assert.deepEqual(graft(['redo']).out.changed, 1);
    assert.match(graft(['redo'], false).stdout, /^Redid: remove the label from 2 images\. 2 images relabelled\.\n$/);
    assert.deepEqual(state(), end);
    fails(['redo'], /^graft redo: Nothing to redo\.$/);
    for (let i = 0; i < 6; i++) assert.equal(graft(['undo']).code, 0);
    fails(['undo'], /^graft undo: Nothing to undo\.$/);
    assert.deepEqual(state().counts, { roses: 2, tulips: 3 });
    for (let i = 0; i < 6; i++) graft(['redo']);
    assert.deepEqual(state(), end);
  });

  it('graft class rename, color, move, merge and delete, each undoable', () => {
    fails(['class', 'rename', 'roses', 'TULIPS'], /already a class named "tulips"\. To put the images of "roses" there, merge "roses" into "tulips" instead\./);
    assert.deepEqual(graft(['class', 'rename', 'roses', 'Rose']).out.from, 'roses');
    assert.equal(graft(['class', 'color', 'rose', '#00ff00']).out.class.color, '#00ff00');
    fails(['class', 'color', 'rose', 'green'], /colour/i);
    const moved = graft(['class', 'move', 'ferns', '1']).out;
    assert.deepEqual(moved.classes.map((c: any) => [c.name, c.key]), [['ferns', '1'], ['Rose', '2'], ['tulips', '3'], ['daisy', '4']]);
    fails(['class', 'move', 'ferns', '9'], /POSITION must be a whole number from 1 to 4/);

    const before = state();
    const merged = graft(['class', 'merge', 'daisy', 'tulips']).out;
    assert.deepEqual([merged.from, merged.class.name, merged.class.count, merged.changed], ['daisy', 'tulips', 4, 2]);
    fails(['class', 'merge', 'tulips', 'Tulips'], /Cannot merge "tulips" into itself/);
    fails(['class', 'merge', 'daisy', 'tulips'], /There is no class named "daisy"/);
    const deleted = graft(['class', 'delete', 'tulips']).out;
    assert.deepEqual([deleted.deleted, deleted.changed, deleted.unlabelled], ['tulips', 4, 6]);
    assert.deepEqual(state().counts, { ferns: 0, Rose: 0 });
    graft(['undo']);
    graft(['undo']);
    assert.deepEqual(state(), before, 'undo brings back both classes with their images');
  });

  it('needs an existing project and creates none by mistake', () => {
    const res = spawnSync(process.execPath, [graftBin, 'classes', '--json'], { cwd: tmp.dir, encoding: 'utf8' });
    assert.equal(res.status, 1);
    assert.match(res.stderr, /^graft classes: "graft classes" needs --project FILE\.\n$/);
    const ghost = path.join(tmp.dir, 'ghost.graft');
    const res2 = spawnSync(process.execPath, [graftBin, 'undo', '--project', ghost], { cwd: tmp.dir, encoding: 'utf8' });
    assert.equal(res2.status, 1);
    assert.match(res2.stderr, /No project at/);
    assert.equal(fs.existsSync(ghost), false);
  });
});
