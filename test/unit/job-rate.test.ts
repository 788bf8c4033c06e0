import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateMeter } from '../../main/engine/jobs/job-manager';

/** A meter fed [stage, done, total, milliseconds] samples in order. */
function meter(samples: Array<[string, number, number, number]>): RateMeter {
  const m = new RateMeter();
  for (const [stage, done, total, t] of samples) m.add(stage, done, total, t);
  return m;
}

describe('job progress rate', () => {
  it('measures items per second within one pass', () => {
    assert.equal(meter([['codes', 0, 100, 1000], ['codes', 20, 100, 2000], ['codes', 40, 100, 3000]]).rate(), 20);
  });

  it('starts afresh when a stage counts a second pass from zero (the next backbone)', () => {
    const pass1: Array<[string, number, number, number]> = [['codes', 1700, 1802, 1000], ['codes', 1802, 1802, 2000]];
    // Measured across the passes this was (0 − 1700) / 1.1 s: negative.
    assert.equal(meter([...pass1, ['codes', 0, 1802, 2100]]).rate(), 0, 'one sample of the new pass: no rate yet');
    assert.equal(meter([...pass1, ['codes', 0, 1802, 2100], ['codes', 50, 1802, 3100]]).rate(), 50);
  });

  it('starts afresh on a new stage or a new total', () => {
    const head: Array<[string, number, number, number]> = [['codes', 0, 10, 0], ['codes', 10, 10, 1000], ['head', 10, 60, 1500], ['head', 12, 60, 2500]];
    assert.equal(meter(head).rate(), 2);
    // A new total: (17 − 13) / 0.5 s; measured from the old total's first sample it would be 3.5.
    assert.equal(meter([...head, ['head', 13, 40, 3000], ['head', 17, 40, 3500]]).rate(), 8);
  });
});
