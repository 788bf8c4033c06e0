import type { BackboneInfo } from 'shared/api/codes';
import type { RunSummary } from 'shared/api/training';
import { backend } from './backend.svelte';

/**
 * Names people read for the engine's ids: networks ("MobileNet v1 0.75 at 320 px", from the
 * engine's registry through `backbones.list`) and training runs ("4 Dec, 17:35 · MobileNet
 * v1 0.75 + v2 0.35 at 320 px"). The ids stay the source of truth; components show them on
 * hover, and the CLI prints them.
 */
class Names {
  #backbones = $state.raw<ReadonlyMap<string, BackboneInfo>>(new Map());
  #loading: Promise<void> | null = null;

  /** Loads the registry once; names fall back to a reading of the id until it arrives. */
  load(): Promise<void> {
    this.#loading ??= backend
      .call('backbones.list', {})
      .then((list) => {
        this.#backbones = new Map(list.map((b) => [b.id, b]));
      })
      .catch(() => {
        // The fallback reading of the id still names the network; try again on the next ask.
        this.#loading = null;
      });
    return this.#loading;
  }

  /** What the registry says of a network, once loaded. */
  info(id: string): BackboneInfo | undefined {
    return this.#backbones.get(id);
  }

  /** Replaces network ids in an engine message with their names ("preparing MobileNet v1 0.75 at 320 px …"). */
  inMessage(message: string): string {
    return message.replace(/\b[a-z][a-z0-9._-]*_[a-z0-9._]+\b/gi, (word) => (this.#backbones.has(word) || /^mobilenet_/.test(word) ? this.network(word) : word));
  }

  /** A network's name, e.g. "MobileNet v1 0.75 at 320 px" (reactive). */
  network(id: string): string {
    const info = this.#backbones.get(id);
    if (!info) void this.load();
    return tidy(info?.name ?? nameFromId(id));
  }

  /** Several networks as one phrase: "MobileNet v1 0.75 + v2 0.35 at 320 px". */
  networks(ids: readonly string[]): string {
    return joinNetworks(ids.map((id) => this.network(id)));
  }

  /** A run as people tell runs apart: when it was trained, and with what. */
  run(run: Pick<RunSummary, 'createdAt' | 'backbones' | 'fineTune'>): string {
    return `${runDate(run.createdAt)} · ${this.networks(run.backbones)}${run.fineTune ? ' · fine-tuned' : ''}`;
  }
}

/** "4 Dec, 17:35" in the reader's own locale order (with seconds, to tell apart runs of one minute). */
export function runDate(ms: number, seconds = false): string {
  const d = new Date(ms);
  const time = d.toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) });
  return `${d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' })}, ${time}`;
}

/** Parentheticals about how a network was cut or packed say nothing to the person choosing it. */
function tidy(name: string): string {
  return name.replace(/\s*\((no top|feature vector)\)/gi, '').replace(/\s+/g, ' ').trim();
}

/** Until the registry answers (or for a network it no longer lists): the built-in ids read well enough. */
function nameFromId(id: string): string {
  const m = /^mobilenet_v(\d)_([\d.]+)_(\d+)(?:_notop)?(?:_at(\d+))?$/.exec(id);
  return m ? `MobileNet v${m[1]} ${m[2]}${m[4] ? ` at ${m[4]} px` : ''}` : id;
}

/**
 * Joins names, saying a shared image size once at the end and a shared family once at the
 * start: ["MobileNet v1 0.75 at 320 px", "MobileNet v2 0.35 at 320 px"] → "MobileNet v1 0.75 +
 * v2 0.35 at 320 px".
 */
export function joinNetworks(names: readonly string[]): string {
  if (names.length < 2) return names[0] ?? '';
  const parts = names.map((n) => {
    const m = /^(.*?)( at \d+ px)$/.exec(n);
    return m ? { base: m[1], size: m[2] } : { base: n, size: '' };
  });
  const sameSize = parts.every((p) => p.size === parts[0].size);
  const family = (s: string) => s.split(' ')[0];
  const bases = parts.map((p, i) => {
    const text = sameSize ? p.base : p.base + p.size;
    const shared = i > 0 && family(p.base) === family(parts[i - 1].base) && p.base.includes(' ');
    return shared ? text.slice(family(p.base).length + 1) : text;
  });
  return bases.join(' + ') + (sameSize ? parts[0].size : '');
}

export const names = new Names();
