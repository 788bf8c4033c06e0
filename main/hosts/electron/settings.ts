import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

/**
 * What the desktop app remembers between launches: the window's place and size, and
 * the recent projects. One small JSON file in the user's data folder, written
 * atomically (a crash mid-write leaves the previous version), read leniently (a
 * damaged or foreign file means defaults, never a failed start).
 *
 * Plain Node: no Electron import, so it is tested like everything else.
 */

const bounds = z.object({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().min(200).max(100_000),
  height: z.number().int().min(150).max(100_000),
});
export type Bounds = z.infer<typeof bounds>;

const settingsSchema = z.object({
  window: bounds.extend({ maximized: z.boolean().default(false), fullScreen: z.boolean().default(false) }).optional(),
  recentProjects: z.array(z.string().min(1).max(4096)).max(50).default([]),
});
export type DesktopSettings = z.infer<typeof settingsSchema>;
export type WindowState = NonNullable<DesktopSettings['window']>;

export const MAX_RECENT = 10;

export class SettingsStore {
  #settings: DesktopSettings;

  constructor(readonly file: string) {
    this.#settings = readSettings(file);
  }

  get settings(): Readonly<DesktopSettings> {
    return this.#settings;
  }

  /** Recent projects whose files still exist, newest first. */
  recentProjects(exists: (file: string) => boolean = fs.existsSync): string[] {
    return this.#settings.recentProjects.filter((f) => exists(f));
  }

  addRecentProject(file: string): void {
    this.#settings.recentProjects = withRecent(this.#settings.recentProjects, file);
    this.save();
  }

  clearRecentProjects(): void {
    this.#settings.recentProjects = [];
    this.save();
  }

  setWindowState(state: WindowState): void {
    this.#settings.window = state;
    this.save();
  }

  save(): void {
    writeAtomically(this.file, `${JSON.stringify(this.#settings, null, 2)}\n`);
  }
}

export function readSettings(file: string): DesktopSettings {
  try {
    const parsed = settingsSchema.safeParse(JSON.parse(fs.readFileSync(file, 'utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    /* missing or not JSON: defaults */
  }
  return settingsSchema.parse({});
}

/** `file` first, without duplicates (same absolute path), at most MAX_RECENT. */
export function withRecent(list: readonly string[], file: string): string[] {
  const abs = path.resolve(file);
  const same = (f: string) => (process.platform === 'win32' || process.platform === 'darwin' ? f.toLowerCase() === abs.toLowerCase() : f === abs);
  return [abs, ...list.filter((f) => !same(f))].slice(0, MAX_RECENT);
}

function writeAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/**
 * Where to put a window whose saved bounds may lie on a monitor that is no longer
 * attached: the saved bounds if most of the window is on some display's work area,
 * else undefined (let the window centre itself on the primary display).
 */
export function visibleBounds(saved: Bounds | undefined, workAreas: readonly Bounds[]): Bounds | undefined {
  if (!saved) return undefined;
  for (const area of workAreas) {
    const w = Math.min(saved.x + saved.width, area.x + area.width) - Math.max(saved.x, area.x);
    const h = Math.min(saved.y + saved.height, area.y + area.height) - Math.max(saved.y, area.y);
    if (w > 0 && h > 0 && w * h >= 0.5 * saved.width * saved.height) {
      // Larger than the display it is on (a resolution change): shrink to fit, and
      // keep the title bar reachable.
      const width = Math.min(saved.width, area.width);
      const height = Math.min(saved.height, area.height);
      return {
        x: clamp(saved.x, area.x, area.x + area.width - width),
        y: clamp(saved.y, area.y, area.y + area.height - height),
        width,
        height,
      };
    }
  }
  return undefined;
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
