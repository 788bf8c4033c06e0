/**
 * A tiny typed listener registry: `add()` returns its own cleanup, so a subscription
 * fits in a Svelte `$effect`. A throwing handler is reported and does not stop the others.
 */
export class Listeners<Map extends object> {
  readonly #handlers = new Map<keyof Map, Set<(payload: never) => void>>();

  add<K extends keyof Map>(name: K, handler: (payload: Map[K]) => void): () => void {
    let set = this.#handlers.get(name);
    if (!set) this.#handlers.set(name, (set = new Set()));
    set.add(handler as (payload: never) => void);
    return () => {
      set.delete(handler as (payload: never) => void);
    };
  }

  emit<K extends keyof Map>(name: K, payload: Map[K]): void {
    const set = this.#handlers.get(name);
    if (!set) return;
    for (const handler of [...set]) {
      try {
        (handler as (p: Map[K]) => void)(payload);
      } catch (err) {
        console.error(`A "${String(name)}" listener failed:`, err);
      }
    }
  }

  count(): number {
    let n = 0;
    for (const set of this.#handlers.values()) n += set.size;
    return n;
  }
}
