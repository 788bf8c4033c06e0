import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { GraftError, openEngine, type GraftEngine } from '../../engine';
import type { Command, CommandContext } from './command';
import { commands } from './commands';
import { closest } from './did-you-mean';

const GLOBAL_OPTIONS = {
  project: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  verbose: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'graft: teach a computer to recognise your own kinds of images.',
    '',
    'Usage: graft <command> [options] --project FILE',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Common options: --project FILE  --json (one JSON object on stdout)  --verbose  --quiet',
    'Run "graft <command> --help" for a command\'s options.',
  ].join('\n');
}

/** Runs the CLI; resolves to the exit code. Never prints a stack trace unless --verbose. */
export async function main(argv: string[]): Promise<number> {
  const name = argv[0];
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name ? 0 : 2;
  }
  if (name === '--version' || name === 'version') {
    process.stdout.write(`${require('../../../../package.json').version}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  const verbose = argv.includes('--verbose');
  if (!command) {
    const guess = closest(name, commands.map((c) => c.name));
    process.stderr.write(`graft: unknown command "${name}".${guess ? ` Did you mean "graft ${guess}"?` : ''} Run "graft --help" for the list.\n`);
    return 2;
  }
  let engine: GraftEngine | undefined;
  const controller = new AbortController();
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    process.stderr.write('\nCancelling… (press Ctrl+C again to quit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const options = { ...GLOBAL_OPTIONS, ...(command.options ?? {}) };
    const { values, positionals } = parseOptions(command, options, argv.slice(1));
    if (values.help) {
      process.stdout.write(`${command.usage}\n`);
      return 0;
    }
    const quiet = Boolean(values.quiet);
    const ctx: CommandContext = {
      values: values as CommandContext['values'],
      positionals,
      json: Boolean(values.json),
      verbose,
      signal: controller.signal,
      log: (m) => {
        if (!quiet) process.stderr.write(`${m}\n`);
      },
      engine: (opts = {}) => {
        if (engine) return engine;
        const file = values.project as string | undefined;
        if (!file) throw new GraftError('invalid_params', `"graft ${command.name}" needs --project FILE.`);
        if (opts.mustExist && !fs.existsSync(file)) {
          throw new GraftError('not_found', `No project at ${file}. Create one with "graft import <folder> --project ${file}".`);
        }
        engine = openEngine(file, { modelsDir: process.env.GRAFT_MODELS_DIR });
        return engine;
      },
      engineWithoutProject: () => {
        engine ??= openEngine(null, { modelsDir: process.env.GRAFT_MODELS_DIR });
        return engine;
      },
    };
    const out = await command.run(ctx);
    // Wait for the write to drain: bin/graft.js exits the process right after.
    const text = ctx.json ? JSON.stringify(out.json) : (out.text ?? renderText(out.json));
    if (!out.printed) await new Promise<void>((resolve) => process.stdout.write(`${text}\n`, () => resolve()));
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string };
    const message = e.message ?? String(err);
    process.stderr.write(`graft ${command.name}: ${message.split('\n')[0]}\n`);
    if (verbose && e.stack) process.stderr.write(`${e.stack}\n`);
    return err instanceof GraftError && err.code === 'cancelled' ? 130 : 1;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (engine) await engine.close();
  }
}

/**
 * Node's own option parser, with its messages rewritten for people: the option named, a
 * likely intended one suggested, and where to read the command's options.
 */
function parseOptions(command: Command, options: NonNullable<Parameters<typeof parseArgs>[0]>['options'], args: string[]): ReturnType<typeof parseArgs> {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    if (!e.code?.startsWith('ERR_PARSE_ARGS')) throw err;
    const flag = /'(-{1,2}[^' ]+)/.exec(e.message)?.[1] ?? '';
    const help = `Run "graft ${command.name} --help" for its options.`;
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const names = Object.keys(options ?? {}).map((o) => `--${o}`);
      const guess = flag.startsWith('--') ? closest(flag, names) : null;
      throw new GraftError('invalid_params', `Unknown option ${flag}.${guess ? ` Did you mean ${guess}?` : ''} ${help}`);
    }
    if (/argument missing/.test(e.message)) throw new GraftError('invalid_params', `${flag} needs a value. ${help}`);
    if (/does not take an argument/.test(e.message)) throw new GraftError('invalid_params', `${flag} takes no value. ${help}`);
    throw new GraftError('invalid_params', `${e.message.split('.')[0]}. ${help}`);
  }
}

/** A readable rendering of a JSON result for people. */
export function renderText(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return `${indent}${String(value)}`;
  const lines: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (Array.isArray(v)) {
      lines.push(`${indent}${k}: ${v.length}`);
      for (const item of v.slice(0, 20)) lines.push(`${indent}  - ${typeof item === 'object' ? JSON.stringify(item) : String(item)}`);
      if (v.length > 20) lines.push(`${indent}  … ${v.length - 20} more (use --json for all)`);
    } else if (v && typeof v === 'object') {
      lines.push(`${indent}${k}:`);
      lines.push(renderText(v, `${indent}  `));
    } else lines.push(`${indent}${k}: ${String(v)}`);
  }
  return lines.join('\n');
}

export type { Command };
