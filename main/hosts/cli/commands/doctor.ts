import fs from 'node:fs';
import type { Command } from '../command';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Report the runtimes in use (inference and training), versions, and what is installed',
  usage: [
    'Usage: graft doctor [--json]',
    '',
    'Shows what runs the networks for codes and prediction (onnx = ONNX Runtime, else a TF.js',
    'runtime) and what trains (tfjs-node = native TensorFlow, wasm = WebAssembly with SIMD, cpu =',
    'plain JavaScript, only when opted into with GRAFT_ALLOW_CPU=1), why each other one is not',
    'used, the versions in use, whether Electron is available, and where backbone weights are',
    'looked for. GRAFT_RUNTIME=onnx|tfjs-node|wasm|cpu forces one. Needs no project.',
  ].join('\n'),
  async run(ctx) {
    const info = { ...(await ctx.engineWithoutProject().call('runtime.info', {})), electron: electronPackage() };
    const yes = (a: { available: boolean; version: string | null; error: string | null }) =>
      a.available ? `yes (${a.version})` : `no${a.error ? ` (${a.error})` : ''}`;
    const detail = info.tensorflowVersion ? ` (TensorFlow ${info.tensorflowVersion})` : info.wasmSimd != null ? (info.wasmSimd ? ', SIMD' : ', no SIMD') : '';
    const inference = info.inference;
    const text = [
      `inference:   ${inference.runtime ? `${inference.runtime}${inference.runtime === 'onnx' ? ` (ONNX Runtime ${inference.onnxVersion})` : ''}` : `none (${inference.error})`}  codes and prediction`,
      ...inference.runtimes.map((r) => `  ${`${r.name}:`.padEnd(11)}${r.used ? 'in use' : `not used: ${r.reason}`}`),
      `training:    ${info.runtime ? `${info.runtime}${detail}` : `none (${info.runtimeError})`}  head training and fine-tuning (TF.js)`,
      ...info.runtimes.map((r) => `  ${`${r.name}:`.padEnd(11)}${r.used ? 'in use' : `not used: ${r.reason}`}`),
      ...(info.requested ? [`requested:   GRAFT_RUNTIME=${info.requested}`] : []),
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
