/** Child processes for tests: the `graft` command as a user runs it, and stand-alone scripts. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { graftBin, modelsDir, repoRoot } from './paths';

/** `graft <args>` with the test models folder; its status, stdout and stderr. */
export function runGraft(args: string[]) {
  return spawnSync(process.execPath, [graftBin, ...args], { encoding: 'utf8', env: { ...process.env, GRAFT_MODELS_DIR: modelsDir }, timeout: 600_000, maxBuffer: 64 << 20 });
}

/**
 * A stand-alone script that loads no Graft code, with only the repository's packages on
 * its path (as someone who installed them would have); the JSON it prints. Fails the test
 * when it does not exit 0.
 */
export function runPlainScript<T>(scriptFile: string, args: string[]): T {
  const r = spawnSync(process.execPath, [scriptFile, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_PATH: path.join(repoRoot, 'node_modules') },
    timeout: 600_000,
    maxBuffer: 64 << 20,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as T;
}
