/**
 * How much arithmetic the default networks are, and how fast this processor does it: the
 * yardstick for reading the flow's time on a given machine. A target set on one processor
 * cannot be judged on another without it (the issues quote ONNX Runtime at 4.6 ms an image
 * for MobileNet v1 0.75 at 224 px on one thread, 141 GFLOP/s; the project's 2-core EPYC
 * takes 9 ms, and NumPy's OpenBLAS multiplies at 89-95 GFLOP/s on one of its cores).
 *
 * - per default network: its multiply-adds per image at its input size (netgraph/cost.ts),
 *   ONNX Runtime's time per image in one single-threaded session on photos decoded
 *   beforehand, and the GFLOP/s that makes;
 * - `networksFloorSeconds`: the time the default networks' arithmetic alone takes for
 *   `images` photos with every core busy at the measured speed. The flow cannot be faster
 *   than that plus decoding, whatever Graft does, short of less arithmetic (fewer or
 *   smaller inputs, or int8 weights, which change the codes).
 */
import { startOnnxBackbone } from '../../main/engine/onnx/onnx-backbone';
import { backboneGraph } from '../../main/engine/netgraph/backbone-graph';
import { multiplyAdds } from '../../main/engine/netgraph/cost';
import { decodeForNetwork } from '../../main/engine/tf/preprocess';
import { getBackbone } from '../../main/engine/tf/registry';
import { resolveWeights } from '../../main/engine/tf/weights';
import { availableCores } from '../../main/engine/cores';
import { modelsDir } from '../helpers/paths';
import type { Figures } from './run';

const NETWORK_IMAGES = 16;
const ROUNDS = 3;

export async function arithmeticFigures(backbones: readonly string[], photos: string[], images: number): Promise<Figures> {
  const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
  const figures: Figures = {};
  let msPerImage = 0;
  for (const id of backbones) {
    const spec = getBackbone(id);
    const { dir } = await resolveWeights(spec, { modelsDir, allowDownload: false });
    const macs = multiplyAdds(backboneGraph(spec, dir).graph);
    const ms = await networkMsPerImage(id, dir, photos.slice(0, NETWORK_IMAGES));
    const gflops = (2 * macs) / (ms / 1000) / 1e9;
    figures[`networkMultiplyAddsMillions_${id}`] = round(macs / 1e6, 1);
    figures[`networkMsPerImageOneCore_${id}`] = round(ms);
    figures[`networkGflopsOneCore_${id}`] = round(gflops, 1);
    msPerImage += ms;
  }
  figures.networksMsPerImageOneCore = round(msPerImage);
  figures.networksFloorSeconds = round((images * msPerImage) / 1000 / availableCores(), 1);
  return figures;
}

/** ms per image of one network in one single-threaded session, the best of a few rounds. */
async function networkMsPerImage(id: string, weightsDir: string, photos: string[]): Promise<number> {
  const spec = getBackbone(id);
  const size = spec.inputSize;
  const decoded = await Promise.all(photos.map((p) => decodeForNetwork(p, size)));
  const pixels = new Uint8Array(decoded.length * size * size * 3);
  decoded.forEach((d, i) => pixels.set(d, i * d.length));
  // One session; each session runs on one thread (session-pool.ts's defaultLayout).
  const network = await startOnnxBackbone(spec, weightsDir, { layout: { workers: 1 } });
  try {
    const run = () => network.embed(pixels.slice(), decoded.length);
    await run();
    return ((await bestOf(run)) * 1000) / decoded.length;
  } finally {
    await network.close();
  }
}

async function bestOf(run: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const t0 = process.hrtime.bigint();
    await run();
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return best;
}
