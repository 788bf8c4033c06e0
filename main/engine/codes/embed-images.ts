/**
 * RGB images of one input size → their codes from one network, a batch of the runner's
 * size at a time, each batch packed into a reused shared buffer (inference/pixel-slabs.ts).
 */
import type { BackboneRunner } from '../inference/backbone-runner';
import type { PixelSlabs } from '../inference/pixel-slabs';

export async function embedImages(runner: BackboneRunner, slabs: PixelSlabs, images: readonly Uint8Array[], size: number, batchSize = runner.batchSize): Promise<Float32Array[]> {
  const per = size * size * 3;
  const out: Float32Array[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const chunk = images.slice(start, start + batchSize);
    const pixels = slabs.take(chunk.length * per);
    chunk.forEach((rgb, i) => pixels.set(rgb, i * per));
    let codes: Float32Array;
    try {
      codes = await runner.embed(pixels, chunk.length);
    } finally {
      slabs.give(pixels);
    }
    const dim = codes.length / chunk.length;
    for (let i = 0; i < chunk.length; i++) out.push(codes.slice(i * dim, (i + 1) * dim));
  }
  return out;
}
