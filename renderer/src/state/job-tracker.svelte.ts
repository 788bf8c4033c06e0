import { backend, messageOf } from './backend.svelte';
import { toasts } from './toasts.svelte';

/**
 * Follows one engine job at a time for a piece of UI state (import, training, export).
 * The engine may send a job's first events before `*.start` has answered with its id,
 * so events for an unknown job are held while a start is in flight and applied, in
 * order, once the id is known.
 */
export class JobTracker {
  #jobId = $state<string | null>(null);
  #starting = false;
  #early: Array<{ jobId: string; apply: () => void | Promise<void> }> = [];

  /** `what` names the work in messages: "the import", "training". */
  constructor(private readonly what: string) {}

  get jobId(): string | null {
    return this.#jobId;
  }

  /**
   * Starts a job through `start` (which calls the engine). `started` runs as soon as the
   * id is known and before any held event, so state set there never overwrites an event
   * that already finished the job. Throws what `start` throws.
   */
  async begin(start: () => Promise<{ jobId: string }>, started: (jobId: string) => void): Promise<string> {
    this.#early = [];
    this.#starting = true;
    try {
      const { jobId } = await start();
      this.#jobId = jobId;
      this.#starting = false;
      started(jobId);
      const held = this.#early.filter((e) => e.jobId === jobId);
      for (const e of held) void e.apply();
      return jobId;
    } finally {
      this.#starting = false;
      this.#early = [];
    }
  }

  /** Applies an event of job `jobId` if it is the tracked job (or holds it while starting). */
  route(jobId: string, apply: () => void | Promise<void>): void {
    if (this.#jobId === jobId) void apply();
    else if (this.#starting) this.#early.push({ jobId, apply });
  }

  /** The tracked job is over. */
  finish(): void {
    this.#jobId = null;
  }

  /** Asks the engine to cancel the tracked job; a refusal becomes a toast. */
  async cancel(): Promise<void> {
    const jobId = this.#jobId;
    if (!jobId) return;
    try {
      await backend.call('jobs.cancel', { jobId });
    } catch (err) {
      toasts.error(`Could not cancel ${this.what}: ${messageOf(err)}`);
    }
  }
}
