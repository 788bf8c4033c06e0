import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { checkImports, checkLayers, checkSql, specifiersOf } from '../helpers/layers';
import { repoRoot } from '../helpers/paths';

describe('layers: shared/ ← main/, shared/ ← renderer/, never main/ ↔ renderer/; hosts → engine front door; pure model; SQL in the store', () => {
  test('the checkout keeps the rule', () => {
    assert.ok(fs.existsSync(path.join(repoRoot, 'shared', 'api.ts')), 'reads the sources of this checkout');
    const violations = checkLayers(repoRoot);
    assert.deepEqual(
      violations.map((v) => `${v.file}: "${v.specifier}" (${v.reason})`),
      [],
    );
  });

  test('finds every kind of import in source text, ignoring comments', () => {
    const text = `
      import { a } from './a';
      import type { B } from "../b";
      export { c } from './c';
      export * from './d';
      import './side-effect';
      const e = await import('./e');
      const f = require('./f');
      // import { g } from '../main/g';
      /* import { h } from '../renderer/h'; */
      const url = 'http://example.com/x'; // not an import
    `;
    assert.deepEqual(specifiersOf(text).sort(), ['../b', './a', './c', './d', './e', './f', './side-effect']);
  });

  test('flags each forbidden direction', () => {
    const root = '/repo';
    const bad = (file: string, spec: string) => checkImports(root, path.join(root, file), [spec]).length;
    assert.equal(bad('shared/api.ts', '../main/api/engine'), 1);
    assert.equal(bad('shared/api.ts', '../renderer/src/x'), 1);
    assert.equal(bad('shared/api.ts', 'node:fs'), 1);
    assert.equal(bad('shared/api.ts', 'zod'), 0);
    assert.equal(bad('shared/api/library.ts', '../contract'), 0);
    assert.equal(bad('main/server/server.ts', '../../renderer/src/transport/web'), 1);
    assert.equal(bad('main/server/server.ts', '../../shared/api'), 0);
    assert.equal(bad('main/server/server.ts', '../../test/helpers/paths'), 1);
    assert.equal(bad('renderer/src/App.svelte', '../../main/api/engine'), 1);
    assert.equal(bad('renderer/src/App.svelte', 'shared/api'), 0);
    assert.equal(bad('renderer/src/transport/web.ts', 'node:fs'), 1);
    assert.equal(bad('renderer/src/transport/web.ts', 'electron'), 1);
    assert.equal(bad('renderer/src/App.svelte', 'svelte'), 0);
  });

  test('keeps the engine apart from its hosts, and model code pure', () => {
    const root = '/repo';
    const bad = (file: string, spec: string) => checkImports(root, path.join(root, file), [spec]).length;
    assert.equal(bad('main/engine/training/train.ts', '../../hosts/cli/progress'), 1, 'the engine never imports a host');
    assert.equal(bad('main/engine/engine.ts', 'electron'), 1);
    assert.equal(bad('main/hosts/cli/graft.ts', '../../engine'), 0, 'the front door');
    assert.equal(bad('main/hosts/cli/graft.ts', '../../engine/index'), 0);
    assert.equal(bad('main/hosts/cli/commands/train.ts', '../../../engine/catalogue/runs'), 1, 'no way round it');
    assert.equal(bad('main/hosts/server/server.ts', '../../engine/errors'), 1);
    assert.equal(bad('main/hosts/electron/main.ts', 'electron'), 0);
    assert.equal(bad('main/engine/model/head.ts', './rng'), 0);
    assert.equal(bad('main/engine/model/head.ts', '../errors'), 0);
    assert.equal(bad('main/engine/model/splits.ts', '../catalogue/open'), 1, 'pure model code imports no storage');
    assert.equal(bad('main/engine/model/features.ts', 'better-sqlite3'), 1);
    assert.equal(bad('main/engine/model/features.ts', 'node:fs'), 1);
    assert.equal(bad('main/engine/model/vote.ts', '../../../shared/api/training'), 0);
  });

  test('finds SQL outside the store', () => {
    const root = '/repo';
    const sql = (file: string, text: string) => checkSql(root, path.join(root, file), text).length;
    assert.equal(sql('main/engine/insights/x.ts', "db.prepare('SELECT 1')"), 1);
    assert.equal(sql('main/hosts/cli/commands/label.ts', 'db.transaction(() => {})();'), 1);
    assert.equal(sql('main/engine/catalogue/images.ts', "db.prepare('SELECT 1')"), 0, 'the store itself');
    assert.equal(sql('main/hosts/server/x.ts', 'ROUTE.exec(pathname)'), 0, 'a regular expression is not SQL');
    assert.equal(sql('main/engine/x.ts', '// db.prepare(…) was here'), 0, 'comments do not count');
  });
});
