import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { flowersDir, graftBin, tempDir } from '../helpers/paths';

/**
 * The whole flowers set through the `graft` command, as the README shows it:
 * 1,806 photos, the one label conflict and the two duplicates the original set
 * contains, then a second run that finds everything unchanged.
 */
describe('graft import on the 1,806 flower photos', () => {
  const tmp = tempDir('graft-import-flowers-');
  const project = path.join(tmp.dir, 'f.graft');
  after(tmp.cleanup);

  function graft(...args: string[]) {
    const res = spawnSync(process.execPath, [graftBin, ...args], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(res.status, 0, `graft ${args.join(' ')} failed: ${res.stderr}`);
    assert.doesNotThrow(() => JSON.parse(res.stdout), `stdout is one JSON object: ${res.stdout.slice(0, 200)}`);
    return { json: JSON.parse(res.stdout), stderr: res.stderr };
  }
  const f = (...parts: string[]) => path.join(flowersDir, ...parts);

  it('reports 1,806 files, the roses/tulips conflict and the two sunflower duplicates', () => {
    const { json: s, stderr } = graft('import', flowersDir, '--project', project, '--json');
    assert.match(stderr, /import: 1806\/1806 \(100%\)/, 'progress goes to stderr');
    assert.deepEqual(
      Object.keys(s).slice(0, 8),
      ['added', 'unchanged', 'missing', 'duplicates', 'conflicts', 'skipped', 'classes', 'unlabelled'],
    );
    assert.deepEqual([s.files, s.added, s.newImages, s.unchanged, s.missing, s.cancelled], [1806, 1806, 1803, 0, 0, false]);
    assert.deepEqual(s.skipped, []);
    assert.deepEqual(s.conflicts, [
      {
        hash: s.conflicts[0].hash,
        paths: [f('roses', '15922772266_1167a06620.jpg'), f('tulips', '15922772266_1167a06620.jpg')],
        labels: ['roses', 'tulips'],
      },
    ]);
    assert.deepEqual(s.duplicates, [
      { path: f('sunflowers', '15066430311_fb57fa92b0_m.jpg'), sameAs: f('sunflowers', '14889392928_9742aed45b_m.jpg') },
      { path: f('sunflowers', '15072973261_73e2912ef2_n.jpg'), sameAs: f('sunflowers', '15069459615_7e0fd61914_n.jpg') },
    ]);
    // Images, not files: the conflicted photo stays under roses (its first folder) until someone decides.
    assert.deepEqual(s.classes, { daisy: 307, dandelion: 450, roses: 318, sunflowers: 346, tulips: 382 });
    assert.equal(s.unlabelled, 0);
  });

  it('finds everything unchanged the second time', () => {
    const { json: s } = graft('import', flowersDir, '--project', project, '--json');
    assert.deepEqual([s.files, s.added, s.newImages, s.unchanged, s.missing], [1806, 0, 0, 1806, 0]);
    assert.equal(s.conflicts.length, 1, 'the unresolved conflict is still reported');
    assert.equal(s.duplicates.length, 2);
    assert.ok(s.seconds < 10, `a re-import only compares sizes and times (${s.seconds} s)`);
  });

  it('shows the project in graft status', () => {
    const { json } = graft('status', '--project', project, '--json');
    assert.deepEqual(json, {
      images: 1803,
      classes: { daisy: 307, dandelion: 450, roses: 318, sunflowers: 346, tulips: 382 },
      unlabelled: 0,
      conflicts: 1,
      missing: 0,
      path: project,
    });
  });
});
