import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as fx from '../helpers/image-fixtures';
import { graftBin, tempDir } from '../helpers/paths';

function graft(...args: string[]) {
  const res = spawnSync(process.execPath, [graftBin, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** `graft import` and `graft status` as a person and a script use them, failures included. */
describe('graft import and graft status', () => {
  const tmp = tempDir('graft-import-cli-');
  const folder = path.join(tmp.dir, 'pets');
  const project = path.join(tmp.dir, 'pets.graft');

  before(async () => {
    fs.mkdirSync(path.join(folder, 'cats'), { recursive: true });
    fs.mkdirSync(path.join(folder, 'dogs'), { recursive: true });
    const cat = await fx.jpeg(50, 40);
    fs.writeFileSync(path.join(folder, 'cats', 'tom.jpg'), cat);
    fs.writeFileSync(path.join(folder, 'cats', 'tom again.jpg'), cat);
    fs.writeFileSync(path.join(folder, 'dogs', 'not really a dog.jpg'), cat);
    fs.writeFileSync(path.join(folder, 'dogs', 'rex.png'), await fx.pngWithAlpha());
    fs.writeFileSync(path.join(folder, 'dogs', 'broken.jpg'), await fx.truncatedJpeg());
    fs.writeFileSync(path.join(folder, 'unsorted.webp'), await fx.webp());
  });
  after(tmp.cleanup);

  it('prints a readable summary without --json', () => {
    const r = graft('import', folder, '--project', project);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Imported .*pets: 6 image files in \d+\.\d s$/m);
    assert.match(r.stdout, /added 5 files \(3 new images\), 0 unchanged, 0 missing/);
    assert.match(r.stdout, /project: cats 1, dogs 1; 1 unlabelled/);
    assert.match(r.stdout, /Label conflicts \(1\).*\n {2}cats\/tom again\.jpg = cats\/tom\.jpg = dogs\/not really a dog\.jpg {2}\(cats vs dogs\)/);
    assert.match(r.stdout, /Skipped \(1\):\n {2}dogs\/broken\.jpg: the file is truncated/);
  });

  it('prints exactly one JSON object with --json, and status agrees', () => {
    const r = graft('import', folder, '--project', project, '--json');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim().split('\n').length, 1);
    const s = JSON.parse(r.stdout);
    assert.deepEqual([s.added, s.unchanged, s.skipped.length, s.conflicts.length], [0, 5, 1, 1]);
    // tom again.jpg is a duplicate, but of a conflicted image: reported within the conflict.
    assert.deepEqual(s.conflicts[0].paths.map((p: string) => path.relative(folder, p)), [
      path.join('cats', 'tom again.jpg'),
      path.join('cats', 'tom.jpg'),
      path.join('dogs', 'not really a dog.jpg'),
    ]);
    const st = graft('status', '--project', project, '--json');
    assert.equal(st.code, 0, st.stderr);
    assert.deepEqual(JSON.parse(st.stdout), { images: 3, classes: { cats: 1, dogs: 1 }, unlabelled: 1, conflicts: 1, missing: 0, path: project });
    const text = graft('status', '--project', project);
    assert.match(text.stdout, /3 images\n {2}cats +1\n {2}dogs +1\n {2}unlabelled +1\n1 label conflict to settle/);
  });

  it('fails with one line, non-zero, and creates no project, for a folder that is not there', () => {
    const nowhere = path.join(tmp.dir, 'nowhere.graft');
    const r = graft('import', path.join(tmp.dir, 'missing'), '--project', nowhere, '--json');
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^graft import: The folder .*missing does not exist\. Check the path and try again\.\n$/);
    assert.equal(fs.existsSync(nowhere), false);

    const file = graft('import', path.join(folder, 'unsorted.webp'), '--project', nowhere);
    assert.equal(file.code, 1);
    assert.match(file.stderr, /is a file, not a folder/);
    assert.equal(graft('import', '--project', nowhere).code, 1);
    assert.match(graft('import', '--project', nowhere).stderr, /Which folder\?/);
    assert.match(graft('import', folder).stderr, /needs --project FILE/);

    const st = graft('status', '--project', nowhere, '--json');
    assert.equal(st.code, 1);
    assert.match(st.stderr, /^graft status: No project at .*nowhere\.graft/);
    assert.equal(fs.existsSync(nowhere), false, 'status does not create a project');
  });
});
