export type ThemePreference = 'system' | 'light' | 'dark';
export type ResolvedTheme = 'light' | 'dark';

const STORAGE_KEY = 'graft.theme';

function readPreference(): ThemePreference {
  try {
    const stored = localStorage.getItem(STORAGE_KEY);
    if (stored === 'light' || stored === 'dark' || stored === 'system') return stored;
  } catch {
    // Storage can be unavailable (private windows, file:// quirks): follow the OS.
  }
  return 'system';
}

/**
 * Light or dark. "system" follows the OS live; a pinned choice is remembered. The
 * stylesheet's colours are light-dark() pairs, so setting data-theme is all it takes.
 */
class Theme {
  #preference = $state<ThemePreference>(readPreference());
  #systemDark = $state(false);

  get preference(): ThemePreference {
    return this.#preference;
  }

  get resolved(): ResolvedTheme {
    if (this.#preference === 'system') return this.#systemDark ? 'dark' : 'light';
    return this.#preference;
  }

  set(preference: ThemePreference): void {
    this.#preference = preference;
    try {
      localStorage.setItem(STORAGE_KEY, preference);
    } catch {
      // Not remembered across launches, but applied now.
    }
    this.#apply();
  }

  /** Switches to the opposite of what is showing (pins the choice). */
  toggle(): void {
    this.set(this.resolved === 'dark' ? 'light' : 'dark');
  }

  listen(): () => void {
    const query = window.matchMedia('(prefers-color-scheme: dark)');
    const update = () => {
      this.#systemDark = query.matches;
      this.#apply();
    };
    update();
    query.addEventListener('change', update);
    return () => query.removeEventListener('change', update);
  }

  #apply(): void {
    const root = document.documentElement;
    if (this.#preference === 'system') delete root.dataset.theme;
    else root.dataset.theme = this.#preference;
  }
}

export const theme = new Theme();
