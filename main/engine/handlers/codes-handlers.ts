import type { codesMethods, BackboneInfo, RuntimeInfo } from '../../../shared/api/codes';
import { codeCounts, deleteCodes } from '../codes/store';
import { ensureCodes } from '../codes/extract';
import { GraftError } from '../errors';
import { addUserBackbone, inspectModelFolder } from '../tf/backbone';
import { getBackbone, listBackbones, removeUserBackbone, type BackboneSpec } from '../tf/registry';
import { runtimeReport } from '../tf/runtime';
import { modelsCacheDir } from '../tf/user-dirs';
import { locateWeights } from '../tf/weights';
import type { Engine } from '../engine';
import type { HandlerMap } from '../dispatch';

/** runtime.info, backbones.*, codes.*. */
export const codesHandlers: HandlerMap<keyof typeof codesMethods> = {
  'runtime.info': async (engine) => runtimeInfo(engine.options.modelsDir),

  'backbones.list': (engine) => listBackbones().map((b) => backboneInfo(b, engine.options.modelsDir)),

  'backbones.inspect': (_engine, { folder }) => inspectModelFolder(folder),

  'backbones.add': async (engine, params) => backboneInfo(await addUserBackbone(params), engine.options.modelsDir),

  'backbones.remove': (_engine, { id }) => ({ removed: removeUserBackbone(id) }),

  'codes.start': (engine, { backbones, views }) => {
    if (engine.jobs.isRunning('codes')) {
      throw new GraftError('busy', 'Codes are already being computed for this project; wait for that job or cancel it.');
    }
    const handle = engine.jobs.start('codes', async (ctx) => {
      try {
        return await ensureCodes(engine.db, {
          backbones,
          views,
          modelsDir: engine.options.modelsDir,
          signal: ctx.signal,
          onProgress: (p) => ctx.progress(p.stage, p.done, p.total, p.message ?? p.backbone),
        });
      } finally {
        engine.emit('catalogue.changed', { areas: ['codes'] });
      }
    });
    return { jobId: handle.jobId };
  },

  'codes.status': (engine) => ({
    images: (engine.db.prepare('SELECT COUNT(*) AS n FROM images i WHERE EXISTS (SELECT 1 FROM files f WHERE f.image_id = i.id AND f.missing = 0)').get() as { n: number }).n,
    codes: codeCounts(engine.db),
  }),

  'codes.clear': (engine, { backbone }) => {
    if (engine.jobs.isRunning('codes')) throw new GraftError('busy', 'Wait for the running codes job to finish (or cancel it) before clearing codes.');
    const deleted = deleteCodes(engine.db, backbone);
    engine.emit('catalogue.changed', { areas: ['codes'] });
    return { deleted };
  },
};

export async function runtimeInfo(modelsDir: string | undefined): Promise<RuntimeInfo> {
  const r = await runtimeReport();
  return { ...r, modelsDir: modelsDir ?? process.env.GRAFT_MODELS_DIR ?? null, cacheDir: modelsCacheDir() };
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
