import { runtimeInfo } from '../../api/codes-handlers';
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
  async run() {
    const info = await runtimeInfo(process.env.GRAFT_MODELS_DIR);
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
