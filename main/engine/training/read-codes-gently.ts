/**
 * Cached codes for many images, read in slices that yield to the event loop: reading
 * 10,000 images × two backbones in one go held the engine for ~0.6 s, during which
 * the studio's clicks waited.
 */
import type { Db } from '../catalogue/open';
import { yieldToEventLoop } from '../event-loop';
import { readCodes } from '../codes/store';
import type { CodeReader, View } from '../model/features';

const SLICE = 1000;

export async function readCodesGently(db: Db, backbones: string[], views: View[], imageIds: number[]): Promise<CodeReader> {
  const maps = new Map<string, Map<number, Float32Array>>();
  for (const backbone of backbones) {
    for (const view of views) {
      const map = new Map<number, Float32Array>();
      for (let start = 0; start < imageIds.length; start += SLICE) {
        for (const [id, code] of readCodes(db, backbone, view, imageIds.slice(start, start + SLICE))) map.set(id, code);
        await yieldToEventLoop();
      }
      maps.set(`${backbone}\u0000${view}`, map);
    }
  }
  return (backbone, view) => maps.get(`${backbone}\u0000${view}`) ?? new Map();
}
