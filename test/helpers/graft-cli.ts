/** Running the `graft` command as a user would, in a child process, for tests. */
import { spawnSync } from 'node:child_process';
import { graftBin, modelsDir } from './paths';

/** `graft <args>` with the test models folder; its status, stdout and stderr. */
export function runGraft(args: string[]) {
  return spawnSync(process.execPath, [graftBin, ...args], { encoding: 'utf8', env: { ...process.env, GRAFT_MODELS_DIR: modelsDir }, timeout: 600_000, maxBuffer: 64 << 20 });
}
