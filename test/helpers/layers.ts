import fs from 'node:fs';
import path from 'node:path';

/**
 * Graft's layering rule, checked on the source text:
 *   shared/   imports nothing of ours, and of packages only zod;
 *   main/     may import shared/, never renderer/ (nor test/); inside it:
 *     main/engine/        never imports a host, nor Electron;
 *     main/engine/model/  is pure model code (head, vote, metrics, splits, features): it
 *                         imports only model/, the engine's errors and shared/, and no
 *                         storage, files or images (better-sqlite3, sharp, node:fs);
 *     main/hosts/         (electron, server, cli) reach the engine only through its front
 *                         door, main/engine/index.ts;
 *   renderer/ may import shared/, never main/ (nor test/), and no Node or Electron
 *             modules: it runs in a browser page and in a sandboxed window.
 * And all SQL lives in main/engine/catalogue/ (the store): no `.prepare(`, `.transaction(`,
 * `.pragma(` or `.exec(` on a database anywhere else in main/.
 */
export type Layer = 'shared' | 'main' | 'renderer';

export interface Violation {
  file: string;
  specifier: string;
  reason: string;
}

const SOURCE = /\.(ts|js|mjs|cjs|svelte)$/;
// import … from 'x' · export … from 'x' · import 'x' · import('x') · require('x')
const SPECIFIERS = [
  /\b(?:import|export)\s[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g,
  /(?:^|;)\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
];

/** Every module specifier in a source text (comments stripped first). */
export function specifiersOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const found = new Set<string>();
  for (const re of SPECIFIERS) for (const m of code.matchAll(re)) found.add(m[1]);
  return [...found];
}

/** Where inside main/ a path is: 'engine', 'model' (pure), 'front' (engine/index.ts), 'hosts', or 'other'. */
function zoneOf(root: string, absolute: string): 'engine' | 'model' | 'front' | 'errors' | 'hosts' | 'other' {
  const rel = path.relative(root, absolute).split(path.sep);
  if (rel[0] !== 'main') return 'other';
  if (rel[1] === 'hosts') return 'hosts';
  if (rel[1] !== 'engine') return 'other';
  if (rel.length === 2) return 'front'; // the folder itself: its index.ts
  if (rel[2] === 'model') return 'model';
  if (rel.length === 3 && /^index(\.ts)?$/.test(rel[2])) return 'front';
  if (rel.length === 3 && /^errors(\.ts)?$/.test(rel[2])) return 'errors';
  return 'engine';
}

const STORAGE_PACKAGES = new Set(['better-sqlite3', 'sharp', 'node:fs', 'fs', 'node:fs/promises', 'fs/promises']);

function layerOf(root: string, absolute: string): Layer | 'test' | 'other' {
  const rel = path.relative(root, absolute).split(path.sep);
  if (rel[0] === 'shared' || rel[0] === 'main' || rel[0] === 'renderer' || rel[0] === 'test') return rel[0] as Layer | 'test';
  return 'other';
}

/** The rule's verdict on one file's imports. */
export function checkImports(root: string, file: string, specifiers: string[]): Violation[] {
  const layer = layerOf(root, file);
  const out: Violation[] = [];
  const rel = path.relative(root, file);
  for (const spec of specifiers) {
    let target: ReturnType<typeof layerOf> | 'package';
    if (spec.startsWith('.')) target = layerOf(root, path.resolve(path.dirname(file), spec));
    else if (spec === 'shared' || spec.startsWith('shared/')) target = 'shared'; // the renderer's alias
    else target = 'package';
    const bad = (reason: string) => out.push({ file: rel, specifier: spec, reason });
    if (layer === 'shared') {
      if (target === 'package' && spec !== 'zod') bad('shared/ may import only zod');
      else if (target !== 'package' && target !== 'shared') bad(`shared/ may not import ${target}/`);
    } else if (layer === 'main') {
      if (target === 'renderer' || target === 'test') bad(`main/ may not import ${target}/`);
      const from = zoneOf(root, file);
      const to = spec.startsWith('.') ? zoneOf(root, path.resolve(path.dirname(file), spec)) : null;
      if ((from === 'engine' || from === 'model' || from === 'front') && to === 'hosts') bad('the engine may not import a host');
      if ((from === 'engine' || from === 'model') && (spec === 'electron' || spec.startsWith('electron/'))) bad('the engine knows nothing of Electron');
      if (from === 'hosts' && (to === 'engine' || to === 'model' || to === 'errors')) bad('hosts reach the engine only through main/engine/index.ts');
      if (from === 'model' && to !== null && to !== 'model' && to !== 'errors' && target === 'main') bad('model/ is pure: it imports only model/ and the engine\'s errors');
      if (from === 'model' && STORAGE_PACKAGES.has(spec)) bad(`model/ is pure: no ${spec}`);
    } else if (layer === 'renderer') {
      if (target === 'main' || target === 'test') bad(`renderer/ may not import ${target}/`);
      else if (target === 'package' && (spec.startsWith('node:') || spec === 'electron' || spec.startsWith('electron/'))) {
        bad('the renderer runs in a page: no Node or Electron modules');
      }
    }
  }
  return out;
}

function sourceFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : sourceFiles(p);
    return SOURCE.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** SQL on a database handle outside the store: `.prepare(`, `.transaction(`, `.pragma(`, or `.exec('…` with SQL in it. */
const SQL_CALL = /\.(prepare|transaction|pragma)\(|\.exec\(\s*[`'"]\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|BEGIN)/i;

/** SQL found in a main/ file outside main/engine/catalogue/. */
export function checkSql(root: string, file: string, text: string): Violation[] {
  const rel = path.relative(root, file);
  if (!rel.startsWith(`main${path.sep}`) || rel.startsWith(path.join('main', 'engine', 'catalogue') + path.sep)) return [];
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`\\])\/\/.*$/gm, '$1');
  const m = SQL_CALL.exec(code);
  return m ? [{ file: rel, specifier: m[0], reason: 'SQL lives in the store (main/engine/catalogue/)' }] : [];
}

/** Every violation in the checkout at `root` (renderer/src only: vite.config.ts is build tooling). */
export function checkLayers(root: string): Violation[] {
  const files = [...sourceFiles(path.join(root, 'shared')), ...sourceFiles(path.join(root, 'main')), ...sourceFiles(path.join(root, 'renderer', 'src'))];
  return files.flatMap((f) => {
    const text = fs.readFileSync(f, 'utf8');
    return [...checkImports(root, f, specifiersOf(text)), ...checkSql(root, f, text)];
  });
}
