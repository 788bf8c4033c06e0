/**
 * The `runs` table: one row per training run, written as the run goes, so a run that
 * is killed halfway leaves a 'running' row behind and nothing else. The project's
 * current model is only ever a finished run, so a dead run never replaces it.
 */
import type { Db } from './open';
import { GraftError } from '../errors';
import type { RunDetail, RunMetrics, RunStatus, RunSummary, StoredEpoch, TrainConfig } from '../../../shared/api/training';

const CURRENT_KEY = 'training.current_run';
const ownerKey = (id: string) => `training.run_owner.${id}`;

interface RunRow {
  id: string;
  created_at: number;
  finished_at: number | null;
  status: 'running' | 'finished' | 'cancelled' | 'failed';
  config: string;
  classes: string;
  history: string;
  metrics: string | null;
  error: string | null;
  seconds: number | null;
}

export function createRun(db: Db, id: string, config: TrainConfig, classes: string[], now = Date.now()): void {
  db.transaction(() => {
    db.prepare(`INSERT INTO runs (id, created_at, status, config, classes) VALUES (?, ?, 'running', ?, ?)`).run(
      id,
      now,
      JSON.stringify(config),
      JSON.stringify(classes),
    );
    // Which process owns the run: lets a later process tell an interrupted run from a live one.
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`).run(ownerKey(id), String(process.pid));
  })();
}

export function saveHistory(db: Db, id: string, history: StoredEpoch[]): void {
  db.prepare(`UPDATE runs SET history = ? WHERE id = ? AND status = 'running'`).run(JSON.stringify(history), id);
}

/**
 * Marks the run finished with its metrics and weights, and makes it the current model,
 * in one transaction: the project has either the old current model or the new one.
 * Called by the worker that trained the run (training/fit-model.ts): a model is megabytes,
 * and writing them held the main thread for 50-250 ms.
 */
export function finishRun(db: Db, id: string, result: { history: StoredEpoch[]; metrics: RunMetrics; weights: Uint8Array; seconds: number }, now = Date.now()): void {
  db.transaction(() => {
    const info = db
      .prepare(`UPDATE runs SET status = 'finished', finished_at = ?, history = ?, metrics = ?, weights = ?, seconds = ? WHERE id = ? AND status = 'running'`)
      .run(now, JSON.stringify(result.history), JSON.stringify(result.metrics), result.weights, result.seconds, id);
    if (info.changes !== 1) throw new GraftError('conflict', `Run ${id} is no longer running; its result was not saved.`);
    db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`).run(CURRENT_KEY, id);
    db.prepare(`DELETE FROM meta WHERE key = ?`).run(ownerKey(id));
  })();
}

export function endRun(db: Db, id: string, status: 'cancelled' | 'failed', error: string | null, seconds: number, now = Date.now()): void {
  db.transaction(() => {
    db.prepare(`UPDATE runs SET status = ?, finished_at = ?, error = ?, seconds = ? WHERE id = ? AND status = 'running'`).run(status, now, error, seconds, id);
    db.prepare(`DELETE FROM meta WHERE key = ?`).run(ownerKey(id));
  })();
}

/**
 * Runs left 'running' by a process that no longer exists (killed, crashed, power cut)
 * become 'failed' with a reason. Runs owned by a live process are left alone.
 */
export function reconcileInterruptedRuns(db: Db, now = Date.now()): number {
  const stale = db.prepare(`SELECT id FROM runs WHERE status = 'running'`).all() as Array<{ id: string }>;
  let fixed = 0;
  for (const { id } of stale) {
    const owner = db.prepare(`SELECT value FROM meta WHERE key = ?`).get(ownerKey(id)) as { value: string } | undefined;
    if (owner && processAlive(Number(owner.value))) continue;
    endRun(db, id, 'failed', 'Interrupted before it finished (the program was closed or killed). The previous model was kept.', 0, now);
    fixed++;
  }
  return fixed;
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The current model's run id: the one the user chose, else the newest finished run. */
export function currentRunId(db: Db): string | null {
  const chosen = db.prepare(`SELECT value FROM meta WHERE key = ?`).get(CURRENT_KEY) as { value: string } | undefined;
  if (chosen) {
    const ok = db.prepare(`SELECT 1 FROM runs WHERE id = ? AND status = 'finished' AND weights IS NOT NULL`).get(chosen.value);
    if (ok) return chosen.value;
  }
  const newest = db
    .prepare(`SELECT id FROM runs WHERE status = 'finished' AND weights IS NOT NULL ORDER BY finished_at DESC, created_at DESC LIMIT 1`)
    .get() as { id: string } | undefined;
  return newest?.id ?? null;
}

export function setCurrentRun(db: Db, id: string): void {
  const row = db.prepare(`SELECT status FROM runs WHERE id = ?`).get(id) as { status: string } | undefined;
  if (!row) throw new GraftError('not_found', `No run ${id}. List runs with "graft runs".`);
  if (row.status !== 'finished') throw new GraftError('conflict', `Run ${id} did not finish (${row.status}), so it cannot be the current model.`);
  db.prepare(`INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)`).run(CURRENT_KEY, id);
}

export function listRuns(db: Db): RunSummary[] {
  const current = currentRunId(db);
  const rows = db
    .prepare(`SELECT id, created_at, finished_at, status, config, classes, history, metrics, error, seconds FROM runs ORDER BY created_at DESC, id DESC`)
    .all() as RunRow[];
  return rows.map((r) => toSummary(r, current));
}

export function getRun(db: Db, id: string): RunDetail {
  const r = db
    .prepare(`SELECT id, created_at, finished_at, status, config, classes, history, metrics, error, seconds FROM runs WHERE id = ?`)
    .get(id) as RunRow | undefined;
  if (!r) throw new GraftError('not_found', `No run ${id}. List runs with "graft runs".`);
  return {
    ...toSummary(r, currentRunId(db)),
    config: JSON.parse(r.config) as TrainConfig,
    history: JSON.parse(r.history) as StoredEpoch[],
    metrics: r.metrics ? (JSON.parse(r.metrics) as RunMetrics) : null,
  };
}

/** The stored weights blob of a finished run. */
export function runWeights(db: Db, id: string): Buffer {
  const r = db.prepare(`SELECT status, weights FROM runs WHERE id = ?`).get(id) as { status: string; weights: Buffer | null } | undefined;
  if (!r) throw new GraftError('not_found', `No run ${id}.`);
  if (r.status !== 'finished' || !r.weights) throw new GraftError('no_trained_model', `Run ${id} has no trained model (${r.status}).`);
  return r.weights;
}

export function deleteRun(db: Db, id: string): void {
  db.transaction(() => {
    const row = db.prepare(`SELECT status FROM runs WHERE id = ?`).get(id) as { status: RunStatus } | undefined;
    if (!row) throw new GraftError('not_found', `No run ${id}. List runs with "graft runs".`);
    if (row.status === 'running') {
      const owner = db.prepare(`SELECT value FROM meta WHERE key = ?`).get(ownerKey(id)) as { value: string } | undefined;
      if (owner && processAlive(Number(owner.value))) throw new GraftError('busy', `Run ${id} is still training. Cancel it first.`);
    }
    db.prepare(`DELETE FROM runs WHERE id = ?`).run(id);
    db.prepare(`DELETE FROM meta WHERE key = ?`).run(ownerKey(id));
    const chosen = db.prepare(`SELECT value FROM meta WHERE key = ?`).get(CURRENT_KEY) as { value: string } | undefined;
    // Deleting the current model falls back to the newest remaining finished run.
    if (chosen?.value === id) db.prepare(`DELETE FROM meta WHERE key = ?`).run(CURRENT_KEY);
  })();
}

function toSummary(r: RunRow, current: string | null): RunSummary {
  const metrics = r.metrics ? (JSON.parse(r.metrics) as RunMetrics) : null;
  const config = JSON.parse(r.config) as TrainConfig;
  return {
    id: r.id,
    status: r.status,
    current: r.id === current,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    seconds: r.seconds,
    backbones: config.backbones,
    seed: config.seed,
    fineTune: Boolean(config.fineTune),
    classes: JSON.parse(r.classes) as string[],
    epochs: (JSON.parse(r.history) as unknown[]).length,
    accuracy: metrics ? metrics.accuracy : null,
    error: r.error,
  };
}
