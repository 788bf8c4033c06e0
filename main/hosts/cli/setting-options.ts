/**
 * Command-line options for the settings in shared/defaults.ts: their help text is
 * generated from the setting (description, default), and their values are checked
 * against its range, so `--help` cannot state a default the engine does not use.
 */
import type { Setting } from '../../../shared/defaults';
import { GraftError } from '../../engine';

/** A default as people read it in help text: 0.001, on/off, a,b. */
export function formatDefault(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** Train/validation/test shares as percentages: 80/10/10. */
export function formatFractions(f: { train: number; validation: number; test: number }): string {
  return [f.train, f.validation, f.test].map((x) => Math.round(x * 100)).join('/');
}

/**
 * What an option does and its default: "most head epochs (early stopping usually ends
 * sooner; default 60)". `note` adds what only the command line needs saying.
 */
export function describe(setting: Setting<unknown>, note?: string): string {
  const tail = `default ${formatDefault(setting.value)}${note ? `; ${note}` : ''}`;
  const d = setting.description;
  return d.endsWith(')') ? `${d.slice(0, -1)}; ${tail})` : `${d} (${tail})`;
}

const FLAG_COLUMN = 20;
const LINE_WIDTH = 100;

/**
 * Option help: the texts lined up in one column after the flags (a flag longer than
 * 20 characters pushes its first line along), wrapped at 100 characters.
 */
export function optionLines(rows: ReadonlyArray<readonly [flag: string, text: string]>): string[] {
  const column = Math.min(FLAG_COLUMN, Math.max(...rows.map(([flag]) => flag.length)));
  const indent = ' '.repeat(column + 4);
  return rows.flatMap(([flag, text]) => {
    const lines: string[] = [];
    let line = `  ${flag.padEnd(column)} `;
    let words = 0;
    for (const word of text.split(' ')) {
      if (words && line.length + 1 + word.length > LINE_WIDTH) {
        lines.push(line);
        line = indent.slice(1);
        words = 0;
      }
      line += ` ${word}`;
      words++;
    }
    lines.push(line);
    return lines;
  });
}

/** The switch that changes a boolean setting from its default: `--flip` when off, `--no-vote` when on. */
export function switchFlag(name: string, setting: Setting<boolean>): string {
  return setting.value ? `--no-${name}` : `--${name}`;
}

/** parseArgs options for a switch and its negation (Node 20's parseArgs has no allowNegative). */
export function switchOptions(name: string): Record<string, { type: 'boolean' }> {
  return { [name]: { type: 'boolean' }, [`no-${name}`]: { type: 'boolean' } };
}

/** `--name` → true, `--no-name` → false, neither → undefined (the default); both is a mistake. */
export function switchValue(values: Record<string, unknown>, name: string): boolean | undefined {
  const on = Boolean(values[name]);
  const off = Boolean(values[`no-${name}`]);
  if (on && off) throw new GraftError('invalid_params', `--${name} and --no-${name} contradict each other: give one of them.`);
  return on ? true : off ? false : undefined;
}

/** A whole number in the setting's range, or undefined when the option was not given. */
export function parseCount(value: unknown, name: string, setting: Setting<number>): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  const min = setting.min ?? 0;
  const max = setting.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isInteger(n) || n < min || n > max) throw new GraftError('invalid_params', `--${name} must be a whole number from ${min} to ${max} (got "${String(value)}").`);
  return n;
}

/** A learning rate above 0 and at most the setting's maximum, or undefined when not given. */
export function parseRate(value: unknown, name: string, setting: Setting<number>): number | undefined {
  if (typeof value !== 'string') return undefined;
  const rate = Number(value);
  const max = setting.max ?? 1;
  if (!Number.isFinite(rate) || rate <= 0 || rate > max) {
    throw new GraftError('invalid_params', `--${name} must be a number above 0 and at most ${max}, e.g. ${formatDefault(setting.value)} (got "${value}").`);
  }
  return rate;
}
