import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RateMeter } from '../../main/jobs/job-manager';

describe('job progress rate', () => {
  it('measures items per second within one pass', () => {
    const m = new RateMeter();
    m.add('codes', 0, 100, 1000);
    m.add('codes', 20, 100, 2000);
    m.add('codes', 40, 100, 3000);
    assert.equal(m.rate(), 20);
  });

  it('starts afresh when a stage counts a second pass from zero (the next backbone)', () => {
    const m = new RateMeter();
    m.add('codes', 1700, 1802, 1000);
    m.add('codes', 1802, 1802, 2000);
    m.add('codes', 0, 1802, 2100);
    assert.equal(m.rate(), 0, 'one sample of the new pass: no rate yet, never a negative one');
    m.add('codes', 50, 1802, 3100);
    assert.equal(m.rate(), 50);
  });

  it('starts afresh on a new stage or a new total', () => {
    const m = new RateMeter();
    m.add('codes', 0, 10, 0);
    m.add('codes', 10, 10, 1000);
    m.add('head', 10, 60, 1500);
    assert.equal(m.rate(), 0);
    m.add('head', 12, 60, 2500);
    assert.equal(m.rate(), 2);
    m.add('head', 13, 40, 3000);
    m.add('head', 14, 40, 3500);
    assert.equal(m.rate(), 2);
  });
});
