/**
 * A child process's resident memory, read from /proc every 50 ms (Linux; elsewhere the
 * figures stay 0): the peak, and the peak of each quarter of the time it ran, which says
 * whether memory stays flat as the work goes on or grows with it.
 */
import fs from 'node:fs';

export interface RssSampler {
  /** Stops sampling; the peak in MB. */
  stop(): number;
  /** Peak MB in each quarter of the sampled time (call after stop). */
  quarters(): number[];
}

export function sampleRss(pid: number): RssSampler {
  const samples: Array<{ at: number; mb: number }> = [];
  const read = () => {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (m) samples.push({ at: Date.now(), mb: Number(m[1]) / 1024 });
    } catch {
      // The process ended.
    }
  };
  const timer = setInterval(read, 50);
  read();
  return {
    stop() {
      clearInterval(timer);
      read();
      return samples.reduce((peak, s) => Math.max(peak, s.mb), 0);
    },
    quarters() {
      if (!samples.length) return [0, 0, 0, 0];
      const first = samples[0].at;
      const span = Math.max(1, samples[samples.length - 1].at - first);
      const peaks = [0, 0, 0, 0];
      for (const s of samples) {
        const q = Math.min(3, Math.floor(((s.at - first) / span) * 4));
        peaks[q] = Math.max(peaks[q], s.mb);
      }
      return peaks;
    },
  };
}
