/**
 * Importing a folder of images into the catalogue.
 *
 * 1. Scan: every image-named file under the folder (see scan.ts).
 * 2. Files whose path, size and modification time are already recorded are
 *    unchanged and cost nothing; recorded files the scan did not find are marked
 *    missing (never deleted: their labels and codes wait for them to come back).
 * 3. The rest are read, hashed (sha256) and, when their bytes are new, decoded and
 *    thumbnailed in the engine's worker threads (prepare-file.ts), several at a time so
 *    that every core is busy. Bytes already known (a duplicate) are not decoded twice: a
 *    file whose size no image has is read, hashed and decoded in one go, any other file is
 *    hashed first. Given a NetworkInputSink, the workers also decode each new image to the
 *    networks' inputs, from the same decode as its thumbnail, and the sink computes its codes.
 * 4. Results are committed in path order, a batch per transaction, so a kill loses
 *    at most the batch in flight, and "the first file" of a duplicate or a conflict
 *    is always the same one whatever the timing.
 *
 * One bad file never stops an import: it is skipped with a reason. Cancelling stops
 * taking new files, commits the finished ones and returns with `cancelled: true`;
 * importing again carries on where it stopped.
 */
import type { ImportSummary, SkippedReport } from '../../../shared/types';
import type { Db } from '../catalogue/open';
import { getStatus } from '../catalogue/status';
import type { FileToRecord } from '../catalogue/import-records';
import { CatalogueWriter, RecordError } from '../catalogue/import-records';
import type { WorkerPool } from '../workers/worker-pool';
import type { HashedFile, ThumbnailedFile } from '../workers/task-types';
import type { Thumbnailed } from './decode';
import { hashFile, hashAndThumbnailFile, thumbnailFile } from './prepare-file';
import type { ScannedFile, ScanResult } from './scan';
import { scanFolder } from './scan';
import { availableCores } from '../cores';

export type ImportStage = 'scan' | 'import';

export interface ImportOptions {
  signal?: AbortSignal;
  /** Progress: during 'scan', files found so far (total = done); during 'import', files handled of all found. */
  onProgress?: (stage: ImportStage, done: number, total: number) => void;
  /** After each committed batch, so that views can show images as they land. */
  onBatch?: () => void;
  /** Files decoded at once (default: cores + 2, enough to keep every core busy while others read). */
  concurrency?: number;
  /**
   * Worker threads that read, hash and decode the files (the engine's media pool). Without
   * them (tests, scripts) the same work runs on this thread.
   */
  workers?: WorkerPool;
  /** Most files per transaction (default 100); a batch is also committed after a second. */
  batchSize?: number;
  /** Where new images' network inputs go, decoded with their thumbnails (see NetworkInputSink). */
  networkInputs?: NetworkInputSink;
}

/**
 * Takes the networks' inputs of new images as the import decodes them, so that their codes
 * are computed from the same decode (codes/import-codes.ts). The import waits for `room`
 * before it reads each file: it goes no faster than the networks, and memory stays bounded.
 */
export interface NetworkInputSink {
  /** The input sizes to decode each new image to (RGB, `size² × 3` bytes each). */
  readonly sizes: number[];
  room(): Promise<void>;
  /**
   * One new image's inputs, per size. `imageId` settles once the image is committed, or
   * with null when it is not (a failed record, a cancel): its codes are then dropped.
   */
  add(inputs: Uint8Array[], imageId: Promise<number | null>): void;
}

type Prepared = { kind: 'file'; file: FileToRecord } | { kind: 'skip'; skip: SkippedReport };

/** How decoding a hash's first file went; `decoded` is dropped once the image is committed. */
type DecodeOutcome = { ok: true; decoded?: Thumbnailed } | { ok: false; reason: string };
const RECORDED: Promise<DecodeOutcome> = Promise.resolve({ ok: true });

export async function importFolder(db: Db, folder: string, options: ImportOptions = {}): Promise<ImportSummary> {
  const started = Date.now();
  const { signal } = options;
  const concurrency = Math.max(1, options.concurrency ?? availableCores() + 2);
  const batchSize = Math.max(1, options.batchSize ?? 100);
  const progress = options.onProgress ?? (() => {});

  let scan: ScanResult;
  try {
    scan = await scanFolder(folder, { signal, onProgress: (n) => progress('scan', n, n) });
  } catch (err) {
    if (signal?.aborted && (err as Error).name === 'AbortError') return cancelledBeforeScan(db, started);
    throw err;
  }

  // A file's work is short and finishes even after a cancel: the loop below stops taking
  // new files, and what is prepared is still recorded (a cancelled import keeps its files).
  const sink = options.networkInputs;
  const networkSizes = sink?.sizes.length ? [...sink.sizes] : undefined;
  const work = {
    hash: (path: string) => (options.workers ? options.workers.run('hash-file', { path }) : hashFile({ path })),
    thumbnail: (path: string, hash: string) =>
      options.workers ? options.workers.run('thumbnail-file', { path, hash, networkSizes }) : thumbnailFile({ path, hash, networkSizes }),
    hashAndThumbnail: (path: string) =>
      options.workers ? options.workers.run('hash-and-thumbnail-file', { path, networkSizes }) : hashAndThumbnailFile({ path, networkSizes }),
  };
  const writer = new CatalogueWriter(db, started);
  /**
   * The byte sizes of the catalogue's images and of the files this import has sent to be
   * prepared. A file of any other size cannot hold bytes either has, so one task reads,
   * hashes and decodes it, saving a second read, hash and trip to a worker: importing the
   * flowers took 0.1-1.0 s less in six runs side by side, and 8-13% less CPU in five of them
   * (the same in one). A file of a size seen before is hashed first, so a moved or copied
   * folder costs reads, not decodes. Either way the hash decides what is new.
   */
  const sizesSeen = writer.imageSizes();
  const recorded = writer.filesUnder(scan.root);
  const toProcess: ScannedFile[] = [];
  let unchanged = 0;
  /** Whether anything but new files changed the catalogue (files gone or back, labels adopted). */
  let touched = false;
  writer.inTransaction(() => {
    for (const f of scan.files) {
      const r = recorded.get(f.path);
      if (r && r.size === f.size && r.mtime_ms === f.mtimeMs) {
        unchanged++;
        if (r.missing) {
          writer.setMissing(r.id, false); // it came back
          touched = true;
        }
        if (r.folder_class === null && f.folderClass !== null) touched = writer.adoptFolderClass(r, f.folderClass) || touched;
      } else toProcess.push(f);
    }
    for (const r of recorded.values()) {
      if (!r.missing && !scan.seen.has(r.path)) {
        writer.setMissing(r.id, true);
        touched = true;
      }
    }
  });

  const total = scan.files.length;
  progress('import', unchanged, total);

  const skipped: SkippedReport[] = [...scan.skipped];
  let added = 0;
  let newImages = 0;
  /**
   * hash → its decoding, so identical files are decoded once. Files finish reading in
   * any order, so the file that decodes may come *after* an identical one in path
   * order, which then commits first: every waiter gets the thumbnail too, until the
   * image is in the catalogue.
   */
  const claims = new Map<string, Promise<DecodeOutcome>>();

  /**
   * Files read in one go, by size, until their bytes are claimed: a file of the same size
   * that is hashed meanwhile may hold the very same bytes, and waits so as not to decode them twice.
   */
  const oneReads = new Map<number, Promise<void>>();

  /** hash → the id its image gets when committed, for the codes of inputs handed to the sink. */
  const awaitingIds = new Map<string, (id: number | null) => void>();

  /** A decode's outcome; its network inputs, if any, go to the sink (once per hash: only the first file decodes). */
  const outcomeOf = (hash: string, t: ThumbnailedFile): DecodeOutcome => {
    if (sink && t.ok && t.inputs) {
      sink.add(t.inputs, new Promise<number | null>((resolve) => awaitingIds.set(hash, resolve)));
    }
    return decodeOutcome(t);
  };

  async function prepare(f: ScannedFile): Promise<Prepared> {
    if (sizesSeen.has(f.size)) {
      const hashed = await work.hash(f.path);
      await oneReads.get(f.size);
      return claim(f, hashed);
    }
    sizesSeen.add(f.size);
    // Wrapped so that `claimed` settles as soon as the bytes are claimed, not when they are decoded.
    const claimed = work.hashAndThumbnail(f.path).then((whole) => ({ prepared: claim(f, whole, whole.ok ? whole.decoded : undefined) }));
    oneReads.set(f.size, claimed.then(() => undefined, () => undefined));
    return (await claimed).prepared;
  }

  /**
   * A hashed file: bytes the catalogue has, or new bytes, claimed at once so that every file
   * holding them waits for one decode (`decoded`, when the file's own task already did it).
   */
  function claim(f: ScannedFile, hashed: HashedFile, decoded?: ThumbnailedFile): Prepared | Promise<Prepared> {
    const skip = (reason: string): Prepared => ({ kind: 'skip', skip: { path: f.path, reason } });
    if (!hashed.ok) return skip(hashed.reason);
    const { hash } = hashed;
    const file: FileToRecord = { path: f.path, folderClass: f.folderClass, size: hashed.size, mtimeMs: hashed.mtimeMs, hash };
    if (writer.hasImage(hash)) return { kind: 'file', file };
    let decoding = claims.get(hash);
    if (!decoding) {
      decoding = decoded ? Promise.resolve(outcomeOf(hash, decoded)) : work.thumbnail(f.path, hash).then((t) => outcomeOf(hash, t));
      claims.set(hash, decoding);
    }
    return decoding.then((outcome) => (outcome.ok ? { kind: 'file', file: { ...file, decoded: outcome.decoded } } : skip(outcome.reason)));
  }

  // Prepared results wait here until every earlier one is ready, then commit in order.
  const results: Array<Prepared | undefined> = new Array(toProcess.length);
  let next = 0;
  let prepared = 0;
  let committed = 0;
  let lastCommit = Date.now();
  let fatal: unknown;

  const commitReady = (force: boolean) => {
    let end = committed;
    while (end < results.length && results[end]) end++;
    if (end === committed) return;
    if (!force && end - committed < batchSize && Date.now() - lastCommit < 1000) return;
    writer.inTransaction(() => {
      for (let i = committed; i < end; i++) {
        const r = results[i]!;
        if (r.kind === 'skip') {
          skipped.push(r.skip);
          continue;
        }
        try {
          const outcome = writer.record(r.file);
          // Recorded: later copies find the image in the catalogue; free the thumbnail.
          if (r.file.decoded) claims.set(r.file.hash, RECORDED);
          if (outcome === 'unchanged') unchanged++;
          else {
            added++;
            if (outcome === 'added-new-image') newImages++;
          }
          if (outcome === 'added-new-image') settleImageId(r.file.hash, writer.imageIdOf(r.file.hash) ?? null);
        } catch (err) {
          if (!(err instanceof RecordError)) throw err;
          skipped.push({ path: r.file.path, reason: err.message });
        }
      }
    });
    for (let i = committed; i < end; i++) results[i] = undefined;
    committed = end;
    lastCommit = Date.now();
    options.onBatch?.();
  };

  /** Tells the sink which image its inputs became (ids are known only after the commit). */
  const settleImageId = (hash: string, id: number | null) => {
    awaitingIds.get(hash)?.(id);
    awaitingIds.delete(hash);
  };

  const worker = async () => {
    while (!signal?.aborted && fatal === undefined) {
      if (sink && next < toProcess.length) {
        await sink.room();
        if (signal?.aborted || fatal !== undefined) return;
      }
      const i = next++;
      if (i >= toProcess.length) return;
      try {
        results[i] = await prepare(toProcess[i]);
        prepared++;
        progress('import', unchanged + prepared, total);
        commitReady(false);
      } catch (err) {
        // Only the catalogue itself failing (a full disk) ends the import.
        fatal ??= err;
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, toProcess.length)) }, worker));
    if (fatal !== undefined) throw fatal;
    commitReady(true);
  } finally {
    // Inputs whose image was not recorded (a skipped duplicate, a failed record, an error): their codes are not kept.
    for (const hash of [...awaitingIds.keys()]) settleImageId(hash, null);
  }

  const cancelled = Boolean(signal?.aborted) && committed < toProcess.length;
  writer.inTransaction(() => writer.removeOrphans());
  if (toProcess.length || touched) options.onBatch?.();

  const status = getStatus(db);
  skipped.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    added,
    unchanged,
    missing: writer.missingUnder(scan.root),
    duplicates: writer.duplicatesUnder(scan.root),
    conflicts: writer.conflictsUnder(scan.root),
    skipped,
    classes: status.classes,
    unlabelled: status.unlabelled,
    files: scan.files.length + scan.unusableFiles,
    newImages,
    cancelled,
    seconds: (Date.now() - started) / 1000,
  };
}

function decodeOutcome(t: ThumbnailedFile): DecodeOutcome {
  return t.ok ? { ok: true, decoded: { ...t.facts, thumbnail: Buffer.from(t.thumbnail.buffer, t.thumbnail.byteOffset, t.thumbnail.byteLength) } } : t;
}

function cancelledBeforeScan(db: Db, started: number): ImportSummary {
  const status = getStatus(db);
  return {
    added: 0,
    unchanged: 0,
    missing: 0,
    duplicates: [],
    conflicts: [],
    skipped: [],
    classes: status.classes,
    unlabelled: status.unlabelled,
    files: 0,
    newImages: 0,
    cancelled: true,
    seconds: (Date.now() - started) / 1000,
  };
}
