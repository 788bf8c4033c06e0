import type { JobProgress } from '../../../shared/types';

/** Renders job progress on stderr: one rewritten line on a terminal, sparse lines otherwise. */
export function progressPrinter(enabled: boolean): (p: JobProgress) => void {
  const tty = process.stderr.isTTY;
  let lastLine = 0;
  return (p) => {
    if (!enabled) return;
    const now = Date.now();
    const final = p.done >= p.total;
    if (!tty && !final && now - lastLine < 2000) return;
    lastLine = now;
    const pct = p.total ? Math.floor((100 * p.done) / p.total) : 0;
    const rate = p.rate ? ` ${p.rate.toFixed(1)}/s` : '';
    const eta = p.etaSeconds != null && !final ? ` ETA ${formatSeconds(p.etaSeconds)}` : '';
    const line = `${p.stage}: ${p.done}/${p.total} (${pct}%)${rate}${eta}${p.message ? ` ${p.message}` : ''}`;
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
