/**
 * Google's LiteRT.js (`@litertjs/core`, the TensorFlow Lite interpreter compiled to
 * WebAssembly, XNNPACK kernels) run in Node, to check written .tflite files with the
 * format's own runtime. Loaded on first use, never at import time, and guarded like
 * ONNX Runtime (`../onnx/ort-loader.ts`): without it a TFLite file is written but not
 * checked, and the check says why.
 *
 * LiteRT.js is made for browsers: it loads its Emscripten glue with `importScripts` (as
 * in a web worker) and reads it as a global `ModuleFactory`. Here `importScripts`
 * evaluates the glue as the CommonJS module it also is (the package is ESM, so `require`
 * would refuse the file); Emscripten then reads its .wasm from disk itself. Given the
 * folder, LiteRT.js picks the build the engine supports (Node 20's V8 has no relaxed
 * SIMD, so the "compat" one). It is ESM, so it is imported with a real dynamic import
 * (TypeScript's CommonJS output would turn `import()` into `require`).
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

type LiteRt = typeof import('@litertjs/core');

export type LiteRtLoad = { ok: true; litert: LiteRt; version: string } | { ok: false; reason: string };

const importEsm = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

let loading: Promise<LiteRtLoad> | undefined;

/** The interpreter, or why it cannot load here (per thread, once). */
export function loadLiteRt(): Promise<LiteRtLoad> {
  loading ??= load();
  return loading;
}

async function load(): Promise<LiteRtLoad> {
  let packageFile: string;
  try {
    packageFile = require.resolve('@litertjs/core/package.json');
  } catch {
    return { ok: false, reason: '@litertjs/core (LiteRT.js) is not installed' };
  }
  const version = (JSON.parse(fs.readFileSync(packageFile, 'utf8')) as { version: string }).version;
  const g = globalThis as Record<string, unknown>;
  const warn = console.warn;
  try {
    const litert = (await importEsm('@litertjs/core')) as LiteRt;
    g.self ??= globalThis;
    g.importScripts = (url: string) => {
      const wrapped = vm.runInThisContext(`(function (exports, require, module, __filename, __dirname) {${fs.readFileSync(url, 'utf8')}\n})`, { filename: url }) as (...args: unknown[]) => void;
      const module = { exports: {} as unknown };
      wrapped(module.exports, require, module, url, path.dirname(url));
      g.ModuleFactory = module.exports;
    };
    // The interpreter's own log lines (INFO: …) stay out of the CLI's output.
    g.Module = { print: () => {}, printErr: () => {} };
    // It looks for a WebGPU device first; Node has none, which is no news (it runs on the CPU).
    console.warn = (...args: unknown[]) => {
      if (!String(args[0]).startsWith('Failed to create default WebGPU device')) warn(...args);
    };
    await litert.loadLiteRt(path.join(path.dirname(packageFile), 'wasm') + path.sep);
    return { ok: true, litert, version };
  } catch (err) {
    return { ok: false, reason: `LiteRT.js does not load here (${String((err as Error).message ?? err).split('\n')[0].slice(0, 300)})` };
  } finally {
    console.warn = warn;
    delete g.importScripts;
  }
}

export interface TfliteRunner {
  readonly version: string;
  /** The model's input names, in its order, with their shapes. */
  readonly inputs: Array<{ name: string; shape: number[] }>;
  /** One call of the model: every input by name (a batch of one); every output by name. */
  run(feeds: Record<string, Float32Array>): Promise<Record<string, Float32Array>>;
  close(): void;
}

/** A .tflite file compiled for LiteRT.js's CPU (XNNPACK) accelerator. */
export async function openTflite(bytes: Uint8Array): Promise<TfliteRunner> {
  const loaded = await loadLiteRt();
  if (!loaded.ok) throw new Error(loaded.reason);
  const { litert } = loaded;
  const model = await litert.loadAndCompile(bytes, { accelerator: 'wasm' });
  const inputs = model.getInputDetails().map((d) => ({ name: d.name, shape: Array.from(d.shape) }));
  const outputNames = model.getOutputDetails().map((d) => d.name);
  return {
    version: loaded.version,
    inputs,
    async run(feeds) {
      const tensors = inputs.map((i) => {
        const data = feeds[i.name];
        if (!data) throw new Error(`No data for the model's input "${i.name}"`);
        return new litert.Tensor(data, i.shape);
      });
      try {
        const outs = await model.run(tensors);
        const result: Record<string, Float32Array> = {};
        outs.forEach((t, k) => {
          result[outputNames[k]] = Float32Array.from(t.toTypedArray() as Float32Array);
          t.delete();
        });
        return result;
      } finally {
        for (const t of tensors) t.delete();
      }
    },
    close() {
      model.delete();
    },
  };
}
