import fs from 'node:fs';
import path from 'node:path';

/**
 * Serving the built renderer (dist/renderer) to a browser or to Electron's app://
 * protocol: which file a URL path names, and its content type. Nothing outside the
 * folder is ever served, whatever `..`, encoded slashes or NUL bytes the path holds.
 */

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

export function contentTypeFor(file: string): string {
  return MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * The absolute file a URL path names inside `root`, or null when it is outside the
 * folder, malformed, or not a regular file. `/` is the page itself.
 */
export function resolveStaticFile(root: string, urlPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const relative = decoded === '/' || decoded === '' ? 'index.html' : decoded.replace(/^\/+/, '');
  const rootAbs = path.resolve(root);
  const file = path.resolve(rootAbs, relative);
  const rel = path.relative(rootAbs, file);
  if (!rel || rel.startsWith('..') || path.isAbsolute(rel)) return null;
  // No dotfiles (source maps are fine; .env-like files are not ours to serve).
  if (rel.split(path.sep).some((part) => part.startsWith('.'))) return null;
  try {
    if (!fs.statSync(file).isFile()) return null;
  } catch {
    return null;
  }
  return file;
}

/** A page for when the renderer has not been built, so a browser shows what to do. */
export function notBuiltPage(root: string): string {
  return `<!doctype html><meta charset="utf-8"><title>Graft</title>
<body style="font:16px system-ui;margin:3em;max-width:40em">
<h1>Graft's interface is not built yet</h1>
<p>No <code>index.html</code> in <code>${escapeHtml(root)}</code>. Run <code>npm run build:renderer</code> in the Graft checkout, then reload this page.</p>`;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
