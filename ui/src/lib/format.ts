// Small display helpers: times relative to now, rates as percentages.

export function relativeTime(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '—';
  const s = Math.round((t - now) / 1000);
  const abs = Math.abs(s);
  const [n, unit] =
    abs < 60 ? [abs, 'second'] : abs < 3600 ? [Math.round(abs / 60), 'minute'] : abs < 86400 ? [Math.round(abs / 3600), 'hour'] : [Math.round(abs / 86400), 'day'];
  const label = `${n} ${unit}${n === 1 ? '' : 's'}`;
  if (abs < 5) return 'just now';
  return s < 0 ? `${label} ago` : `in ${label}`;
}

export function percent(share: number): string {
  if (!Number.isFinite(share)) return '—';
  const p = share * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}

export function days(age: number | null): string {
  if (age === null) return '—';
  const d = Math.floor(age);
  return `${d} day${d === 1 ? '' : 's'}`;
}
