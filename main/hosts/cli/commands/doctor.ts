import { runtimeInfo } from '../../../engine/handlers/codes-handlers';
import { loadOnnxRuntime } from '../../../engine/onnx/ort-loader';
import type { Command } from '../command';

export const doctorCommand: Command = {
  name: 'doctor',
  summary: 'Report the TensorFlow runtime, versions, and what is installed',
  usage: [
    'Usage: graft doctor [--json]',
    '',
    'Shows which TensorFlow runtime Graft uses here (tensorflow = native tfjs-node, wasm =',
    'WebAssembly with SIMD, cpu = plain JavaScript, only when opted into with GRAFT_ALLOW_CPU=1),',
    'the versions in use, whether Electron and tfjs-node are available, and where backbone',
    'weights are looked for. Needs no project.',
  ].join('\n'),
  async run() {
    const info = await runtimeInfo(process.env.GRAFT_MODELS_DIR);
    const ort = loadOnnxRuntime();
    const onnxRuntime = ort.ok ? { available: true, version: ort.version, error: null } : { available: false, version: null, error: ort.reason };
    const yes = (a: { available: boolean; version: string | null; error: string | null }) =>
      a.available ? `yes (${a.version})` : `no${a.error ? ` (${a.error})` : ''}`;
    const text = [
      `runtime:     ${info.runtime ?? `none (${info.runtimeError})`}${info.wasmSimd != null ? (info.wasmSimd ? ', SIMD' : ', no SIMD') : ''}`,
      `TF.js:       ${info.tfjsVersion ?? '?'}`,
      `tfjs-node:   ${yes(info.tfjsNode)}`,
      `onnxruntime: ${yes(onnxRuntime)}`,
      `Electron:    ${yes(info.electron)}`,
      `Node:        ${info.node} on ${info.platform}-${info.arch}, ${info.cpus} cores`,
      `models dir:  ${info.modelsDir ?? '(GRAFT_MODELS_DIR not set)'}`,
      `cache:       ${info.cacheDir}`,
    ].join('\n');
    return { json: { ...info, onnxRuntime }, text };
  },
};
