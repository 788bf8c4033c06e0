/**
 * Path facts the contract checks on both sides of the wire. The renderer has no
 * `node:path`, and the engine must answer the same way for a path typed on Windows
 * or POSIX, so the test is spelled out here.
 */

/** True for `/…`, `C:\…`, `C:/…` and `\\server\…`; false for anything relative to a working folder. */
export function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}
