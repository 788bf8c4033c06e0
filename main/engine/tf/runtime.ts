/**
 * Chooses the TensorFlow.js runtime for this thread, once.
 *
 * Order: `tfjs-node` (native TensorFlow: its ops run on TensorFlow's own thread pool, over
 * every core; on users' machines where its install downloaded libtensorflow) → `wasm`
 * (TF.js on WebAssembly, XNNPACK + SIMD, one thread; Graft gets parallelism by running one
 * wasm backend per worker thread, see `embed-pool.ts`). The plain-JavaScript `cpu` backend
 * is 10–50× slower than wasm, so it is never picked silently: it needs `allowCpu`,
 * GRAFT_ALLOW_CPU=1, or GRAFT_RUNTIME=cpu.
 *
 * GRAFT_RUNTIME=onnx|tfjs-node|wasm|cpu is the one switch (benchmarks, tests, bug reports).
 * `tfjs-node`, `wasm` and `cpu` force that TF.js runtime, and a forced one that cannot start
 * is an error rather than a quiet fallback. `onnx` asks for ONNX Runtime for inference; TF.js
 * (training, export) then keeps its usual order.
 *
 * Both native TensorFlow and wasm load in worker threads too (tfjs-node's addon is N-API,
 * so each thread gets its own binding over the one libtensorflow of the process).
 *
 * Why not the threaded wasm build: tfjs-backend-wasm 4.22 hard-codes
 * WASM_HAS_MULTITHREAD_SUPPORT=false under Node (tensorflow/tfjs#3830), and forcing the flag
 * fails because Emscripten starts its pthreads from `blob:` URLs that Node's Worker rejects
 * (ERR_WORKER_PATH). Measured here: forcing it → "WASM backend not initialized".
 */
import fs from 'node:fs';
import path from 'node:path';
import { isMainThread, parentPort, Worker, type WorkerOptions } from 'node:worker_threads';
import type { RuntimeChoice, RuntimeName, RuntimeReport, TfjsRuntimeStatus } from '../../../shared/api/codes';
import { GraftError } from '../errors';
import { availableCores } from '../cores';

export type Tf = typeof import('@tensorflow/tfjs');
export type { RuntimeChoice, RuntimeName, RuntimeReport };

/** The TF.js runtimes in the order they are tried. */
const ORDER: RuntimeName[] = ['tfjs-node', 'wasm', 'cpu'];
const CHOICES: RuntimeChoice[] = ['onnx', ...ORDER];

export interface TfRuntime {
  tf: Tf;
  runtime: RuntimeName;
  /** Version of tfjs-core in use. */
  version: string;
  /** Whether the wasm backend runs with SIMD (only meaningful for 'wasm'). */
  simd?: boolean;
  /** The native TensorFlow library's version (only for 'tfjs-node'). */
  tensorflow?: string;
  /** Why each other runtime is not the one in use. */
  notUsed: Partial<Record<RuntimeName, string>>;
}

export interface RuntimeOptions {
  /** Accept the slow plain-JS backend when nothing better loads (also GRAFT_ALLOW_CPU=1). */
  allowCpu?: boolean;
}

/** GRAFT_RUNTIME, checked; null when unset. */
export function runtimeChoice(env: NodeJS.ProcessEnv = process.env): RuntimeChoice | null {
  const raw = (env.GRAFT_RUNTIME ?? '').trim().toLowerCase();
  if (!raw) return null;
  if (!(CHOICES as string[]).includes(raw)) {
    throw new GraftError('no_runtime', `GRAFT_RUNTIME="${raw}" is not a runtime: use onnx, tfjs-node or wasm (or cpu, the slow plain-JavaScript backend), or unset it.`);
  }
  return raw as RuntimeChoice;
}

/**
 * TensorFlow logs CPU-feature notices to stderr when it starts, which would break the CLI's
 * one-line errors. Its C++ logging reads TF_CPP_MIN_LOG_LEVEL from the process environment,
 * which only the main thread can change (a worker's process.env is a copy): call this on
 * the main thread before any thread loads tfjs-node. A level the user set is kept.
 */
export function quietNativeTensorFlowLogs(): void {
  if (isMainThread && process.env.TF_CPP_MIN_LOG_LEVEL === undefined) process.env.TF_CPP_MIN_LOG_LEVEL = '2';
}

/** What a worker thread tells its parent when it starts native TensorFlow (see pinNativeTensorFlow). */
export const NATIVE_TENSORFLOW_STARTED = 'native-tensorflow-started';

/** Whether a worker's message is its notice that it started native TensorFlow (handled by `tensorflowWorker`). */
export function isNativeTensorFlowNotice(msg: unknown): msg is { type: typeof NATIVE_TENSORFLOW_STARTED } {
  return typeof msg === 'object' && msg !== null && (msg as { type?: unknown }).type === NATIVE_TENSORFLOW_STARTED;
}

/**
 * A worker thread that may start native TensorFlow: TensorFlow's logs quieted before it
 * starts (it copies this thread's environment), and the addon pinned here once it says it
 * started it (see pinNativeTensorFlow). The one place every pool starts such a worker;
 * their own message handlers skip the notice (isNativeTensorFlowNotice). Add listeners
 * before `unref()`: a 'message' listener added later refs the worker's port again.
 */
export function tensorflowWorker(file: string, options?: WorkerOptions): Worker {
  quietNativeTensorFlowLogs();
  const worker = new Worker(file, options);
  worker.on('message', (msg: unknown) => {
    if (isNativeTensorFlowNotice(msg)) pinNativeTensorFlow();
  });
  return worker;
}

let pinned = false;

/**
 * Keeps native TensorFlow loaded on the main thread once a worker thread uses it. Node unloads
 * a native addon when the last thread that loaded it exits, but libtensorflow leaves exit
 * handlers behind: once it is unmapped, they crash the process as it exits (a segfault after
 * `graft export` had written everything). Loaded once here too, it stays mapped to the end.
 */
export function pinNativeTensorFlow(): void {
  if (!isMainThread || pinned) return;
  pinned = true;
  quietNativeTensorFlowLogs();
  // Only the addon itself: the worker has already mapped libtensorflow, so this takes about
  // a millisecond, where all of tfjs-node (TF.js and its kernel registrations) held the
  // event loop for 300 ms.
  const binding = nativeBindingPath();
  if (binding) {
    try {
      require(binding);
      return;
    } catch {
      // A layout this lookup does not know: load the whole package below.
    }
  }
  tryTfjsNode();
}

/** The path of tfjs-node's compiled addon (`lib/napi-v<N>/tfjs_binding.node`), or null. */
function nativeBindingPath(): string | null {
  try {
    const lib = path.join(path.dirname(require.resolve('@tensorflow/tfjs-node/package.json')), 'lib');
    for (const dir of fs.readdirSync(lib)) {
      const file = path.join(lib, dir, 'tfjs_binding.node');
      if (/^napi-v\d+$/.test(dir) && fs.existsSync(file)) return file;
    }
  } catch {
    // Not installed where resolution finds it.
  }
  return null;
}

/**
 * One promise per thread: module state is per worker thread in Node, so each extraction
 * worker initialises its own backend, which is exactly what we want.
 */
let loading: Promise<TfRuntime> | undefined;

/**
 * The TF.js namespace with the best backend set and ready. Initialised once per thread;
 * later calls return the same runtime whatever their options.
 */
export function getTf(options: RuntimeOptions = {}): Promise<TfRuntime> {
  if (!loading) {
    loading = initialise(options);
    // A failed start may be fixed by the user (e.g. opting into cpu): let them retry.
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/** A failed start, with why each runtime could not be used (for `graft doctor`). */
class NoRuntimeError extends GraftError {
  constructor(
    message: string,
    readonly notUsed: Partial<Record<RuntimeName, string>>,
  ) {
    super('no_runtime', message);
  }
}

const CPU_OPT_IN = 'the plain-JavaScript backend is 10–50× slower than wasm: it runs only with GRAFT_ALLOW_CPU=1 or GRAFT_RUNTIME=cpu';

async function initialise(options: RuntimeOptions): Promise<TfRuntime> {
  const choice = runtimeChoice();
  const forced = choice === 'onnx' ? null : choice;
  const allowCpu = options.allowCpu || forced === 'cpu' || process.env.GRAFT_ALLOW_CPU === '1';
  const notUsed: Partial<Record<RuntimeName, string>> = {};
  const chosenElsewhere = (name: RuntimeName) => `GRAFT_RUNTIME=${forced} chooses ${forced}, not ${name}`;

  if (!forced || forced === 'tfjs-node') {
    quietNativeTensorFlowLogs();
    const node = tryTfjsNode();
    if (node.tf && (await node.tf.setBackend('tensorflow'))) {
      await node.tf.ready();
      if (!isMainThread) parentPort?.postMessage({ type: NATIVE_TENSORFLOW_STARTED });
      const binding = (node.tf.backend() as unknown as { binding?: { TF_Version?: string } }).binding;
      return {
        tf: node.tf,
        runtime: 'tfjs-node',
        version: node.tf.version_core,
        tensorflow: binding?.TF_Version,
        notUsed: {
          wasm: forced ? chosenElsewhere('wasm') : 'tfjs-node comes first, and it loads',
          cpu: allowCpu && !forced ? 'tfjs-node comes first, and it loads' : forced ? chosenElsewhere('cpu') : CPU_OPT_IN,
        },
      };
    }
    notUsed['tfjs-node'] = node.error ?? 'its "tensorflow" backend did not start';
    if (forced === 'tfjs-node') {
      throw new NoRuntimeError(`GRAFT_RUNTIME=tfjs-node, but @tensorflow/tfjs-node ${notUsed['tfjs-node']}: ${TFJS_NODE_FIX}.`, {
        ...notUsed,
        wasm: chosenElsewhere('wasm'),
        cpu: chosenElsewhere('cpu'),
      });
    }
  } else notUsed['tfjs-node'] = chosenElsewhere('tfjs-node');

  const tf = require('@tensorflow/tfjs') as Tf;
  if (!forced || forced === 'wasm') {
    try {
      require('@tensorflow/tfjs-backend-wasm');
      const simd = Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'));
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return { tf, runtime: 'wasm', version: tf.version_core, simd, notUsed: { ...notUsed, cpu: forced ? chosenElsewhere('cpu') : allowCpu ? 'wasm comes first, and it loads' : CPU_OPT_IN } };
      }
      notUsed.wasm = 'the wasm backend failed to initialise';
    } catch (err) {
      notUsed.wasm = `the wasm backend failed to load (${firstLine((err as Error).message)})`;
    }
    if (forced === 'wasm') {
      throw new NoRuntimeError(`GRAFT_RUNTIME=wasm, but ${notUsed.wasm}: reinstall Graft's dependencies (npm ci), or unset GRAFT_RUNTIME.`, { ...notUsed, cpu: chosenElsewhere('cpu') });
    }
  } else notUsed.wasm = chosenElsewhere('wasm');

  if (allowCpu) {
    await tf.setBackend('cpu');
    await tf.ready();
    return { tf, runtime: 'cpu', version: tf.version_core, notUsed };
  }
  notUsed.cpu = CPU_OPT_IN;
  throw new NoRuntimeError(
    `No fast TensorFlow runtime could start (tfjs-node: ${notUsed['tfjs-node']}; wasm: ${notUsed.wasm}). Reinstall Graft, or set GRAFT_ALLOW_CPU=1 to use the much slower plain-JavaScript backend.`,
    notUsed,
  );
}

/** How to get tfjs-node working, for the message of a forced runtime that does not load. */
const TFJS_NODE_FIX =
  'install it where its install script can download libtensorflow (npm install), or in a Graft checkout run "npm run stage:tfjs-node", or unset GRAFT_RUNTIME to use wasm';

function tryTfjsNode(): { tf?: Tf; error?: string } {
  try {
    // A guarded require: tfjs-node is optional (its install downloads libtensorflow).
    return { tf: require('@tensorflow/tfjs-node') as Tf };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'MODULE_NOT_FOUND' && /'@tensorflow\/tfjs-node'/.test(e.message)) {
      return { error: 'is not installed (npm leaves it out when its install cannot download libtensorflow)' };
    }
    return { error: `does not load (${firstLine(e.message)})` };
  }
}

/** What `graft doctor` reports of TF.js (inference-runtime.ts adds what runs the networks), without throwing. */
export async function runtimeReport(): Promise<Omit<RuntimeReport, 'inference'>> {
  const os = require('node:os') as typeof import('node:os');
  // Whether the Electron package is installed is the host's question (graft doctor asks it);
  // the engine knows only whether it runs inside Electron.
  const electron = process.versions.electron
    ? { available: true, version: process.versions.electron, error: null }
    : { available: false, version: null, error: 'not running inside Electron' };
  let runtime: TfRuntime | null = null;
  let runtimeError: string | null = null;
  let notUsed: Partial<Record<RuntimeName, string>> = {};
  let requested: RuntimeChoice | null = null;
  try {
    requested = runtimeChoice();
    runtime = await getTf();
    notUsed = runtime.notUsed;
  } catch (err) {
    runtimeError = (err as Error).message;
    if (err instanceof NoRuntimeError) notUsed = err.notUsed;
  }
  const runtimes: TfjsRuntimeStatus[] = ORDER.map((name) => ({
    name,
    used: runtime?.runtime === name,
    reason: runtime?.runtime === name ? null : (notUsed[name] ?? 'not tried'),
  }));
  return {
    runtime: runtime?.runtime ?? null,
    requested,
    tfjsVersion: runtime?.version ?? packageVersion('@tensorflow/tfjs').version,
    tfjsNodeVersion: packageVersion('@tensorflow/tfjs-node').version,
    tensorflowVersion: runtime?.tensorflow ?? null,
    wasmSimd: runtime?.runtime === 'wasm' ? Boolean(runtime.simd) : null,
    runtimeError,
    runtimes,
    electron,
    node: process.versions.node,
    platform: process.platform,
    arch: process.arch,
    cpus: availableCores(),
  };
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
