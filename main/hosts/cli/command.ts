import type { ParseArgsConfig } from 'node:util';
import type { GraftEngine } from '../../engine';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface CommandContext {
  /** Parsed options (strings and booleans) and positionals after the command name(s). */
  values: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  json: boolean;
  verbose: boolean;
  /**
   * The engine on the project named by --project (required); with `mustExist`, the file
   * must already be there. Opened once, closed by the runner.
   */
  engine(options?: { mustExist?: boolean }): GraftEngine;
  /** An engine without a project, for commands that need none (doctor, backbones, predict --model). */
  engineWithoutProject(): GraftEngine;
  /** Progress for people, on stderr; quiet with --quiet. */
  log(message: string): void;
  /** A cancel signal tripped by Ctrl+C (SIGINT) or SIGTERM. */
  signal: AbortSignal;
}

export interface Command {
  /** e.g. "import", or "class" for `graft class add|rename|…`. */
  name: string;
  summary: string;
  usage: string;
  options?: OptionSpec;
  /**
   * Returns the JSON object printed with --json; `text` is what a person sees
   * without --json (defaults to a readable rendering of the object).
   * `printed: true` when the command already wrote its one output itself (`graft serve`
   * prints its address as soon as it listens, then runs until Ctrl+C).
   */
  run(ctx: CommandContext): Promise<{ json: unknown; text?: string; printed?: boolean }>;
}
