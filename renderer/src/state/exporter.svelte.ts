import type { ExportFormatName, ExportQuantization, ExportResult } from 'shared/api/export';
import { DEFAULTS } from 'shared/defaults';
import type { JobProgress } from 'shared/types';
import { backend, codeOf, messageOf } from './backend.svelte';
import { JobTracker } from './job-tracker.svelte';
import { toasts } from './toasts.svelte';

export type ExportPhase = 'choose' | 'starting' | 'running' | 'cancelling' | 'done';

const DIR_KEY = 'graft.exportFolder';

/**
 * One export at a time: formats and destination chosen in the dialog, the engine's
 * export job followed through its progress events, and its result (the files written)
 * kept for the result page. The engine stages the folder and renames it at the end,
 * so a cancelled or failed export leaves the destination as it was.
 */
class Exporter {
  #open = $state(false);
  #phase = $state<ExportPhase>('choose');
  #formats = $state<ExportFormatName[]>([...DEFAULTS.export.formats.value]);
  #dir = $state(readDir());
  #force = $state(false);
  /** TFLite only: the extra files with smaller weights. */
  #quantize = $state<ExportQuantization[]>([]);
  /** ONNX and TFLite: run every file in its own runtime against Graft's predictions. */
  #verify = $state(false);
  #job = new JobTracker('the export');
  #progress = $state<JobProgress | null>(null);
  #result = $state.raw<ExportResult | null>(null);
  #error = $state<string | null>(null);
  /** The folder exists and holds files: ask before replacing them. */
  #needsForce = $state(false);

  get isOpen(): boolean {
    return this.#open;
  }
  get phase(): ExportPhase {
    return this.#phase;
  }
  get formats(): readonly ExportFormatName[] {
    return this.#formats;
  }
  get quantize(): readonly ExportQuantization[] {
    return this.#quantize;
  }
  get verify(): boolean {
    return this.#verify;
  }
  get dir(): string {
    return this.#dir;
  }
  get force(): boolean {
    return this.#force;
  }
  get needsForce(): boolean {
    return this.#needsForce;
  }
  get progress(): JobProgress | null {
    return this.#progress;
  }
  get result(): ExportResult | null {
    return this.#result;
  }
  get error(): string | null {
    return this.#error;
  }
  get active(): boolean {
    return this.#phase === 'starting' || this.#phase === 'running' || this.#phase === 'cancelling';
  }

  open(): void {
    if (!this.active && this.#phase === 'done') this.#phase = 'choose';
    this.#open = true;
  }

  close(): void {
    this.#open = false;
  }

  toggleFormat(format: ExportFormatName, on: boolean): void {
    this.#formats = on ? [...new Set([...this.#formats, format])] : this.#formats.filter((f) => f !== format);
  }

  toggleQuantize(weights: ExportQuantization, on: boolean): void {
    this.#quantize = on ? [...new Set([...this.#quantize, weights])] : this.#quantize.filter((q) => q !== weights);
  }

  setVerify(verify: boolean): void {
    this.#verify = verify;
  }

  setDir(dir: string): void {
    this.#dir = dir;
    this.#error = null;
    this.#needsForce = false;
    this.#force = false;
  }

  setForce(force: boolean): void {
    this.#force = force;
  }

  /** `available` leaves out formats the project cannot make now (model formats before any training). */
  async start(available?: readonly ExportFormatName[]): Promise<boolean> {
    const formats = available ? this.#formats.filter((f) => available.includes(f)) : [...this.#formats];
    const dir = this.#dir.trim();
    if (!dir) {
      this.#error = 'Type or paste the folder to export into (a new folder is created).';
      return false;
    }
    if (!formats.length) {
      this.#error = 'Choose at least one thing to export.';
      return false;
    }
    if (this.active) return false;
    this.#phase = 'starting';
    this.#progress = null;
    this.#result = null;
    this.#error = null;
    try {
      await this.#job.begin(
        () => backend.call('export.start', { dir, formats, force: this.#force, ...this.#deployableOptions(formats) }),
        () => {
          if (this.#phase === 'starting') this.#phase = 'running';
          try {
            localStorage.setItem(DIR_KEY, dir);
          } catch {
            // Remembering the folder is a convenience only.
          }
        },
      );
      return true;
    } catch (err) {
      this.#phase = 'choose';
      this.#error = messageOf(err);
      // A non-empty folder is refused unless replacing it was asked for.
      if (codeOf(err) === 'not_empty') {
        this.#needsForce = true;
        this.#error = this.#error.replace(/, or replace its content\.$/, ', or tick “Replace its content”.');
      }
      return false;
    }
  }

  /** Smaller TFLite files and runtime checks only mean something with a format they apply to (the engine refuses them otherwise). */
  #deployableOptions(formats: readonly ExportFormatName[]): { quantize?: ExportQuantization[]; verify?: boolean } {
    const options: { quantize?: ExportQuantization[]; verify?: boolean } = {};
    if (formats.includes('tflite') && this.#quantize.length) options.quantize = [...this.#quantize];
    if ((formats.includes('onnx') || formats.includes('tflite')) && this.#verify) options.verify = true;
    return options;
  }

  async cancel(): Promise<void> {
    if (!this.#job.jobId || !this.active) return;
    this.#phase = 'cancelling';
    await this.#job.cancel();
  }

  /** Back to the chooser for another export. */
  again(): void {
    if (this.active) return;
    this.#phase = 'choose';
    this.#result = null;
    this.#force = false;
    this.#needsForce = false;
  }

  listen(): () => void {
    const offProgress = backend.on('job.progress', (p) => {
      if (p.kind !== 'export') return;
      this.#job.route(p.jobId, () => {
        this.#progress = p;
      });
    });
    const offFinished = backend.on('job.finished', (f) => {
      if (f.kind !== 'export') return;
      this.#job.route(f.jobId, () => {
        this.#job.finish();
        if (f.status === 'finished') {
          this.#result = f.result;
          this.#phase = 'done';
          if (!this.#open) toasts.show(`Export finished: ${this.#result?.dir ?? ''}`, { kind: 'success' });
        } else {
          this.#phase = 'choose';
          this.#error = f.status === 'cancelled' ? 'Export cancelled; nothing was written.' : f.error.message;
          // The engine never replaces someone's files unasked: offer to, in the dialog.
          if (f.status === 'failed' && f.error.code === 'not_empty') {
            this.#needsForce = true;
            this.#error = this.#error.replace(/, or replace its content\.$/, ', or tick “Replace its content”.');
          }
          if (!this.#open) toasts.error(this.#error);
        }
      });
    });
    return () => {
      offProgress();
      offFinished();
    };
  }
}

function readDir(): string {
  try {
    return localStorage.getItem(DIR_KEY) ?? '';
  } catch {
    return '';
  }
}

export const exporter = new Exporter();
