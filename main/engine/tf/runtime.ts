/**
 * Chooses the TensorFlow.js runtime for this thread, once.
 *
 * Order: `@tensorflow/tfjs-node` (native TensorFlow, all cores, on users' machines where
 * its binary installed) → `@tensorflow/tfjs` with the wasm backend (XNNPACK + SIMD, one
 * thread; Graft gets parallelism by running one wasm backend per worker thread, see
 * `embed-pool.ts`). The plain-JavaScript `cpu` backend is 10–50× slower than wasm, so it
 * is never picked silently: it needs `allowCpu` (or GRAFT_ALLOW_CPU=1).
 *
 * Why not the threaded wasm build: tfjs-backend-wasm 4.22 hard-codes
 * WASM_HAS_MULTITHREAD_SUPPORT=false under Node (tensorflow/tfjs#3830), and forcing the flag
 * fails because Emscripten starts its pthreads from `blob:` URLs that Node's Worker rejects
 * (ERR_WORKER_PATH). Measured here: forcing it → "WASM backend not initialized".
 */
import type { RuntimeName, RuntimeReport } from '../../../shared/api/codes';
import { GraftError } from '../errors';

export type Tf = typeof import('@tensorflow/tfjs');
export type { RuntimeName, RuntimeReport };

export interface TfRuntime {
  tf: Tf;
  runtime: RuntimeName;
  /** Version of tfjs-core in use. */
  version: string;
  /** Whether the wasm backend runs with SIMD (only meaningful for 'wasm'). */
  simd?: boolean;
}

export interface RuntimeOptions {
  /** Accept the slow plain-JS backend when nothing better loads (also GRAFT_ALLOW_CPU=1). */
  allowCpu?: boolean;
}

/**
 * One promise per thread: module state is per worker thread in Node, so each extraction
 * worker initialises its own backend, which is exactly what we want.
 */
let loading: Promise<TfRuntime> | undefined;

/**
 * The TF.js namespace with the best backend set and ready. Initialised once per thread;
 * later calls return the same runtime whatever their options.
 *
 * GRAFT_TF_RUNTIME=tensorflow|wasm|cpu forces one (benchmarks, tests, bug reports); forcing
 * 'cpu' counts as the explicit opt-in.
 */
export function getTf(options: RuntimeOptions = {}): Promise<TfRuntime> {
  if (!loading) {
    loading = initialise(options);
    // A failed start may be fixed by the user (e.g. opting into cpu): let them retry.
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

async function initialise(options: RuntimeOptions): Promise<TfRuntime> {
  const forced = (process.env.GRAFT_TF_RUNTIME ?? '').trim().toLowerCase();
  if (forced && !['tensorflow', 'wasm', 'cpu'].includes(forced)) {
    throw new GraftError('no_runtime', `GRAFT_TF_RUNTIME="${forced}" is not a runtime: use tensorflow, wasm or cpu (or unset it).`);
  }
  const allowCpu = options.allowCpu || forced === 'cpu' || process.env.GRAFT_ALLOW_CPU === '1';
  const problems: string[] = [];

  if (!forced || forced === 'tensorflow') {
    const node = tryTfjsNode();
    if (node.tf) {
      await node.tf.setBackend('tensorflow');
      await node.tf.ready();
      return { tf: node.tf, runtime: 'tensorflow', version: node.tf.version.tfjs ?? node.tf.version_core };
    }
    problems.push(`tfjs-node: ${node.error}`);
    if (forced === 'tensorflow') {
      throw new GraftError('no_runtime', `GRAFT_TF_RUNTIME=tensorflow, but @tensorflow/tfjs-node does not load here (${node.error}). Unset it to use the wasm runtime.`);
    }
  }

  const tf = require('@tensorflow/tfjs') as Tf;
  if (!forced || forced === 'wasm') {
    try {
      require('@tensorflow/tfjs-backend-wasm');
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, runtime: 'wasm', version: tf.version_core, simd };
      }
      problems.push('wasm: the backend failed to initialise');
    } catch (err) {
      problems.push(`wasm: ${(err as Error).message}`);
    }
  }

  if (allowCpu) {
    await tf.setBackend('cpu');
    await tf.ready();
    return { tf, runtime: 'cpu', version: tf.version_core };
  }
  throw new GraftError(
    'no_runtime',
    `No fast TensorFlow runtime could start (${problems.join('; ')}). Reinstall Graft, or set GRAFT_ALLOW_CPU=1 to use the much slower plain-JavaScript backend.`,
  );
}

function tryTfjsNode(): { tf?: Tf; error?: string } {
  try {
    // A guarded require: tfjs-node is optional (its binary downloads at install time).
    return { tf: require('@tensorflow/tfjs-node') as Tf };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    return { error: e.code === 'MODULE_NOT_FOUND' ? 'not installed' : firstLine(e.message) };
  }
}

/** Everything `graft doctor` reports, without throwing. */
export async function runtimeReport(): Promise<RuntimeReport> {
  const os = require('node:os') as typeof import('node:os');
  const node = packageVersion('@tensorflow/tfjs-node');
  // Whether the Electron package is installed is the host's question (graft doctor asks it);
  // the engine knows only whether it runs inside Electron.
  const electron = process.versions.electron
    ? { available: true, version: process.versions.electron, error: null }
    : { available: false, version: null, error: 'not running inside Electron' };
  let runtime: TfRuntime | null = null;
  let runtimeError: string | null = null;
  try {
    runtime = await getTf();
  } catch (err) {
    runtimeError = (err as Error).message;
  }
  return {
    runtime: runtime?.runtime ?? null,
    tfjsVersion: runtime?.version ?? packageVersion('@tensorflow/tfjs').version,
    wasmSimd: runtime?.runtime === 'wasm' ? Boolean(runtime.simd) : null,
    runtimeError,
    tfjsNode: node.version ? { ...node, ...loadsCheck() } : { available: false, version: null, error: 'not installed' },
    electron,
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    cpus: typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length,
  };
}

function loadsCheck(): { available: boolean; error: string | null } {
  const r = tryTfjsNode();
  return { available: Boolean(r.tf), error: r.error ?? null };
}

function packageVersion(name: string): { version: string | null } {
  try {
    return { version: (require(`${name}/package.json`) as { version: string }).version };
  } catch {
    return { version: null };
  }
}

function firstLine(s: string): string {
  return String(s).split('\n')[0].slice(0, 300);
}
