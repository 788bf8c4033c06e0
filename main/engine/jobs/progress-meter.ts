/**
 * The one rate and ETA meter of every job. Rates are smoothed (an exponential average
 * with a time constant of several seconds), because batches of images finish in bursts:
 * a raw five-second window made `graft train`'s ETA jump between 3 and 19 minutes.
 *
 * A stage may count several passes (codes: each network counts from 0 again when it
 * reports per network), so a count that goes back, or a new total, starts the stage's
 * measurement afresh instead of giving a negative rate.
 */

/** Seconds over which a change of pace moves the rate about two thirds of the way. */
const SMOOTHING_SECONDS = 8;
/** Below this many seconds of measurement a rate is too noisy to show. */
const WARM_UP_SECONDS = 1;

export interface Measured {
  rate: number;
  etaSeconds: number | null;
  overall: { fraction: number; etaSeconds: number | null } | null;
}

export class ProgressMeter<Stage extends string> {
  #stage: Stage | null = null;
  #total = -1;
  #last: { t: number; done: number } | null = null;
  #first: { t: number; done: number } | null = null;
  #rate = 0;
  #shares: Partial<Record<Stage, number>> | null = null;
  #finished = new Set<Stage>();
  #started: number | null = null;
  #overallEta: number | null = null;

  /** Each stage's share of the whole job, for the overall fraction and ETA. */
  plan(shares: Partial<Record<Stage, number>>): void {
    this.#shares = shares;
  }

  add(stage: Stage, done: number, total: number, t: number): Measured {
    this.#started ??= t;
    const restart = stage !== this.#stage || total !== this.#total || (this.#last !== null && done < this.#last.done);
    if (restart) {
      if (this.#stage !== null && stage !== this.#stage) this.#finished.add(this.#stage);
      this.#stage = stage;
      this.#total = total;
      this.#first = { t, done };
      this.#last = { t, done };
      this.#rate = 0;
    } else if (this.#last && t > this.#last.t) {
      const dt = (t - this.#last.t) / 1000;
      const instant = (done - this.#last.done) / dt;
      const sinceFirst = (t - this.#first!.t) / 1000;
      // Until there is a few seconds of history, the average since the stage began is the
      // best estimate; after that, the smoothed pace follows changes without jumping.
      if (sinceFirst < SMOOTHING_SECONDS) this.#rate = (done - this.#first!.done) / sinceFirst;
      else {
        const alpha = 1 - Math.exp(-dt / SMOOTHING_SECONDS);
        this.#rate += alpha * (instant - this.#rate);
      }
      this.#last = { t, done };
    }
    const measuredFor = this.#first ? (t - this.#first.t) / 1000 : 0;
    const rate = measuredFor >= WARM_UP_SECONDS ? Math.max(0, this.#rate) : 0;
    const etaSeconds = rate > 0 && total >= done ? (total - done) / rate : done >= total && total > 0 ? 0 : null;
    return { rate, etaSeconds, overall: this.#overall(stage, done, total, t) };
  }

  #overall(stage: Stage, done: number, total: number, t: number): Measured['overall'] {
    const shares = this.#shares;
    if (!shares) return null;
    const entries = Object.entries(shares) as Array<[Stage, number]>;
    const whole = entries.reduce((a, [, w]) => a + (w > 0 ? w : 0), 0);
    if (!(whole > 0)) return null;
    let reached = 0;
    for (const [s, w] of entries) if (this.#finished.has(s) && s !== stage) reached += w > 0 ? w : 0;
    const current = shares[stage] ?? 0;
    reached += total > 0 ? (current * Math.min(done, total)) / total : 0;
    const fraction = Math.min(1, reached / whole);
    const elapsed = (t - (this.#started ?? t)) / 1000;
    if (fraction > 0.02 && elapsed >= WARM_UP_SECONDS) {
      const estimate = (elapsed * (1 - fraction)) / fraction;
      // The same smoothing as the rate, so the overall ETA settles rather than flickers.
      this.#overallEta = this.#overallEta === null ? estimate : this.#overallEta + 0.3 * (estimate - this.#overallEta);
    }
    return { fraction, etaSeconds: this.#overallEta === null ? null : Math.max(0, this.#overallEta) };
  }
}
