/**
 * Codes computed while a folder is imported, from the pixels the importer decodes with each
 * new photo's thumbnail (tf/import-decode.ts): each photo is decoded once for both, and the
 * networks fill the cores the import leaves idle. Once the import ends, the codes a training
 * run needs are already cached, and `ensureCodes` finds nothing to compute.
 *
 * Only where the networks run on ONNX Runtime and their weights are on this machine: on
 * TF.js the networks cost so much more than decoding that the import would only wait for
 * them, and an import never waits for a download. Anything that goes wrong here (a network
 * that does not start, a failed batch) stops the codes, never the import: whatever is
 * missing is computed by the codes step, which reports it.
 */
import type { View } from '../../../shared/api/codes';
import { writeCodes, type CodeRow } from '../catalogue/codes';
import type { Db } from '../catalogue/open';
import type { NetworkInputSink } from '../importer/import-folder';
import { startBackbone, type BackboneRunner } from '../inference/backbone-runner';
import { inferenceChoice } from '../inference/inference-runtime';
import { PixelSlabs } from '../inference/pixel-slabs';
import { mirrorRows } from '../tf/preprocess';
import { getBackbone, type BackboneSpec } from '../tf/registry';
import { locateWeights } from '../tf/weights';
import { embedImages } from './embed-images';

export interface ImportCodesOptions {
  backbones: string[];
  views: View[];
  modelsDir?: string;
}

interface Pending {
  /** Per input size, in `sizes` order. */
  inputs: Uint8Array[];
  imageId: Promise<number | null>;
}

/**
 * Images whose pixels may wait here at most (about 10 MB at 320 px). Enough to keep the
 * networks fed between the importer's decodes, few enough that the import runs at the
 * networks' pace rather than decoding the whole folder into memory.
 */
const MAX_WAITING = 32;

export class ImportCodes implements NetworkInputSink {
  readonly sizes: number[];
  #queue: Pending[] = [];
  /** Photos sent to the networks and not back yet: with the queue, what `room` counts. */
  #atNetworks = 0;
  #stopped = false;
  #draining = false;
  /** Started with the first photo to compute: an import with nothing new starts no network. */
  #runners: Promise<Array<{ spec: BackboneSpec; runner: BackboneRunner }>> | null = null;
  #ready: Array<{ spec: BackboneSpec; runner: BackboneRunner }> | null = null;
  #roomWaiters: Array<() => void> = [];
  /** Batches at the networks, and codes waiting for their images' ids: both settle, never reject. */
  #batches = new Set<Promise<void>>();
  #writes = new Set<Promise<void>>();
  #slabs = new PixelSlabs(16);
  #computed = 0;
  #failure: string | null = null;

  /**
   * Ready to compute codes for this import (its networks start with the first new photo, in
   * the background), or null when they cannot be computed alongside it (see the module comment).
   */
  static start(db: Db, options: ImportCodesOptions): ImportCodes | null {
    if (!options.backbones.length || !onnxRuns()) return null;
    const specs: BackboneSpec[] = [];
    const dirs: string[] = [];
    for (const id of options.backbones) {
      let spec: BackboneSpec;
      try {
        spec = getBackbone(id);
      } catch {
        return null;
      }
      const weights = locateWeights(spec, { modelsDir: options.modelsDir });
      if (!weights) return null;
      specs.push(spec);
      dirs.push(weights.dir);
    }
    return new ImportCodes(db, specs, dirs, options.views.length ? options.views : ['center']);
  }

  private constructor(
    private readonly db: Db,
    private readonly specs: BackboneSpec[],
    private readonly dirs: string[],
    private readonly views: View[],
  ) {
    this.sizes = [...new Set(specs.map((s) => s.inputSize))];
  }

  /** Whether it still computes codes (it stops for good on a failure, a cancel or at the end). */
  get computing(): boolean {
    return !this.#stopped;
  }

  /** How many codes it stored, and why it stopped early, if it did. */
  get outcome(): { computed: number; failure: string | null } {
    return { computed: this.#computed, failure: this.#failure };
  }

  room(): Promise<void> {
    if (this.#stopped || this.#queue.length + this.#atNetworks < MAX_WAITING) return Promise.resolve();
    return new Promise((resolve) => this.#roomWaiters.push(resolve));
  }

  add(inputs: Uint8Array[], imageId: Promise<number | null>): void {
    if (this.#stopped) return;
    this.#queue.push({ inputs, imageId });
    this.#runners ??= this.#startRunners();
    this.#pump();
  }

  /**
   * After the import: computes what is queued (unless `abandon`, after a cancel), waits for
   * the last codes to be stored, and stops the networks.
   */
  async finish(abandon = false): Promise<void> {
    if (abandon) this.#stop(null);
    this.#draining = true;
    this.#pump();
    while (!this.#stopped && this.#queue.length) await new Promise<void>((resolve) => this.#roomWaiters.push(resolve));
    while (this.#batches.size || this.#writes.size) await Promise.all([...this.#batches, ...this.#writes]);
    this.#stop(null);
    const runners = (await this.#runners) ?? [];
    await Promise.all(runners.map((r) => r.runner.close().catch(() => undefined)));
  }

  async #startRunners(): Promise<Array<{ spec: BackboneSpec; runner: BackboneRunner }>> {
    const { specs, dirs } = this;
    const started = await Promise.allSettled(specs.map((spec, i) => startBackbone(spec, dirs[i])));
    const runners = started.flatMap((s, i) => (s.status === 'fulfilled' ? [{ spec: specs[i], runner: s.value }] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    // A network left on TF.js would hold the import to its pace: the codes step computes those.
    const slow = runners.find((r) => r.runner.runtime !== 'onnx');
    if (failed || slow || this.#stopped) {
      this.#stop(failed ? String((failed.reason as Error)?.message ?? failed.reason) : slow ? `${slow.spec.id} does not run on ONNX Runtime` : null);
      return runners;
    }
    this.#ready = runners;
    this.#pump();
    return runners;
  }

  #pump(): void {
    const runners = this.#ready;
    if (!runners || this.#stopped) return;
    const batchSize = Math.min(...runners.map((r) => r.runner.batchSize));
    const maxInFlight = Math.max(2, Math.max(...runners.map((r) => r.runner.workers)) * 2);
    while (this.#batches.size < maxInFlight && (this.#queue.length >= batchSize || (this.#draining && this.#queue.length))) {
      const batch = this.#queue.splice(0, batchSize);
      this.#atNetworks += batch.length;
      const running: Promise<void> = this.#runBatch(runners, batch)
        .catch((err: Error) => this.#stop(err?.message ?? String(err)))
        .finally(() => {
          this.#batches.delete(running);
          this.#atNetworks -= batch.length;
          this.#wake();
          this.#pump();
        });
      this.#batches.add(running);
    }
  }

  async #runBatch(runners: Array<{ spec: BackboneSpec; runner: BackboneRunner }>, batch: Pending[]): Promise<void> {
    const rows: Array<Omit<CodeRow, 'imageId'> & { image: number }> = [];
    for (const { spec, runner } of runners) {
      const sizeIndex = this.sizes.indexOf(spec.inputSize);
      for (const view of this.views) {
        const images = batch.map((b, image) => {
          let rgb = b.inputs[sizeIndex];
          if (view === 'flip') {
            rgb = rgb.slice();
            mirrorRows(rgb, spec.inputSize);
          }
          return { image, rgb };
        });
        const codes = await embedImages(runner, this.#slabs, images.map((i) => i.rgb), spec.inputSize);
        if (this.#stopped) return;
        images.forEach((img, i) => rows.push({ image: img.image, backbone: spec.id, view, data: codes[i] }));
      }
    }
    // Ids are known once the import commits the images (within a second): the pixels are free by then.
    const write = Promise.all(batch.map((b) => b.imageId)).then((ids) => {
      const stored: CodeRow[] = [];
      for (const r of rows) {
        const imageId = ids[r.image];
        if (imageId !== null) stored.push({ imageId, backbone: r.backbone, view: r.view, data: r.data });
      }
      if (this.#failure !== null || !stored.length) return;
      writeCodes(this.db, stored);
      this.#computed += stored.length;
    });
    const tracked: Promise<void> = write.catch((err: Error) => this.#stop(err?.message ?? String(err))).finally(() => this.#writes.delete(tracked));
    this.#writes.add(tracked);
  }

  #stop(failure: string | null): void {
    if (failure !== null && this.#failure === null) {
      this.#failure = failure;
      process.emitWarning(`Codes were not computed during the import (the codes step will compute them): ${failure}`);
    }
    this.#stopped = true;
    this.#queue = [];
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#roomWaiters.splice(0);
    for (const w of waiters) w();
  }
}

/** Whether ONNX Runtime runs the networks here (a GRAFT_RUNTIME it cannot honour is the codes step's to report). */
function onnxRuns(): boolean {
  try {
    return inferenceChoice().onnx;
  } catch {
    return false;
  }
}
