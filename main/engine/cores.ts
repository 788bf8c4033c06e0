/**
 * How many threads of work this machine runs at once: what every pool, gate and session
 * layout of the engine sizes itself by, so they agree.
 */
import os from 'node:os';

export function availableCores(): number {
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}
