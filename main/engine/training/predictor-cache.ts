/**
 * The loaded current model of an open project, so the drop pane's second prediction is
 * warm (backbones loaded, kernels set up). Replaced when another run is asked for, dropped
 * when a run is deleted, and freed with the project.
 */
import { GraftError } from '../errors';
import type { Engine } from '../engine';
import { loadPredictor, type Predictor } from './predict';
import { currentRunId } from '../catalogue/runs';

export class PredictorCache {
  #loading: Promise<Predictor> | null = null;

  constructor(private readonly engine: Engine) {}

  /** The predictor of `runId`, or of the current model. */
  async get(runId?: string): Promise<Predictor> {
    const wanted = runId ?? currentRunId(this.engine.db);
    if (!wanted) throw new GraftError('no_trained_model', 'This project has no trained model yet. Train one first.');
    if (this.#loading) {
      const p = await this.#loading.catch(() => null);
      if (p && p.runId === wanted) return p;
      this.release();
    }
    const loading = loadPredictor(this.engine.db, { runId: wanted, modelsDir: this.engine.options.modelsDir, pool: this.engine.compute });
    this.#loading = loading;
    loading.catch(() => {
      if (this.#loading === loading) this.#loading = null;
    });
    return loading;
  }

  /** Drops the loaded model (its run was deleted, or another becomes current). */
  release(): void {
    const loading = this.#loading;
    this.#loading = null;
    loading?.then((p) => p.dispose()).catch(() => undefined);
  }

  async dispose(): Promise<void> {
    const loading = this.#loading;
    this.#loading = null;
    const p = await loading?.catch(() => null);
    p?.dispose();
  }
}
