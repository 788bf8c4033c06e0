import type { RunDetail, RunSummary, TrainOptions, TrainResult } from 'shared/api/training';
import { DEFAULTS } from 'shared/defaults';
import type { TrainingEpochEvent } from 'shared/events';
import type { JobStage } from 'shared/jobs';
import type { JobProgress } from 'shared/types';
import { backend, messageOf } from './backend.svelte';
import { JobTracker } from './job-tracker.svelte';
import { toasts } from './toasts.svelte';

export type TrainPhase = 'idle' | 'starting' | 'running' | 'cancelling';
/** The stages the Train view lists. */
export type TrainStage = JobStage<'train'>;

/** The advanced drawer's settings (shared/defaults.ts states what each does). */
export interface TrainSettings {
  backbones: string[];
  epochs: number;
  learningRate: number;
  /** Percent of newly dealt images for validation and test (the rest trains). */
  validationPercent: number;
  testPercent: number;
  reshuffle: boolean;
  vote: boolean;
  flip: boolean;
  fineTune: boolean;
  fineTuneEpochs: number;
  fineTuneLearningRate: number;
  seed: number;
}

const { training: t, head, fineTune } = DEFAULTS;

/** The engine's defaults, as the drawer shows them. */
export const DEFAULT_SETTINGS: TrainSettings = {
  backbones: [...t.backbones.value],
  epochs: head.maxEpochs.value,
  learningRate: head.learningRate.value,
  validationPercent: Math.round(t.fractions.value.validation * 100),
  testPercent: Math.round(t.fractions.value.test * 100),
  reshuffle: t.reshuffle.value,
  vote: t.vote.value,
  flip: t.flip.value,
  fineTune: t.fineTune.value,
  fineTuneEpochs: fineTune.epochs.value,
  fineTuneLearningRate: fineTune.learningRate.value,
  seed: t.seed.value,
};

const SETTINGS_KEY = 'graft.trainSettings';
/** Epochs kept for the live curves: a run is capped at 1,000 head epochs plus fine-tuning. */
const MAX_EPOCHS_KEPT = 2000;

function readSettings(): TrainSettings {
  try {
    const stored = JSON.parse(localStorage.getItem(SETTINGS_KEY) ?? '{}') as Partial<TrainSettings>;
    return { ...DEFAULT_SETTINGS, ...stored };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

/**
 * Training runs: start one with the drawer's settings, follow its stage, progress and
 * per-epoch metrics from events, cancel it, and keep the project's run history (the
 * current model among them). The run itself is a job in the engine; this only mirrors it.
 */
class Training {
  #phase = $state<TrainPhase>('idle');
  #job = new JobTracker('training');
  #runId = $state<string | null>(null);
  #progress = $state<JobProgress | null>(null);
  #epochs = $state.raw<TrainingEpochEvent[]>([]);
  #startedAt = $state(0);
  #stageStartedAt = $state(0);
  #error = $state<string | null>(null);
  #runs = $state.raw<RunSummary[]>([]);
  #runsLoaded = $state(false);
  #shown = $state.raw<RunDetail | null>(null);
  #settings = $state<TrainSettings>(readSettings());
  #wanted: string | null = null;

  get phase(): TrainPhase {
    return this.#phase;
  }
  get active(): boolean {
    return this.#phase !== 'idle';
  }
  get progress(): JobProgress | null {
    return this.#progress;
  }
  get stage(): TrainStage | null {
    const s = this.#progress?.stage;
    return s === 'codes' || s === 'head' || s === 'fine-tune' || s === 'score' ? s : this.active ? 'codes' : null;
  }
  /** Epochs of the run in progress (or the last one started in this window). */
  get epochs(): readonly TrainingEpochEvent[] {
    return this.#epochs;
  }
  get runId(): string | null {
    return this.#runId;
  }
  get startedAt(): number {
    return this.#startedAt;
  }
  get stageStartedAt(): number {
    return this.#stageStartedAt;
  }
  get error(): string | null {
    return this.#error;
  }
  get runs(): readonly RunSummary[] {
    return this.#runs;
  }
  get runsLoaded(): boolean {
    return this.#runsLoaded;
  }
  get current(): RunSummary | null {
    return this.#runs.find((r) => r.current) ?? null;
  }
  /** The finished run whose results the view shows (the current model unless picked otherwise). */
  get shown(): RunDetail | null {
    return this.#shown;
  }
  get settings(): TrainSettings {
    return this.#settings;
  }

  updateSettings(change: Partial<TrainSettings>): void {
    this.#settings = { ...this.#settings, ...change };
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify(this.#settings));
    } catch {
      // Settings are a convenience only.
    }
  }

  resetSettings(): void {
    this.updateSettings({ ...DEFAULT_SETTINGS });
  }

  /** The options sent to train.start: only what differs from the engine's defaults. */
  get options(): TrainOptions {
    const s = this.#settings;
    const d = DEFAULT_SETTINGS;
    const options: TrainOptions = {};
    if (s.backbones.join() !== d.backbones.join() && s.backbones.length) options.backbones = [...s.backbones];
    if (s.epochs !== d.epochs) options.epochs = s.epochs;
    if (s.learningRate !== d.learningRate) options.learningRate = s.learningRate;
    if (s.seed !== d.seed) options.seed = s.seed;
    if (s.vote !== d.vote) options.vote = s.vote;
    if (s.flip !== d.flip) options.flip = s.flip;
    if (s.fineTune !== d.fineTune) options.fineTune = s.fineTune;
    if (s.fineTune) {
      if (s.fineTuneEpochs !== d.fineTuneEpochs) options.fineTuneEpochs = s.fineTuneEpochs;
      if (s.fineTuneLearningRate !== d.fineTuneLearningRate) options.fineTuneLearningRate = s.fineTuneLearningRate;
    }
    if (s.reshuffle !== d.reshuffle) options.reshuffle = s.reshuffle;
    if (s.validationPercent !== d.validationPercent || s.testPercent !== d.testPercent) {
      const validation = s.validationPercent / 100;
      const test = s.testPercent / 100;
      options.fractions = { train: Math.max(0.05, 1 - validation - test), validation, test };
    }
    return options;
  }

  async start(): Promise<boolean> {
    if (this.active) return false;
    this.#phase = 'starting';
    this.#progress = null;
    this.#epochs = [];
    this.#runId = null;
    this.#error = null;
    this.#startedAt = Date.now();
    this.#stageStartedAt = Date.now();
    try {
      await this.#job.begin(
        () => backend.call('train.start', this.options),
        () => {
          if (this.#phase === 'starting') this.#phase = 'running';
        },
      );
      return true;
    } catch (err) {
      this.#phase = 'idle';
      this.#error = messageOf(err);
      return false;
    }
  }

  async cancel(): Promise<void> {
    if (!this.#job.jobId || !this.active) return;
    this.#phase = 'cancelling';
    await this.#job.cancel();
  }

  async refreshRuns(): Promise<void> {
    try {
      this.#runs = await backend.call('runs.list', {});
      this.#runsLoaded = true;
      // Follow the current model unless the person picked another run to look at.
      const shownId = this.#shown?.id;
      const stillThere = shownId && this.#runs.some((r) => r.id === shownId && r.status === 'finished');
      const target = stillThere ? shownId : (this.current?.id ?? null);
      if (target && (target !== shownId || !stillThere)) await this.show(target);
      else if (!target) this.#shown = null;
    } catch (err) {
      toasts.error(`Could not list the training runs: ${messageOf(err)}`);
    }
  }

  /** Shows a finished run's results. */
  async show(runId: string): Promise<void> {
    // The last run asked for wins; two requests for the same run (the finished job and the
    // run list's refresh) both land.
    this.#wanted = runId;
    try {
      const detail = await backend.call('runs.get', { id: runId });
      if (runId === this.#wanted) this.#shown = detail;
    } catch (err) {
      toasts.error(`Could not open run ${runId}: ${messageOf(err)}`);
    }
  }

  async setCurrent(runId: string): Promise<void> {
    try {
      await backend.call('runs.setCurrent', { id: runId });
      await this.refreshRuns();
      await this.show(runId);
      toasts.show('This run is now the current model.', { kind: 'success' });
    } catch (err) {
      toasts.error(`Could not make it the current model: ${messageOf(err)}`);
    }
  }

  async remove(runId: string): Promise<void> {
    try {
      await backend.call('runs.delete', { id: runId });
      if (this.#shown?.id === runId) this.#shown = null;
      await this.refreshRuns();
    } catch (err) {
      toasts.error(`Could not delete the run: ${messageOf(err)}`);
    }
  }

  listen(): () => void {
    const stops = [
      backend.on('job.progress', (p) => {
        if (p.kind !== 'train') return;
        this.#job.route(p.jobId, () => {
          if (p.stage !== this.#progress?.stage) this.#stageStartedAt = Date.now();
          this.#progress = p;
        });
      }),
      backend.on('training.epoch', (e) => {
        this.#job.route(e.jobId, () => {
          this.#runId = e.runId;
          const next = this.#epochs.length >= MAX_EPOCHS_KEPT ? this.#epochs.slice(1) : this.#epochs.slice();
          next.push(e);
          this.#epochs = next;
        });
      }),
      backend.on('job.finished', (f) => {
        if (f.kind !== 'train') return;
        this.#job.route(f.jobId, async () => {
          const result = f.status === 'finished' ? f.result : undefined;
          // The new run's results first, so the view goes from curves to results without an empty frame.
          if (result) await this.show(result.runId);
          this.#phase = 'idle';
          this.#job.finish();
          if (f.status === 'finished') {
            const acc = result?.accuracy.test ?? result?.accuracy.validation;
            toasts.show(
              `Training finished${acc != null ? `: ${(acc * 100).toFixed(1)}% ${result?.accuracy.test != null ? 'test' : 'validation'} accuracy` : ''}`,
              { kind: 'success' },
            );
          } else if (f.status === 'cancelled') {
            toasts.show('Training cancelled; the previous model is still current.');
          } else {
            this.#error = f.error?.message ?? 'Training failed.';
            toasts.error(`Training failed: ${this.#error}`);
          }
          void this.refreshRuns();
        });
      }),
      backend.on('catalogue.changed', (c) => {
        if (c.areas.includes('runs')) void this.refreshRuns();
      }),
    ];
    void this.refreshRuns();
    return () => {
      for (const stop of stops) stop();
    };
  }
}

export const training = new Training();
