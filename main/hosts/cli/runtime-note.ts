/**
 * One line for people when the networks did not run on ONNX Runtime (it is several times
 * faster): which runtime ran them and why ONNX Runtime did not, so a broken or partial
 * install is noticed instead of only being slow. On stderr, so stdout stays the result.
 */
import type { GraftEngine } from '../../engine';
import type { CommandContext } from './command';

export async function noteSlowRuntime(ctx: CommandContext, engine: GraftEngine, ran?: string): Promise<void> {
  // Known to be ONNX Runtime: nothing to say, and no need to ask (runtime.info starts
  // TensorFlow for its report: 170 ms, and 200 MB more with native TensorFlow).
  if (ran === 'onnx') return;
  const info = await engine.call('runtime.info', {});
  const used = info.inference.runtime;
  if (!used || used === 'onnx') return;
  const onnx = info.inference.runtimes.find((r) => r.name === 'onnx');
  ctx.log(`The networks ran on ${used}, not ONNX Runtime (${onnx?.reason ?? 'not available'}); "graft doctor" says more.`);
}
