import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProgressMeter, type Measured } from '../../main/engine/jobs/progress-meter';

/** A meter fed [stage, done, total, milliseconds] samples in order; the last measurement. */
function measure(samples: Array<[string, number, number, number]>, plan?: Record<string, number>): Measured {
  const m = new ProgressMeter<string>();
  if (plan) m.plan(plan);
  let last!: Measured;
  for (const [stage, done, total, t] of samples) last = m.add(stage, done, total, t);
  return last;
}

describe('job progress meter', () => {
  it('measures items per second within one pass, and the time left', () => {
    const r = measure([['codes', 0, 100, 1000], ['codes', 20, 100, 2000], ['codes', 40, 100, 3000]]);
    assert.equal(r.rate, 20);
    assert.equal(r.etaSeconds, 3);
  });

  it('shows no rate in the first second of a stage', () => {
    assert.equal(measure([['codes', 0, 100, 1000], ['codes', 5, 100, 1500]]).rate, 0);
  });

  it('starts afresh when a stage counts a second pass from zero (the next backbone)', () => {
    const pass1: Array<[string, number, number, number]> = [['codes', 1700, 1802, 1000], ['codes', 1802, 1802, 3000]];
    // Measured across the passes this was (0 − 1700) / 1.1 s: negative.
    assert.equal(measure([...pass1, ['codes', 0, 1802, 3100]]).rate, 0, 'one sample of the new pass: no rate yet');
    assert.equal(measure([...pass1, ['codes', 0, 1802, 3100], ['codes', 50, 1802, 4100]]).rate, 50);
  });

  it('starts afresh on a new stage or a new total', () => {
    const head: Array<[string, number, number, number]> = [['codes', 0, 10, 0], ['codes', 10, 10, 1000], ['head', 10, 60, 1500], ['head', 12, 60, 2500]];
    assert.equal(measure(head).rate, 2);
    // A new total: (17 − 13) / 1 s; measured from the old total's first sample it would be 3.5.
    assert.equal(measure([...head, ['head', 13, 40, 3000], ['head', 17, 40, 4000]]).rate, 4);
  });

  it('smooths a burst instead of jumping to it (a batch of images landing at once)', () => {
    // Ten steady seconds at 10 items/s, then 100 items in one second.
    const steady: Array<[string, number, number, number]> = Array.from({ length: 11 }, (_, i) => ['codes', i * 10, 10_000, i * 1000]);
    const r = measure([...steady, ['codes', 200, 10_000, 11_000]]);
    assert.ok(r.rate > 10 && r.rate < 25, `rate ${r.rate}: moved towards the burst, not to 100/s`);
  });

  it('gives one overall fraction and ETA across stages from the job\'s plan', () => {
    const plan = { codes: 3, head: 1 };
    const halfway = measure([['codes', 0, 100, 0], ['codes', 50, 100, 3000]], plan);
    assert.ok(halfway.overall, 'a plan gives an overall figure');
    assert.equal(halfway.overall.fraction, 0.375, 'half of the codes, which are three quarters of the job');
    assert.equal(halfway.overall.etaSeconds, 5, '3 s for 37.5% → 5 s more');
    const inHead = measure([['codes', 0, 100, 0], ['codes', 100, 100, 6000], ['head', 0, 10, 6000], ['head', 5, 10, 7000]], plan);
    assert.equal(inHead.overall?.fraction, 0.875);
    assert.equal(measure([['codes', 0, 100, 0], ['codes', 50, 100, 3000]]).overall, null, 'no plan, no overall figure');
  });
});
