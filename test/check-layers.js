#!/usr/bin/env node
'use strict';
// `npm run lint:layers`: the layering rule of test/helpers/layers.ts, for a terminal.
const path = require('node:path');
const fs = require('node:fs');
const compiled = path.join(__dirname, '..', 'dist', 'test', 'helpers', 'layers.js');
if (!fs.existsSync(compiled)) {
  process.stderr.write('lint:layers: not built yet. Run "npm run build" first.\n');
  process.exit(2);
}
const violations = require(compiled).checkLayers(path.join(__dirname, '..'));
for (const v of violations) process.stderr.write(`${v.file}: imports "${v.specifier}": ${v.reason}\n`);
process.stdout.write(violations.length ? `${violations.length} layering violation(s)\n` : 'Layers are clean: shared/ imports nothing of ours; main/ and renderer/ never import each other.\n');
process.exit(violations.length ? 1 : 0);
