import fs from 'node:fs';
import path from 'node:path';

/**
 * Graft's layering rule, checked on the source text:
 *   shared/   imports nothing of ours, and of packages only zod;
 *   main/     may import shared/, never renderer/ (nor test/);
 *   renderer/ may import shared/, never main/ (nor test/), and no Node or Electron
 *             modules: it runs in a browser page and in a sandboxed window.
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

/** Every violation in the checkout at `root` (renderer/src only: vite.config.ts is build tooling). */
export function checkLayers(root: string): Violation[] {
  const files = [...sourceFiles(path.join(root, 'shared')), ...sourceFiles(path.join(root, 'main')), ...sourceFiles(path.join(root, 'renderer', 'src'))];
  return files.flatMap((f) => checkImports(root, f, specifiersOf(fs.readFileSync(f, 'utf8'))));
}
