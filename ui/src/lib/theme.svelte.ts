// Light, dark, or follow the system (prefers-color-scheme). The choice is a
// UI preference only, so it lives in localStorage, not in core.
export type ThemeMode = 'system' | 'light' | 'dark';
const KEY = 'box-connector.theme';
const ORDER: ThemeMode[] = ['system', 'light', 'dark'];

function stored(): ThemeMode {
  try {
    const v = localStorage.getItem(KEY);
    return v === 'light' || v === 'dark' ? v : 'system';
  } catch {
    return 'system';
  }
}

function systemDark(): boolean {
  try {
    return window.matchMedia('(prefers-color-scheme: dark)').matches;
  } catch {
    return false;
  }
}

class Theme {
  mode = $state<ThemeMode>(stored());
  /** The system's own scheme, followed while `mode` is `system`. */
  private systemIsDark = $state(systemDark());
  /** What is on screen: the charts draw in these colours. */
  scheme: 'light' | 'dark' = $derived(this.mode === 'system' ? (this.systemIsDark ? 'dark' : 'light') : this.mode);

  constructor() {
    try {
      window
        .matchMedia('(prefers-color-scheme: dark)')
        .addEventListener('change', (e) => (this.systemIsDark = e.matches));
    } catch {
      /* no matchMedia (tests): the system scheme stays light */
    }
  }

  apply() {
    const root = document.documentElement;
    if (this.mode === 'system') delete root.dataset.theme;
    else root.dataset.theme = this.mode;
  }

  next() {
    this.mode = ORDER[(ORDER.indexOf(this.mode) + 1) % ORDER.length];
    try {
      localStorage.setItem(KEY, this.mode);
    } catch {
      /* private mode: the choice lasts for this session */
    }
    this.apply();
  }
}

export const theme = new Theme();
