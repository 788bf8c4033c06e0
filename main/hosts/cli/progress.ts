import type { JobProgress } from '../../../shared/jobs';

/**
 * Renders job progress on stderr: one rewritten line on a terminal, sparse lines otherwise.
 * The rate and ETAs are the engine's (one meter for every job); when the job knows its whole
 * plan, the line ends with the time left for all of it, not just the current stage.
 */
export function progressPrinter(enabled: boolean): (p: JobProgress) => void {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  return (p) => {
    // A one-item step (loading a model, predicting one photo) needs no progress line.
    if (!enabled || p.total <= 1) return;
    const now = Date.now();
    const final = p.done >= p.total;
    if (!tty && !final && now - lastLine < 2000) return;
    lastLine = now;
    const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
    const rate = p.rate ? ` ${p.rate.toFixed(1)}/s` : '';
    const eta = p.etaSeconds != null && !final ? ` ETA ${formatSeconds(p.etaSeconds)}` : '';
    const overall = p.overall && p.overall.etaSeconds != null && p.overall.fraction < 1 ? ` · all done in ~${formatSeconds(p.overall.etaSeconds)}` : '';
    const counts = p.total ? `${p.done}/${p.total} (${pct}%)` : p.done ? String(p.done) : '…';
    const line = `${p.stage}: ${counts}${rate}${eta}${p.message ? ` ${p.message}` : ''}${overall}`;
    if (tty) process.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  };
}

export function formatSeconds(s: number): string {
  if (!isFinite(s)) return '?';
  if (s < 60) return `${Math.ceil(s)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - m * 60)).padStart(2, '0')}s`;
}
