/**
 * onnxruntime-node, loaded on first use and never at import time: its native library may
 * be missing (a platform without a prebuilt binary, a damaged install, a package built
 * without it), and Graft must still start and run on TF.js then. The reason is kept for
 * `graft doctor`.
 */
export type Ort = typeof import('onnxruntime-node');

export type OrtLoad = { ok: true; ort: Ort; version: string } | { ok: false; reason: string };

let loaded: OrtLoad | undefined;

/** The runtime, or why it cannot load here (per thread, once). */
export function loadOnnxRuntime(): OrtLoad {
  if (loaded) return loaded;
  try {
    // A guarded require: the package is a dependency, but its binary is per platform.
    const ort = require('onnxruntime-node') as Ort;
    const version = (ort.env as { versions?: { node?: string } }).versions?.node ?? 'unknown';
    loaded = { ok: true, ort, version };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'MODULE_NOT_FOUND' && /onnxruntime-node['"]?$/m.test(String(e.message).split('\n')[0])
      ? 'onnxruntime-node is not installed'
      : `onnxruntime-node does not load here (${String(e.message).split('\n')[0].slice(0, 300)})`;
    loaded = { ok: false, reason };
  }
  return loaded;
}
