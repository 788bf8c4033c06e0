import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CatalogueArea } from '../../shared/events';
import { Engine } from '../../main/engine/engine';
import { call, dispatch } from '../../main/engine/dispatch';
import { insertImages } from '../helpers/label-fixtures';
import { tempDir } from '../helpers/paths';

/** The classes.* and labels.* methods as the renderer calls them: validated, enveloped, announced. */
describe('classes and labels API', () => {
  const tmp = tempDir('graft-labels-api-');
  let engine: Engine;
  let img: number[];
  const changes: CatalogueArea[][] = [];

  before(() => {
    engine = new Engine(path.join(tmp.dir, 'api.graft'));
    img = insertImages(engine.db, path.join(tmp.dir, 'photos'), [{ cls: 'cats' }, { cls: 'cats' }, { cls: 'dogs' }, { cls: null }]).ids;
    engine.on('catalogue.changed', (e) => changes.push(e.areas));
  });
  after(async () => {
    await engine.close();
    tmp.cleanup();
  });

  it('lists, creates, renames, recolours and reorders classes, announcing each change', async () => {
    const listed = await call(engine, 'classes.list', {});
    assert.deepEqual(listed.map((c) => [c.name, c.count]), [['cats', 2], ['dogs', 1]]);
    const birds = await call(engine, 'classes.create', { name: 'birds' });
    assert.equal(birds.position, 2);
    assert.deepEqual(changes.at(-1), ['classes']);
    assert.equal((await call(engine, 'classes.rename', { id: birds.id, name: 'parrots' })).name, 'parrots');
    assert.equal((await call(engine, 'classes.recolor', { id: birds.id, color: '#abcdef' })).color, '#abcdef');
    const order = await call(engine, 'classes.reorder', { ids: [birds.id] });
    assert.deepEqual(order.map((c) => c.name), ['parrots', 'cats', 'dogs']);
    assert.equal(changes.length, 4);
  });

  it('labels, merges, deletes, undoes and redoes through the envelope', async () => {
    const [cats, dogs] = (await call(engine, 'classes.list', {})).filter((c) => c.name !== 'parrots');
    const set = await call(engine, 'labels.set', { imageIds: [img[2], img[3]], classId: cats.id });
    assert.equal(set.changed, 2);
    assert.deepEqual(changes.at(-1), ['classes', 'labels', 'images']);
    const merge = await call(engine, 'classes.merge', { from: dogs.id, into: cats.id });
    assert.equal(merge.changed, 0, 'dogs had no images left');
    const del = await call(engine, 'classes.delete', { id: cats.id });
    assert.equal(del.changed, 4);
    assert.deepEqual(await call(engine, 'labels.undo', {}), { description: 'Undid: delete class "cats" (4 images become unlabelled)', changed: 4 });
    assert.deepEqual(await call(engine, 'labels.redo', {}), { description: 'Redid: delete class "cats" (4 images become unlabelled)', changed: 4 });
    await call(engine, 'labels.undo', {});
    await call(engine, 'labels.undo', {});
    assert.deepEqual((await call(engine, 'classes.list', {})).map((c) => [c.name, c.count]), [['parrots', 0], ['cats', 4], ['dogs', 0]]);
  });

  it('does not announce a label change that changed nothing', async () => {
    const cats = (await call(engine, 'classes.list', {})).find((c) => c.name === 'cats');
    const before = changes.length;
    assert.deepEqual(await call(engine, 'labels.set', { imageIds: [img[0]], classId: cats!.id }), { changed: 0, operationId: null });
    assert.equal(changes.length, before);
  });

  it('answers bad input with codes for tests and messages for people', async () => {
    const cats = (await call(engine, 'classes.list', {})).find((c) => c.name === 'cats')!;
    const before = changes.length;
    const cases: [string, unknown, string, RegExp][] = [
      ['classes.create', { name: '  ' }, 'invalid_params', /needs a name/],
      ['classes.create', { name: 'CATS' }, 'conflict', /already a class named "cats"/],
      ['classes.rename', { id: cats.id, name: 'Dogs' }, 'conflict', /merge "cats" into "dogs"/],
      ['classes.merge', { from: cats.id, into: cats.id }, 'invalid_params', /into itself/],
      ['classes.delete', { id: 31337 }, 'not_found', /no class with id 31337/],
      ['classes.recolor', { id: cats.id, color: 'red' }, 'invalid_params', /color/],
      ['labels.set', { imageIds: [], classId: cats.id }, 'invalid_params', /imageIds/],
      ['labels.set', { imageIds: [99999], classId: null }, 'not_found', /not in the project/],
    ];
    for (const [method, params, code, message] of cases) {
      const env = await dispatch(engine, method, params);
      assert.equal(env.ok, false, method);
      if (!env.ok) {
        assert.equal(env.error.code, code, `${method} ${JSON.stringify(params)}: ${env.error.message}`);
        assert.match(env.error.message, message);
      }
    }
    assert.equal(changes.length, before, 'refused changes are not announced');
    while ((await dispatch(engine, 'labels.undo', {})).ok);
    const none = await dispatch(engine, 'labels.undo', {});
    assert.deepEqual(none, { ok: false, error: { code: 'not_found', message: 'Nothing to undo.' } });
  });
});
