/**
 * The engine's worker pool ends every worker when it closes: a project closed in the
 * desktop app must not leave threads behind, however many workers its work started. A
 * decoding pool lets a worker take a second task while the first waits for I/O.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { WorkerPool } from '../../main/engine/workers/worker-pool';

function threadCount(): number {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return 0;
  }
}

describe('worker pool', () => {
  it('ends all of its workers when it closes, not only the first', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-pool-'));
    const file = path.join(dir, 'bytes.bin');
    fs.writeFileSync(file, Buffer.alloc(1 << 20, 7));
    // libuv's thread pool starts with the first file read and stays: start it before counting.
    await fs.promises.readFile(file);
    const pool = new WorkerPool({ purpose: 'test', size: 3 });
    const before = threadCount();
    try {
      // Three tasks queued at once: each starts its own worker.
      const hashed = await Promise.all([0, 1, 2].map(() => pool.run('hash-file', { path: file })));
      assert.ok(hashed.every((h) => h.ok), 'every task ran');
      assert.equal(pool.workers, 3, 'three workers were started');
    } finally {
      await pool.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
    assert.equal(pool.workers, 0, 'the closed pool keeps no worker');
    if (before > 0) {
      // An ended worker's OS thread is joined a moment after its 'exit' event.
      for (let i = 0; i < 50 && threadCount() > before; i++) await new Promise((r) => setTimeout(r, 100));
      assert.ok(threadCount() <= before, `threads back to ${before} (now ${threadCount()})`);
    }
  });

  it('gives one worker as many tasks at once as tasksPerWorker allows, and queues the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'graft-pool-'));
    const file = path.join(dir, 'bytes.bin');
    fs.writeFileSync(file, Buffer.alloc(1 << 20, 7));
    for (const perWorker of [1, 2]) {
      const pool = new WorkerPool({ purpose: 'test', size: 1, tasksPerWorker: perWorker });
      try {
        const runs = [0, 1, 2].map(() => pool.run('hash-file', { path: file }));
        assert.equal(pool.workers, 1);
        assert.equal(pool.queued, 3 - perWorker, `${perWorker} task(s) per worker: the others wait`);
        const hashed = await Promise.all(runs);
        const hashes = hashed.map((h) => (h.ok ? h.hash : h.reason));
        assert.ok(hashed.every((h) => h.ok), 'every task ran');
        assert.deepEqual(new Set(hashes).size, 1, 'with the same answer');
        assert.equal(pool.queued, 0);
      } finally {
        await pool.close();
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
