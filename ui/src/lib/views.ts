// The window's views: Connection first (the only one until connected), then
// Scan, Events, Findings and Audit (the actions taken, policies, alerts).
// Keys 1–5 (Alt+1–5 from inside a text field) switch views.
export type ViewId = 'connection' | 'scan' | 'events' | 'findings' | 'audit';

export interface ViewInfo {
  id: ViewId;
  label: string;
  key: string;
}

export const VIEWS: ViewInfo[] = [
  { id: 'connection', label: 'Connection', key: '1' },
  { id: 'scan', label: 'Scan', key: '2' },
  { id: 'events', label: 'Events', key: '3' },
  { id: 'findings', label: 'Findings', key: '4' },
  { id: 'audit', label: 'Audit', key: '5' },
];

/** The views on offer: only Connection until there is a connection to show. */
export function availableViews(hasConnection: boolean): ViewInfo[] {
  return hasConnection ? VIEWS : VIEWS.slice(0, 1);
}

function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/** The view a key press asks for, if any. */
export function viewForKey(event: KeyboardEvent, views: ViewInfo[]): ViewId | null {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.shiftKey) return null;
  if (!event.altKey && typingIn(event.target)) return null;
  // `code` too: Alt+digit gives another character on some layouts.
  const digit = /^Digit([1-9])$/.exec(event.code)?.[1] ?? (/^[1-9]$/.test(event.key) ? event.key : null);
  return views.find((v) => v.key === digit)?.id ?? null;
}
