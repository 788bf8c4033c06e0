'use strict';
// The files of a build's inputs, for the scripts that ask whether a build is current
// (start.js by modification times, prepare.js by contents).
const fs = require('node:fs');
const path = require('node:path');

/**
 * Every file under `entries` (files or folders, relative to `root`), as paths relative to
 * `root`, in a fixed order; node_modules and dot-named entries are not sources.
 */
function sourceFiles(root, entries) {
  const files = [];
  const visit = (rel) => {
    let st;
    try {
      st = fs.statSync(path.join(root, rel));
    } catch {
      return;
    }
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(path.join(root, rel)).sort()) if (name !== 'node_modules' && !name.startsWith('.')) visit(path.join(rel, name));
    } else if (st.isFile()) files.push(rel);
  };
  entries.forEach(visit);
  return files;
}

module.exports = { sourceFiles };
