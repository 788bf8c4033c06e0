import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { checkImports, checkLayers, specifiersOf } from '../helpers/layers';
import { repoRoot } from '../helpers/paths';

describe('layers: shared/ ← main/, shared/ ← renderer/, never main/ ↔ renderer/', () => {
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
});
