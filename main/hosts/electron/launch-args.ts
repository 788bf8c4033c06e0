import path from 'node:path';

/**
 * The project named on the command line of the desktop app: `--project FILE`,
 * `--project=FILE`, or a bare `*.graft` path (what a file manager passes on
 * "Open with Graft", and what a second launch forwards to the running one).
 * Chromium's own switches (`--no-sandbox`, `--enable-logging`…) are ignored.
 */
export function projectFromArgs(args: readonly string[], cwd: string = process.cwd()): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--project' && i + 1 < args.length) return path.resolve(cwd, args[i + 1]);
    if (arg.startsWith('--project=')) return path.resolve(cwd, arg.slice('--project='.length));
  }
  const file = args.find((a) => !a.startsWith('-') && /\.graft$/i.test(a));
  return file ? path.resolve(cwd, file) : undefined;
}
