#!/usr/bin/env node
'use strict';
// Part of `npm run build`: compiles each WebAssembly text module under main/ (`*.wat`) to
// its binary beside the compiled JavaScript (main/x/y.wat -> dist/main/x/y.wasm), with
// wabt, the WebAssembly project's own assembler (an npm devDependency: no toolchain to
// install). The text is the source; the binary is never committed.
const fs = require('node:fs');
const path = require('node:path');
const { sourceFiles } = require('./source-files');

const root = path.resolve(__dirname, '..');

async function main() {
  const sources = sourceFiles(root, ['main']).filter((f) => f.endsWith('.wat'));
  const wabt = await require('wabt')();
  for (const rel of sources) {
    const text = fs.readFileSync(path.join(root, rel), 'utf8');
    let module;
    try {
      // SIMD is on by default in wabt; naming it keeps the requirement visible.
      module = wabt.parseWat(rel, text, { simd: true });
      module.validate();
    } catch (err) {
      process.stderr.write(`${rel}: ${err.message}\n`);
      return 1;
    }
    const { buffer } = module.toBinary({ write_debug_names: true });
    module.destroy();
    const out = path.join(root, 'dist', rel.replace(/\.wat$/, '.wasm'));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, buffer);
  }
  return 0;
}

main().then(
  (code) => (process.exitCode = code),
  (err) => {
    process.stderr.write(`build-wasm: ${err.stack ?? err}\n`);
    process.exitCode = 1;
  },
);
