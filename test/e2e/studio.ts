/**
 * A real Graft engine and loopback server on a temporary project, serving the built
 * renderer: what `graft serve` runs, started in-process so tests can also read the
 * project's SQLite file behind the UI's back.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { Engine } from '../../main/engine/engine';
import { startServer, type RunningServer } from '../../main/hosts/server/server';
import { artifactsDir, modelsDir, repoRoot } from '../helpers/paths';

export const rendererDist = path.join(repoRoot, 'dist', 'renderer');

export interface Studio {
  engine: Engine;
  server: RunningServer;
  projectFile: string;
  /** A read-only view of the catalogue, opened separately from the engine's. */
  readCatalogue<T>(read: (db: Database.Database) => T): T;
  close(): Promise<void>;
}

/** Fails early, with the fix, when the renderer was not built. */
export function assertRendererBuilt(): void {
  if (!fs.existsSync(path.join(rendererDist, 'index.html'))) {
    throw new Error(`The renderer is not built (no ${rendererDist}/index.html): run "npm run build:renderer" first.`);
  }
}

export async function startStudio(projectFile: string): Promise<Studio> {
  assertRendererBuilt();
  const engine = new Engine(projectFile, { modelsDir });
  const server = await startServer(engine, { staticDir: rendererDist, host: '127.0.0.1' });
  return {
    engine,
    server,
    projectFile,
    readCatalogue(read) {
      const db = new Database(projectFile, { readonly: true, fileMustExist: true });
      try {
        return read(db);
      } finally {
        db.close();
      }
    },
    async close() {
      await server.close();
      await engine.close();
    },
  };
}

/** Where a test's screenshots go (gitignored; CI keeps them as artifacts). */
export function screenshotPath(name: string): string {
  const dir = path.join(artifactsDir, 'e2e');
  fs.mkdirSync(dir, { recursive: true });
  return path.join(dir, `${name}.png`);
}
