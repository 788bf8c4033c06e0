import type { JobProgress } from 'shared/types';

/**
 * The stages of one training run as the studio lists them (the codes, the head, fine-tuning
 * when on, scoring), which one is running, and an estimate of the time left for the whole
 * run from its first second. The codes are one step for all the run's networks: the engine
 * decodes each photo once and runs every network on it in the same pass.
 *
 * Before a stage has measured itself, its time comes from rates this machine showed in
 * earlier runs (kept in localStorage), or from modest defaults on the very first run; a
 * stage that is running uses its own rate. Each finished stage teaches the next estimate.
 */

export type StepKind = 'codes' | 'head' | 'fine-tune' | 'score';
export type StepStatus = 'waiting' | 'now' | 'done';

export interface TimelineStep {
  key: string;
  kind: StepKind;
  /** The codes step: the networks, by id. */
  backbones?: readonly string[];
  status: StepStatus;
  startedAt: number | null;
  seconds: number | null;
  /** The codes step: codes to compute in this run, over every network and view (0: all cached). */
  codes?: number;
}

export interface TimelinePlan {
  backbones: Array<{ id: string; inputSize: number }>;
  /** Images with a label (what training reads codes for) and how many of them train. */
  images: number;
  trainRows: number;
  views: number;
  maxEpochs: number;
  fineTune: { epochs: number } | null;
}

interface Rates {
  /** Codes per second, by network, or by networks run together ("id1+id2"). */
  codesPerSecond: Record<string, number>;
  /** Seconds to load the networks before their first codes, keyed as codesPerSecond. */
  loadSeconds: Record<string, number>;
  /** Head training: seconds per epoch per training image. */
  epochSecondsPerRow: number;
  /** Scoring (with the vote): seconds per image. */
  scoreSecondsPerImage: number;
  /**
   * Fine-tuning, by network: seconds per row it passes (each image once to prepare it, then
   * each training row every epoch). It runs on TF.js, so the codes' rate says little about it.
   */
  fineTuneSecondsPerRow: Record<string, number>;
}

const RATES_KEY = 'graft.trainRates';
/**
 * First-run guesses for two cores with ONNX Runtime, replaced by what this machine measures.
 * The flowers on a 2-core AMD EPYC: 1.1-1.3e-5 s an epoch a row (60 epochs of 1,443 rows in
 * 0.9-1.2 s), 7e-5 s an image to score, both networks' sessions ready in 0.2 s, 118 codes a
 * second for the default pair at 320 px; the guesses are a little slower, so a first
 * estimate errs long, by seconds, not minutes.
 */
const DEFAULT_RATES: Rates = { codesPerSecond: {}, loadSeconds: {}, epochSecondsPerRow: 3e-5, scoreSecondsPerImage: 5e-4, fineTuneSecondsPerRow: {} };
const DEFAULT_LOAD_SECONDS = 1;
/** One network's codes per second at 224 px; scaled by pixel count for other input sizes. */
const DEFAULT_CODES_PER_SECOND_224 = 200;
/** Early stopping ends most runs well before the maximum. */
const TYPICAL_EPOCHS = 30;
const PATIENCE = 8;
/** A fine-tuning step runs the network forwards and backwards: about three forward passes. */
const FINE_TUNE_PASSES = 3;

function readRates(): Rates {
  try {
    const stored = JSON.parse(localStorage.getItem(RATES_KEY) ?? '{}') as Partial<Rates>;
    return {
      codesPerSecond: { ...stored.codesPerSecond },
      loadSeconds: { ...stored.loadSeconds },
      fineTuneSecondsPerRow: { ...stored.fineTuneSecondsPerRow },
      epochSecondsPerRow: positive(stored.epochSecondsPerRow) ?? DEFAULT_RATES.epochSecondsPerRow,
      scoreSecondsPerImage: positive(stored.scoreSecondsPerImage) ?? DEFAULT_RATES.scoreSecondsPerImage,
    };
  } catch {
    return structuredClone(DEFAULT_RATES);
  }
}

function positive(x: unknown): number | undefined {
  return typeof x === 'number' && Number.isFinite(x) && x > 0 ? x : undefined;
}

/** A new measurement weighs as much as everything before it: machines and loads change. */
function blend(old: number | undefined, measured: number): number {
  return old === undefined ? measured : (old + measured) / 2;
}

export class TrainTimeline {
  #steps = $state<TimelineStep[]>([]);
  #plan: TimelinePlan;
  #rates = readRates();
  /** Latest progress of the running step, for its own rate. */
  #last: JobProgress | null = null;
  /** When the running codes step started computing (after loading its network). */
  #computingSince: number | null = null;
  #epochsSeen = 0;

  constructor(plan: TimelinePlan, startedAt: number) {
    this.#plan = plan;
    const steps: TimelineStep[] = [
      {
        key: 'codes',
        kind: 'codes',
        backbones: plan.backbones.map((b) => b.id),
        status: 'waiting',
        startedAt: null,
        seconds: null,
        codes: plan.images * plan.views * plan.backbones.length,
      },
    ];
    steps.push({ key: 'head', kind: 'head', status: 'waiting', startedAt: null, seconds: null });
    if (plan.fineTune) steps.push({ key: 'fine-tune', kind: 'fine-tune', status: 'waiting', startedAt: null, seconds: null });
    steps.push({ key: 'score', kind: 'score', status: 'waiting', startedAt: null, seconds: null });
    steps[0].status = 'now';
    steps[0].startedAt = startedAt;
    this.#steps = steps;
  }

  get steps(): readonly TimelineStep[] {
    return this.#steps;
  }

  get current(): TimelineStep | null {
    return this.#steps.find((s) => s.status === 'now') ?? null;
  }

  /** How many codes the networks still lack, once the engine says (before: all of them). */
  setCodesToCompute(codes: number): void {
    const step = this.#steps[0];
    // Only until the engine's own count arrives with the first codes.
    if (step.kind === 'codes' && this.#computingSince === null) step.codes = codes;
    this.#steps = [...this.#steps];
  }

  /**
   * The head's epochs so far, counted from the run's epoch events: progress events come at most
   * ten a second, and the head runs dozens of epochs a second, so the last one it reported could
   * be far behind (a 100-photo head seemed to take 0.17 s an epoch, 10 times what it took).
   */
  setHeadEpochs(epochs: number): void {
    this.#epochsSeen = Math.max(this.#epochsSeen, epochs);
  }

  /** Follows a progress event of the run. */
  observe(p: JobProgress, now: number): void {
    const index = this.#indexOf(p);
    if (index < 0) return;
    const steps = this.#steps;
    const current = steps.findIndex((s) => s.status === 'now');
    if (index > current) {
      for (let i = Math.max(0, current); i < index; i++) this.#finish(i, now);
      steps[index].status = 'now';
      steps[index].startedAt = now;
      this.#computingSince = null;
    }
    const step = steps[index];
    if (step.kind === 'codes') {
      if (p.total > 0 && step.codes !== p.total) step.codes = p.total;
      if (p.total > 0 && this.#computingSince === null) {
        this.#computingSince = now;
        this.#learnLoad(step, now);
      }
      // Nothing to compute is reported once with a total of 0 and the bare ids (not "loading …").
      if (p.total === 0 && !/^(loading|downloading) /.test(p.message ?? '')) step.codes = 0;
    }
    if (p.stage === 'head') this.#epochsSeen = Math.max(this.#epochsSeen, p.done);
    this.#last = p;
    this.#steps = [...steps];
  }

  /**
   * The view of the run closes. Its last step teaches the next estimate only if it ran to the
   * end (scoring reports done = total last): a cancelled step's time measures nothing.
   */
  finish(now: number): void {
    const i = this.#steps.findIndex((s) => s.status === 'now');
    const last = this.#last;
    if (i >= 0 && this.#steps[i].kind === 'score' && last?.stage === 'score' && last.done >= last.total) this.#finish(i, now);
    this.#save();
  }

  /** Seconds left for the whole run: the running step's own rate, then estimates for the rest. */
  etaSeconds(now: number): number {
    const steps = this.#steps;
    const i = steps.findIndex((s) => s.status === 'now');
    if (i < 0) return 0;
    let left = this.#remainingOf(steps[i], now);
    for (let j = i + 1; j < steps.length; j++) left += this.#estimate(steps[j]);
    return Math.max(0, left);
  }

  /** Fraction of the whole run done, by time: spent / (spent + left). */
  fraction(startedAt: number, now: number): number {
    const spent = Math.max(0, (now - startedAt) / 1000);
    const left = this.etaSeconds(now);
    return spent + left > 0 ? spent / (spent + left) : 0;
  }

  #indexOf(p: JobProgress): number {
    return this.#steps.findIndex((s) => s.kind === p.stage);
  }

  #finish(i: number, now: number): void {
    const step = this.#steps[i];
    if (step.status === 'done') return;
    step.status = 'done';
    step.seconds = step.startedAt === null ? null : (now - step.startedAt) / 1000;
    this.#learn(step, now);
  }

  #learnLoad(step: TimelineStep, now: number): void {
    if (!step.backbones || step.startedAt === null) return;
    const key = step.backbones.join('+');
    this.#rates.loadSeconds[key] = blend(this.#rates.loadSeconds[key], (now - step.startedAt) / 1000);
  }

  #learn(step: TimelineStep, now: number): void {
    const r = this.#rates;
    const last = this.#last;
    if (step.kind === 'codes' && step.backbones && step.codes && this.#computingSince !== null) {
      const seconds = (now - this.#computingSince) / 1000;
      const key = step.backbones.join('+');
      if (seconds > 0.5) r.codesPerSecond[key] = blend(r.codesPerSecond[key], step.codes / seconds);
    } else if (step.kind === 'head' && step.seconds && this.#epochsSeen > 0 && this.#plan.trainRows > 0) {
      r.epochSecondsPerRow = blend(r.epochSecondsPerRow, step.seconds / this.#epochsSeen / this.#plan.trainRows);
    } else if (step.kind === 'fine-tune' && step.seconds && this.#fineTuneRows() > 0) {
      const id = this.#plan.backbones[0].id;
      r.fineTuneSecondsPerRow[id] = blend(r.fineTuneSecondsPerRow[id], step.seconds / this.#fineTuneRows());
    } else if (step.kind === 'score' && step.seconds && last && this.#plan.images > 0) {
      r.scoreSecondsPerImage = blend(r.scoreSecondsPerImage, step.seconds / this.#plan.images);
    }
    this.#save();
  }

  #save(): void {
    try {
      localStorage.setItem(RATES_KEY, JSON.stringify(this.#rates));
    } catch {
      // Estimates only.
    }
  }

  /** One network's codes per second: as an earlier version measured it alone, else guessed from its input size. */
  #codesPerSecond(id: string): number {
    const size = this.#plan.backbones.find((b) => b.id === id)?.inputSize ?? 224;
    return this.#rates.codesPerSecond[id] ?? DEFAULT_CODES_PER_SECOND_224 * (224 / size) ** 2;
  }

  /** Seconds for `codes` codes of these networks together: as measured, else network by network. */
  #codesSeconds(ids: readonly string[], codes: number): number {
    const key = ids.join('+');
    const measured = this.#rates.codesPerSecond[key];
    if (measured) return (this.#rates.loadSeconds[key] ?? DEFAULT_LOAD_SECONDS) + codes / measured;
    const each = codes / Math.max(1, ids.length);
    return ids.reduce((sum, id) => sum + (this.#rates.loadSeconds[id] ?? DEFAULT_LOAD_SECONDS) + each / this.#codesPerSecond(id), 0);
  }

  /** The rows fine-tuning passes: every image once to prepare, then the training rows each epoch. */
  #fineTuneRows(): number {
    const plan = this.#plan;
    if (!plan.fineTune || !plan.backbones[0]) return 0;
    return plan.views * (plan.images + plan.trainRows * plan.fineTune.epochs);
  }

  #expectedEpochs(): number {
    const max = this.#plan.maxEpochs;
    return Math.min(max, Math.max(TYPICAL_EPOCHS, this.#epochsSeen + PATIENCE));
  }

  #estimate(step: TimelineStep): number {
    const plan = this.#plan;
    const r = this.#rates;
    switch (step.kind) {
      case 'codes':
        return step.backbones && step.codes ? this.#codesSeconds(step.backbones, step.codes) : 0;
      case 'head':
        return this.#expectedEpochs() * plan.trainRows * r.epochSecondsPerRow;
      case 'fine-tune': {
        const first = plan.backbones[0];
        if (!first || !plan.fineTune) return 0;
        const measured = r.fineTuneSecondsPerRow[first.id];
        if (measured) return this.#fineTuneRows() * measured;
        // Never measured on this machine: a guess from the network's input size.
        const pass = (n: number) => n / this.#codesPerSecond(first.id);
        return (r.loadSeconds[first.id] ?? DEFAULT_LOAD_SECONDS) + pass(plan.images) + pass(plan.trainRows * plan.fineTune.epochs * FINE_TUNE_PASSES);
      }
      case 'score':
        return plan.images * r.scoreSecondsPerImage;
    }
  }

  /** The running step: its own measured rate once it has one, else the estimate less the time spent. */
  #remainingOf(step: TimelineStep, now: number): number {
    const p = this.#last;
    const spent = step.startedAt === null ? 0 : (now - step.startedAt) / 1000;
    const mine = p && this.#indexOf(p) === this.#steps.indexOf(step) ? p : null;
    if (step.kind === 'head' && this.#epochsSeen > 0) {
      const perEpoch = spent / this.#epochsSeen;
      return Math.max(0, this.#expectedEpochs() - this.#epochsSeen) * perEpoch;
    }
    if (mine && mine.total > 0 && mine.rate > 0 && step.kind !== 'head') return (mine.total - mine.done) / mine.rate;
    // Still loading, or no rate yet: the estimate, but never less than a moment.
    return Math.max(this.#estimate(step) - spent, 1);
  }
}
