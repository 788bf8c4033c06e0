#!/usr/bin/env node
'use strict';
// The `graft` command. The TypeScript sources are compiled to dist/ by `npm install`
// (the "prepare" script); say so plainly if that has not happened.
const path = require('node:path');
const fs = require('node:fs');
const entry = path.join(__dirname, '..', 'dist', 'main', 'hosts', 'cli', 'graft.js');
if (!fs.existsSync(entry)) {
  process.stderr.write('graft: not built yet. Run "npm install" (or "npm run build") in the Graft checkout first.\n');
  process.exit(1);
}
require(entry)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
