/**
 * A backbone run by ONNX Runtime: its compiled model (from the per-user cache, compiled on
 * first use) in a pool of session workers, with the same `embed(rgbBytes, n)` shape as
 * main/engine/tf/embed-pool.ts's EmbedPool, so the codes pipeline can use either.
 *
 *   const bb = await startOnnxBackbone(spec, weights.dir);
 *   const codes = await bb.embed(rgbBytes, n);   // n × bb.dim floats
 *   await bb.close();
 *
 * `onnxCompatibility` says, without starting anything, whether a backbone compiles and
 * ONNX Runtime loads here — and if not, why (the network then stays on TF.js).
 */
import { GraftError } from '../errors';
import type { BackboneSpec } from '../tf/registry';
import { backboneGraph } from '../netgraph/backbone-graph';
import { UnsupportedModelError } from '../netgraph/ir';
import { compiledBackbone, type CompileCacheOptions } from './compiled-cache';
import { loadOnnxRuntime } from './ort-loader';
import { OnnxSessionPool, type PoolLayout } from './session-pool';

export interface OnnxBackbone {
  readonly spec: BackboneSpec;
  readonly dim: number;
  readonly workers: number;
  /** Whether the compiled model came from the cache or was compiled for this start. */
  readonly from: 'cache' | 'compiled';
  readonly file: string;
  /**
   * Embeds `n` images given as RGB bytes from `decodeForNetwork` (n × size² × 3; the buffer
   * is transferred to a worker, or shared when it is a slab: see OnnxSessionPool.run).
   * Resolves to `n × dim` floats.
   */
  embed(pixels: Uint8Array, n: number): Promise<Float32Array>;
  close(): Promise<void>;
}

export interface OnnxBackboneOptions extends CompileCacheOptions {
  layout?: Partial<PoolLayout>;
}

export async function startOnnxBackbone(spec: BackboneSpec, weightsDir: string, options: OnnxBackboneOptions = {}): Promise<OnnxBackbone> {
  const loaded = loadOnnxRuntime();
  if (!loaded.ok) throw new GraftError('no_runtime', `ONNX Runtime is not available: ${loaded.reason}.`);
  let compiled = compile(spec, weightsDir, options);
  let pool: OnnxSessionPool;
  try {
    pool = await OnnxSessionPool.start(compiled.file, options.layout);
  } catch (err) {
    // A cached file ORT refuses was damaged after it was written: compile it again, once.
    if (!(err instanceof GraftError && err.code === 'bad_model' && compiled.from === 'cache')) throw err;
    compiled = compile(spec, weightsDir, { ...options, force: true });
    pool = await OnnxSessionPool.start(compiled.file, options.layout);
  }
  const size = spec.inputSize;
  const per = size * size * 3;
  const dim = pool.outputs.find((o) => o.name === 'features')?.shape[1] ?? 0;
  if (dim <= 0) {
    await pool.close();
    throw new GraftError('bad_model', `The compiled model of ${spec.id} has no "features" output.`);
  }
  return {
    spec,
    dim,
    workers: pool.workers,
    from: compiled.from,
    file: compiled.file,
    async embed(pixels, n) {
      if (pixels.length !== n * per) throw new GraftError('invalid_params', `embed: ${pixels.length} bytes are not ${n} images of ${size}×${size} RGB.`);
      const out = await pool.run({ image: { type: 'uint8', data: pixels, dims: [n, size, size, 3] } });
      return out.features.data;
    },
    close: () => pool.close(),
  };
}

function compile(spec: BackboneSpec, weightsDir: string, options: CompileCacheOptions) {
  try {
    return compiledBackbone(spec, weightsDir, options);
  } catch (err) {
    if (err instanceof UnsupportedModelError) throw new GraftError('bad_model', `${spec.id} cannot run on ONNX Runtime: ${err.message}. It runs on TF.js instead.`);
    throw err;
  }
}

export type OnnxCompatibility = { ok: true; from: 'cache' | 'compiled' | 'checked' } | { ok: false; reason: string };

/**
 * Whether a backbone can run on ONNX Runtime here: the runtime loads and the network
 * compiles (the result is cached, so asking costs one compilation at most). The reason
 * names the runtime problem, or the layer or node and its kind the compiler does not know.
 */
export function onnxCompatibility(spec: BackboneSpec, weightsDir: string, options: CompileCacheOptions & { writeCache?: boolean } = {}): OnnxCompatibility {
  const loaded = loadOnnxRuntime();
  if (!loaded.ok) return { ok: false, reason: loaded.reason };
  try {
    // writeCache false: only translate the network (a folder being inspected, not added).
    if (options.writeCache === false) {
      backboneGraph(spec, weightsDir);
      return { ok: true, from: 'checked' };
    }
    return { ok: true, from: compiledBackbone(spec, weightsDir, options).from };
  } catch (err) {
    if (err instanceof UnsupportedModelError) return { ok: false, reason: err.message };
    return { ok: false, reason: `the model could not be compiled (${(err as Error).message.split('\n')[0]})` };
  }
}
