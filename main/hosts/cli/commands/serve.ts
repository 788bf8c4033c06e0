import { once } from 'node:events';
import { rendererDir } from '../../app-paths';
import { GraftError } from '../../../engine';
import { startServer } from '../../server/server';
import type { Command } from '../command';

/** `graft serve`: the studio in a browser, on this computer only, until Ctrl+C. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Open the studio in a browser on this computer (127.0.0.1 only) until Ctrl+C',
  usage: [
    'Usage: graft serve --project FILE [--port N]',
    '',
    'Serves Graft\'s interface and API on http://127.0.0.1 only, with a fresh access',
    'token each launch, and prints the address to open. The project is created if it',
    'does not exist. Stops with Ctrl+C.',
    '',
    'Options:',
    '  --port N   listen on port N (default: any free port)',
    '  --json     print {"url","origin","port","token","project"} as one JSON line once listening',
  ].join('\n'),
  options: {
    port: { type: 'string' },
  },
  async run(ctx) {
    const port = parsePort(ctx.values.port);
    const engine = ctx.engine();
    const server = await startServer(engine, { port, host: '127.0.0.1', staticDir: rendererDir() });
    const info = { url: server.url, origin: server.origin, port: server.port, token: server.token, project: engine.projectPath };
    const line = ctx.json ? JSON.stringify(info) : `Graft is serving ${engine.projectPath} at ${server.url}`;
    await new Promise<void>((resolve) => process.stdout.write(`${line}\n`, () => resolve()));
    ctx.log('Open that address in a browser on this computer. Press Ctrl+C to stop.');
    if (!ctx.signal.aborted) await once(ctx.signal, 'abort');
    await server.close();
    ctx.log('Stopped serving.');
    return { json: info, printed: true };
  },
};

function parsePort(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value);
  const port = Number(text);
  if (!/^\d+$/.test(text) || port < 1 || port > 65535) {
    throw new GraftError('invalid_params', `--port must be a whole number from 1 to 65535 (got "${text}").`);
  }
  return port;
}
