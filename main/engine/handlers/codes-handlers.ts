import type { codesMethods, BackboneInfo, RuntimeInfo } from '../../../shared/api/codes';
import { countImagesWithPresentFile } from '../catalogue/images';
import { codeCounts, deleteCodes } from '../catalogue/codes';
import { ensureCodes } from '../codes/extract';
import { GraftError } from '../errors';
import { inferenceReport } from '../inference/inference-runtime';
import { onnxCompatibility } from '../onnx/onnx-backbone';
import { addUserBackbone, inspectModelFolder } from '../tf/backbone';
import { getBackbone, listBackbones, removeUserBackbone, type BackboneSpec } from '../tf/registry';
import { runtimeReport } from '../tf/runtime';
import { modelsCacheDir } from '../tf/user-dirs';
import { locateWeights } from '../tf/weights';
import type { Engine } from '../engine';
import type { HandlerMap } from '../dispatch';
import type { JobContext } from '../jobs/job-manager';
import type { JobKind } from '../../../shared/jobs';

/**
 * What background codes give way to: every job that computes codes itself (it would
 * compute the same ones twice beside them) or needs both cores at once. Whatever the
 * background job finished stays cached, so the job that takes over starts from there.
 */
const BACKGROUND_CODES_YIELD_TO: readonly JobKind[] = ['codes', 'train', 'mistakes', 'export'];

/** runtime.info, backbones.*, codes.*. */
export const codesHandlers: HandlerMap<keyof typeof codesMethods> = {
  'runtime.info': async (engine) => runtimeInfo(engine.options.modelsDir),

  'backbones.list': (engine) => listBackbones().map((b) => backboneInfo(b, engine.options.modelsDir)),

  'backbones.inspect': (_engine, { folder }) => {
    const r = inspectModelFolder(folder);
    // Whether the network up to its output would run on ONNX Runtime (else it runs on TF.js).
    const onnx: { ok: true } | { ok: false; reason: string } =
      r.format === 'saved_model'
        ? { ok: false, reason: 'a SavedModel is not compiled to ONNX' }
        : verdict(onnxCompatibility({ id: 'inspected', name: 'inspected', description: '', format: r.format, inputSize: r.inputSize ?? 224, inputRange: [0, 1], pooling: 'avg', dim: 0, builtin: false, folder }, folder, { writeCache: false }));
    return { ...r, onnx };
  },

  'backbones.add': async (engine, params) => backboneInfo(await addUserBackbone(params), engine.options.modelsDir),

  'backbones.remove': (_engine, { id }) => ({ removed: removeUserBackbone(id) }),

  'codes.start': async (engine, { backbones, views, background }) => {
    const db = engine.db;
    const work = async (ctx: JobContext<'codes'>) => {
      try {
        return await ensureCodes(db, {
          backbones,
          views,
          modelsDir: engine.options.modelsDir,
          signal: ctx.signal,
          onProgress: (p) => ctx.progress(p.stage, p.done, p.total, p.message ?? p.backbone),
        });
      } finally {
        engine.emit('catalogue.changed', { areas: ['codes'] });
      }
    };
    const handle = await engine.jobs.startWhenFree('codes', work, background ? { yieldsTo: BACKGROUND_CODES_YIELD_TO } : {});
    return { jobId: handle.jobId };
  },

  'codes.status': (engine) => ({
    images: countImagesWithPresentFile(engine.db),
    codes: codeCounts(engine.db),
  }),

  'codes.clear': (engine, { backbone }) => {
    if (engine.jobs.isRunning('codes') || engine.jobs.isRunning('train')) {
      throw new GraftError('busy', 'Codes are being computed; wait for that to finish (or cancel it) before clearing codes.');
    }
    const deleted = deleteCodes(engine.db, backbone);
    engine.emit('catalogue.changed', { areas: ['codes'] });
    return { deleted };
  },
};

export async function runtimeInfo(modelsDir: string | undefined): Promise<RuntimeInfo> {
  const [r, inference] = await Promise.all([runtimeReport(), inferenceReport()]);
  return { ...r, inference, modelsDir: modelsDir ?? process.env.GRAFT_MODELS_DIR ?? null, cacheDir: modelsCacheDir() };
}

export function backboneInfo(b: BackboneSpec, modelsDir: string | undefined): BackboneInfo {
  const found = locateWeights(b, { modelsDir });
  // An entry that runs another's files downloads (and links to) those.
  const files = b.weightsOf ? getBackbone(b.weightsOf) : b;
  return {
    id: b.id,
    name: b.name,
    description: b.description,
    format: b.format,
    inputSize: b.inputSize,
    inputRange: [b.inputRange[0], b.inputRange[1]],
    dim: b.dim,
    builtin: b.builtin,
    availability: found ? found.from : files.source ? 'download' : 'unavailable',
    homepage: files.source?.homepage ?? null,
    imagenetHead: Boolean(b.imagenetHead),
  };
}

export type { Engine };

function verdict(c: ReturnType<typeof onnxCompatibility>): { ok: true } | { ok: false; reason: string } {
  return c.ok ? { ok: true } : { ok: false, reason: c.reason };
}
