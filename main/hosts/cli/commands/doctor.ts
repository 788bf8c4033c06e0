import fs from 'node:fs';
import type { Command } from '../command';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Report the TensorFlow runtime, versions, and what is installed',
  usage: [
    'Usage: graft doctor [--json]',
    '',
    'Shows which TensorFlow.js runtime Graft uses here (tfjs-node = native TensorFlow, wasm =',
    'WebAssembly with SIMD, cpu = plain JavaScript, only when opted into with GRAFT_ALLOW_CPU=1)',
    'and why each other one is not used, the versions in use, whether Electron is available,',
    'and where backbone weights are looked for. GRAFT_RUNTIME=tfjs-node|wasm|cpu forces a',
    'runtime. Needs no project.',
  ].join('\n'),
  async run(ctx) {
    const info = { ...(await ctx.engineWithoutProject().call('runtime.info', {})), electron: electronPackage() };
    const yes = (a: { available: boolean; version: string | null; error: string | null }) =>
      a.available ? `yes (${a.version})` : `no${a.error ? ` (${a.error})` : ''}`;
    const detail = info.tensorflowVersion ? ` (TensorFlow ${info.tensorflowVersion})` : info.wasmSimd != null ? (info.wasmSimd ? ', SIMD' : ', no SIMD') : '';
    const text = [
      `runtime:     ${info.runtime ? `${info.runtime}${detail}` : `none (${info.runtimeError})`}`,
      ...(info.requested ? [`requested:   GRAFT_RUNTIME=${info.requested}${info.requested === 'onnx' ? ' (ONNX Runtime for inference; TF.js keeps its usual order)' : ''}`] : []),
      ...info.runtimes.map((r) => `  ${`${r.name}:`.padEnd(11)}${r.used ? 'in use' : `not used: ${r.reason}`}`),
      `TF.js:       ${info.tfjsVersion ?? '?'}`,
      `tfjs-node:   ${info.tfjsNodeVersion ? `${info.tfjsNodeVersion} installed` : 'not installed'}`,
      `Electron:    ${yes(info.electron)}`,
      `Node:        ${info.node} on ${info.platform}-${info.arch}, ${info.cpus} cores`,
      `models dir:  ${info.modelsDir ?? '(GRAFT_MODELS_DIR not set)'}`,
      `cache:       ${info.cacheDir}`,
    ].join('\n');
    return { json: info, text };
  },
};

/** Whether the desktop app can start here: the electron package and its binary (a separate download). */
function electronPackage(): { available: boolean; version: string | null; error: string | null } {
  let version: string;
  try {
    version = (require('electron/package.json') as { version: string }).version;
  } catch {
    return { available: false, version: null, error: 'not installed' };
  }
  try {
    // The electron package exports the binary's path; it throws when the binary never downloaded.
    const bin = require('electron') as unknown as string;
    const exists = typeof bin === 'string' && fs.existsSync(bin);
    return { available: exists, version, error: exists ? null : 'the Electron binary is missing' };
  } catch (err) {
    return { available: false, version, error: String((err as Error).message).split('\n')[0].slice(0, 300) };
  }
}
