/**
 * A studio on a flowers-mini project that already has a trained model: imported and
 * trained through the engine's API (quick settings), then served to Chromium, for
 * the tests of the model-aware library and the embedding map.
 */
import path from 'node:path';
import { Engine } from '../../main/engine/engine';
import { call } from '../../main/engine/dispatch';
import { importFolder } from '../../main/engine/importer';
import { flowersMiniDir, modelsDir } from '../helpers/paths';
import { resultOf, runToEnd } from '../helpers/jobs';
import { startStudio, type Studio } from './studio';

export async function startTrainedStudio(dir: string): Promise<Studio> {
  const projectFile = path.join(dir, 'flowers-mini.graft');
  const setup = new Engine(projectFile, { modelsDir });
  try {
    await importFolder(setup.db, flowersMiniDir);
    resultOf(await runToEnd(setup, 'train', () => call(setup, 'train.start', { members: 1, epochs: 15 })));
  } finally {
    await setup.close();
  }
  return startStudio(projectFile);
}
