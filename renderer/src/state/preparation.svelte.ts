import type { JobProgressOf } from 'shared/jobs';
import { backend } from './backend.svelte';
import { JobTracker } from './job-tracker.svelte';
import { project } from './project.svelte';
import { toasts } from './toasts.svelte';
import { training } from './training.svelte';

/**
 * After an import, the photos' codes still missing (the import computes new photos' codes
 * itself when ONNX Runtime runs the networks and their weights are here: not on first use,
 * before the download) are computed in the background with the networks the next run will
 * use, while the person sorts out labels: pressing Train then starts from
 * cached codes and takes seconds, not the half minute the flowers' codes take. It is only a
 * head start: the engine cancels this job, keeping what it computed, as soon as a training
 * run, an analysis or an export is asked for, and those compute whatever is still missing;
 * once they end, the preparation picks up what is left (unlabelled photos, for instance),
 * unless the person stopped it.
 */
class Preparation {
  #job = new JobTracker('the preparation for training');
  #active = $state(false);
  #progress = $state<JobProgressOf<'codes'> | null>(null);
  /** Cancelled by another job rather than by the person: resume when that job ends. */
  #gaveWay = false;
  #stopped = false;

  /** Worth showing: it has work (nothing to compute ends at once, and would only flicker past). */
  get showing(): boolean {
    const p = this.#progress;
    return this.#active && p !== null && !(p.stage === 'codes' && p.total === 0);
  }

  /** Its latest progress, once it has reported any. */
  get progress(): JobProgressOf<'codes'> | null {
    return this.#progress;
  }

  /** Whole percent of its codes computed (over every network and view), once it computes them. */
  get percent(): number | null {
    const p = this.#progress;
    return p && p.stage === 'codes' && p.total > 0 ? Math.floor((p.done / p.total) * 100) : null;
  }

  /** Starts preparing with the Train settings' networks; a refusal (a run is computing them itself) is no error. */
  async start(): Promise<void> {
    if (project.readOnly) return;
    const { backbones, flip } = training.settings;
    try {
      await this.#job.begin(
        () => backend.call('codes.start', { backbones, views: flip ? ['center', 'flip'] : ['center'], background: true }),
        () => {
          this.#active = true;
          this.#progress = null;
          this.#gaveWay = false;
          this.#stopped = false;
        },
      );
    } catch {
      // 'busy': a training run started meanwhile, and it computes the codes it needs.
    }
  }

  /** Stops preparing (the person wants the cores); Train still computes what is missing. */
  async stop(): Promise<void> {
    this.#stopped = true;
    await this.#job.cancel();
  }

  listen(): () => void {
    const stops = [
      backend.on('job.progress', (p) => {
        if (p.kind !== 'codes') return;
        this.#job.route(p.jobId, () => {
          this.#progress = p;
        });
      }),
      backend.on('job.finished', (f) => {
        // After any import, even one that found nothing new: the import computes the new photos'
        // codes itself where it can, and this computes whatever is still missing (none: it ends at once, unseen).
        if (f.kind === 'import' && f.status !== 'failed') {
          void this.start();
          return;
        }
        if (f.kind !== 'codes' && f.kind !== 'import' && this.#gaveWay) {
          // Training computes only labelled photos' codes; the rest are still worth having.
          void this.start();
          return;
        }
        if (f.kind !== 'codes') return;
        this.#job.route(f.jobId, () => {
          this.#active = false;
          this.#progress = null;
          this.#gaveWay = f.status === 'cancelled' && !this.#stopped;
          this.#job.finish();
          // Without its networks (offline on first use, a damaged download) Train would fail the same way: say so now.
          if (f.status === 'failed') toasts.error(`Could not prepare the photos for training: ${f.error.message}`);
        });
      }),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }
}

export const preparation = new Preparation();
