'use strict';
/**
 * The one browser resolver for everything in the tests that drives a browser (end-to-end
 * tests, their screenshots, the exported report's rendering check). In order:
 *
 *   1. GRAFT_CHROMIUM, when set: it must be a working Chrome or Chromium (else an error:
 *      a path the person chose is never passed over silently);
 *   2. a system Chrome or Chromium at the usual places on Linux, macOS and Windows;
 *   3. the Chromium that ships inside the devDependency @sparticuz/chromium (Linux x64
 *      and arm64): a brotli-packed headless shell, unpacked once into node_modules/.cache.
 *
 * A candidate that exists but does not answer `--version` as a browser is passed over, so a
 * stale link or a half-unpacked file never decides the run. Plain JavaScript, so that
 * `test/run.js` can ask before anything is compiled; the compiled tests load it by path.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { pipeline } = require('node:stream/promises');

const root = path.join(__dirname, '..');
const PACKAGE = '@sparticuz/chromium';

/** Where a system browser usually is, per platform. */
function systemCandidates() {
  if (process.platform === 'darwin') {
    const apps = ['/Applications', path.join(os.homedir(), 'Applications')];
    return apps.flatMap((dir) => [
      path.join(dir, 'Google Chrome.app/Contents/MacOS/Google Chrome'),
      path.join(dir, 'Chromium.app/Contents/MacOS/Chromium'),
      path.join(dir, 'Google Chrome for Testing.app/Contents/MacOS/Google Chrome for Testing'),
      path.join(dir, 'Microsoft Edge.app/Contents/MacOS/Microsoft Edge'),
    ]);
  }
  if (process.platform === 'win32') {
    const bases = [process.env.LOCALAPPDATA, process.env.PROGRAMFILES, process.env['PROGRAMFILES(X86)']].filter(Boolean);
    return bases.flatMap((base) => [
      path.join(base, 'Google', 'Chrome', 'Application', 'chrome.exe'),
      path.join(base, 'Chromium', 'Application', 'chrome.exe'),
      path.join(base, 'Microsoft', 'Edge', 'Application', 'msedge.exe'),
    ]);
  }
  return [
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
    '/usr/bin/google-chrome',
    '/usr/bin/google-chrome-stable',
    '/usr/local/bin/chromium',
    '/snap/bin/chromium',
    '/opt/google/chrome/chrome',
  ];
}

/**
 * The browser's own name and version, or null when `file` is not a browser that runs here.
 * On Windows, chrome.exe prints nothing for --version (it is a GUI program), so an existing
 * .exe is taken at its word there.
 */
function probe(file) {
  try {
    const stat = fs.statSync(file);
    if (!stat.isFile()) return null;
    if (process.platform === 'win32') return /\.exe$/i.test(file) ? path.basename(file, '.exe') : null;
    fs.accessSync(file, fs.constants.X_OK);
    const out = execFileSync(file, ['--version'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return /chrom|google chrome|edge/i.test(out) ? out.split('\n')[0] : null;
  } catch {
    return null;
  }
}

/** The packaged Chromium's folder in node_modules, or null where it is not installed. */
function packageDir() {
  // Its "exports" map hides package.json, so climb from the entry point.
  let dir;
  try {
    dir = path.dirname(require.resolve(PACKAGE, { paths: [root] }));
  } catch {
    return null;
  }
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
}

/**
 * Unpacks the packaged headless shell (and its fonts) once into node_modules/.cache, keyed by
 * the package's version; a temporary folder renamed into place, so an interrupted unpack is
 * simply done again.
 */
async function unpackPackaged(dir) {
  const version = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
  const target = path.join(root, 'node_modules', '.cache', 'graft-chromium', version);
  const binary = path.join(target, 'chromium');
  if (fs.existsSync(binary)) return { binary, fontsConfig: path.join(target, 'fonts.conf') };
  const staging = `${target}.tmp-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  fs.mkdirSync(staging, { recursive: true });
  const bin = path.join(dir, 'bin');
  await pipeline(fs.createReadStream(path.join(bin, 'chromium.br')), zlib.createBrotliDecompress(), fs.createWriteStream(path.join(staging, 'chromium'), { mode: 0o755 }));
  const tar = require(require.resolve('tar-fs', { paths: [dir] }));
  await pipeline(fs.createReadStream(path.join(bin, 'fonts.tar.br')), zlib.createBrotliDecompress(), tar.extract(staging));
  const arimo = writeArimo(path.join(staging, 'fonts', 'Arimo'));
  // The archive's own fonts.conf (unpacked beside it) points at AWS Lambda's folders. Ours keeps
  // the system's fonts, so pages look as they do in a system browser. Debian's Chromium brings
  // Liberation Sans, which the studio's font list names; where it is missing, Arimo (the same
  // design and metrics) stands in, so text takes the same room and layout checks see the same
  // lines with either browser. The packaged Open Sans is a last fallback for machines with no fonts.
  fs.writeFileSync(
    path.join(staging, 'fonts.conf'),
    [
      '<?xml version="1.0"?>',
      '<!DOCTYPE fontconfig SYSTEM "fonts.dtd">',
      '<fontconfig>',
      '  <include ignore_missing="yes">/etc/fonts/fonts.conf</include>',
      `  <dir>${path.join(target, 'fonts')}</dir>`,
      `  <cachedir>${path.join(target, 'fonts-cache')}</cachedir>`,
      ...(arimo ? ['  <alias binding="same"><family>Liberation Sans</family><accept><family>Arimo</family></accept></alias>'] : []),
      '</fontconfig>',
      '',
    ].join('\n'),
  );
  try {
    fs.renameSync(staging, target);
  } catch (err) {
    // Another run unpacked it at the same moment: theirs is as good as ours.
    fs.rmSync(staging, { recursive: true, force: true });
    if (!fs.existsSync(binary)) throw err;
  }
  return { binary, fontsConfig: path.join(target, 'fonts.conf') };
}

/**
 * Arimo's Latin faces (from the devDependency @fontsource/arimo, which ships them as WOFF) as
 * TrueType files fontconfig can read. Returns false where the package is missing.
 */
function writeArimo(folder) {
  let files;
  try {
    files = path.join(path.dirname(require.resolve('@fontsource/arimo/package.json', { paths: [root] })), 'files');
  } catch {
    return false;
  }
  fs.mkdirSync(folder, { recursive: true });
  for (const subset of ['latin', 'latin-ext']) {
    for (const face of ['400-normal', '400-italic', '700-normal', '700-italic']) {
      const name = `arimo-${subset}-${face}`;
      fs.writeFileSync(path.join(folder, `${name}.ttf`), woffToSfnt(fs.readFileSync(path.join(files, `${name}.woff`))));
    }
  }
  return true;
}

/**
 * WOFF 1.0 → the TrueType/OpenType file it wraps (W3C WOFF 1.0, section 5): the same tables,
 * each inflated when its stored length is below its original length, behind a plain sfnt header.
 */
function woffToSfnt(woff) {
  if (woff.toString('latin1', 0, 4) !== 'wOFF') throw new Error('not a WOFF 1.0 file');
  const flavor = woff.readUInt32BE(4);
  const numTables = woff.readUInt16BE(12);
  const tables = [];
  for (let i = 0; i < numTables; i++) {
    const at = 44 + i * 20;
    const offset = woff.readUInt32BE(at + 4);
    const compLength = woff.readUInt32BE(at + 8);
    const origLength = woff.readUInt32BE(at + 12);
    const stored = woff.subarray(offset, offset + compLength);
    tables.push({ tag: woff.subarray(at, at + 4), checksum: woff.readUInt32BE(at + 16), data: compLength < origLength ? zlib.inflateSync(stored) : stored });
  }
  const entrySelector = Math.floor(Math.log2(numTables));
  const searchRange = 2 ** entrySelector * 16;
  const header = Buffer.alloc(12 + numTables * 16);
  header.writeUInt32BE(flavor, 0);
  header.writeUInt16BE(numTables, 4);
  header.writeUInt16BE(searchRange, 6);
  header.writeUInt16BE(entrySelector, 8);
  header.writeUInt16BE(numTables * 16 - searchRange, 10);
  const parts = [header];
  let offset = header.length;
  tables.forEach((t, i) => {
    const at = 12 + i * 16;
    t.tag.copy(header, at);
    header.writeUInt32BE(t.checksum, at + 4);
    header.writeUInt32BE(offset, at + 8);
    header.writeUInt32BE(t.data.length, at + 12);
    const padded = Buffer.alloc((t.data.length + 3) & ~3);
    t.data.copy(padded);
    parts.push(padded);
    offset += padded.length;
  });
  return Buffer.concat(parts);
}

/**
 * @typedef {object} FoundBrowser
 * @property {string} executablePath
 * @property {string} version   what the browser says of itself, e.g. "Chromium 153.0.8010.0"
 * @property {'GRAFT_CHROMIUM' | 'system' | 'packaged'} source
 * @property {Record<string, string>} env  extra environment for the browser process
 * @property {string} description  one line for the run's log
 */

/** @type {Promise<FoundBrowser> | undefined} */
let found;

/**
 * Finds the browser, unpacking the packaged one if it is the one to use. Rejects with a
 * message that names what was looked for and how to fix it.
 * @returns {Promise<FoundBrowser>}
 */
function findBrowser() {
  found ??= find();
  return found;
}

/** Set by test/run.js for the test processes it starts, so that every file uses the browser it announced. */
const HANDED_DOWN = 'GRAFT_BROWSER_FOUND';

async function find() {
  if (process.env[HANDED_DOWN]) return JSON.parse(process.env[HANDED_DOWN]);
  const chosen = process.env.GRAFT_CHROMIUM;
  if (chosen) {
    const version = probe(chosen);
    if (!version) throw new Error(`GRAFT_CHROMIUM is set to ${chosen}, which is not a Chrome or Chromium that runs here (it is missing, not executable, or does not answer --version). Point it at a working browser, or unset it to let the tests find one.`);
    return { executablePath: chosen, version, source: 'GRAFT_CHROMIUM', env: {}, description: `${version} at ${chosen} (GRAFT_CHROMIUM)` };
  }
  const candidates = systemCandidates();
  for (const file of candidates) {
    const version = probe(file);
    if (version) return { executablePath: file, version, source: 'system', env: {}, description: `${version} at ${file} (system)` };
  }
  const dir = packageDir();
  let packagedProblem = `${PACKAGE} is not installed (run npm ci)`;
  if (dir && process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')) {
    try {
      const { binary, fontsConfig } = await unpackPackaged(dir);
      const version = probe(binary);
      if (version) {
        return { executablePath: binary, version, source: 'packaged', env: { FONTCONFIG_FILE: fontsConfig }, description: `${version} at ${binary} (packaged: ${PACKAGE})` };
      }
      packagedProblem = `the packaged Chromium at ${binary} does not run here`;
    } catch (err) {
      packagedProblem = `unpacking ${PACKAGE} failed: ${err.message}`;
    }
  } else if (dir) {
    packagedProblem = `${PACKAGE} has no Chromium for ${process.platform}-${process.arch}`;
  }
  throw new Error(
    [
      'No browser for the UI tests.',
      `Looked for: GRAFT_CHROMIUM (not set); a system Chrome or Chromium at ${candidates.join(', ')}; the packaged Chromium (${packagedProblem}).`,
      'Fix: install Chrome or Chromium (on Debian: apt-get install chromium), or set GRAFT_CHROMIUM to a Chrome or Chromium binary.',
      'To run every other test without the UI: GRAFT_SKIP_UI_TESTS=1 npm test',
    ].join('\n'),
  );
}

/** The documented opt-out: run everything but the tests that need a browser. */
function uiTestsSkipped() {
  return process.env.GRAFT_SKIP_UI_TESTS === '1';
}

module.exports = { findBrowser, uiTestsSkipped, HANDED_DOWN };
