/**
 * The Content-Security-Policy of the renderer page, the same in a browser and in
 * Electron except for where images and events come from.
 *
 * Scripts only from the page's own origin (no inline script, no eval, nothing remote);
 * styles from the bundled stylesheet, plus inline `style` attributes, which Svelte uses
 * for computed positions (the virtualized grid) and cannot be listed by hash; no
 * plugins, frames, forms or <base>.
 */
export interface CspSources {
  /** Extra image sources, e.g. `graft-image:` in Electron. */
  img?: string[];
  /** Extra connect sources, e.g. the event socket's `ws://127.0.0.1:PORT`. */
  connect?: string[];
}

export function contentSecurityPolicy(sources: CspSources = {}): string {
  const directives: Array<[string, string[]]> = [
    ['default-src', ["'none'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['style-src-attr', ["'unsafe-inline'"]],
    ['img-src', ["'self'", 'data:', 'blob:', ...(sources.img ?? [])]],
    ['font-src', ["'self'", 'data:']],
    ['connect-src', ["'self'", ...(sources.connect ?? [])]],
    ['worker-src', ["'self'", 'blob:']],
    ['manifest-src', ["'self'"]],
    ['media-src', ["'none'"]],
    ['object-src', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([name, values]) => `${name} ${values.join(' ')}`).join('; ');
}
