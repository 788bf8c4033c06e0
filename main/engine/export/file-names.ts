/**
 * File and folder names that are safe on every desktop file system (Windows is the
 * strictest), so an export made on Linux can be copied anywhere.
 */

const RESERVED_WINDOWS = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])(\..*)?$/i;

export function safeFileName(name: string, fallback = 'unnamed'): string {
  let s = name
    .normalize('NFC')
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]/g, '_')
    .replace(/[. ]+$/, '')
    .trim();
  if (!s || s === '.' || s === '..') s = fallback;
  if (RESERVED_WINDOWS.test(s)) s = `_${s}`;
  // Leave room for a de-duplicating suffix within common 255-byte limits.
  if (Buffer.byteLength(s) > 200) {
    while (Buffer.byteLength(s) > 200) s = s.slice(0, -1);
  }
  return s;
}

/**
 * Hands out names unique within one folder, case-insensitively (macOS and Windows
 * folders do not tell "Roses" from "roses").
 */
export class UniqueNames {
  private readonly used = new Set<string>();

  constructor(reserved: Iterable<string> = []) {
    for (const r of reserved) this.used.add(r.toLowerCase());
  }

  take(wanted: string, disambiguator: () => string): string {
    let name = wanted;
    if (this.used.has(name.toLowerCase())) {
      const dot = wanted.lastIndexOf('.');
      const [stem, ext] = dot > 0 ? [wanted.slice(0, dot), wanted.slice(dot)] : [wanted, ''];
      name = `${stem}-${disambiguator()}${ext}`;
      for (let n = 2; this.used.has(name.toLowerCase()); n++) name = `${stem}-${disambiguator()}-${n}${ext}`;
    }
    this.used.add(name.toLowerCase());
    return name;
  }
}
