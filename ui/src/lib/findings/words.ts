// The findings' words and orders: severities most severe first, kinds,
// detectors, why a file was not inspected, a history entry's change, and a
// finding's details (the link's or collaboration's particulars, the content's
// counts) as readable fields.
import type { FindingHistoryEntry } from '../bindings/FindingHistoryEntry';
import type { FindingKind } from '../bindings/FindingKind';
import type { Severity } from '../bindings/Severity';
import type { HistoryLine, Tone } from '../components/History.svelte';

/** Most severe first: the order of filters, badges, the chart's stacks. */
export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low'];

export const SEVERITY_LABEL: Record<Severity, string> = {
  critical: 'Critical',
  high: 'High',
  medium: 'Medium',
  low: 'Low',
};

/** 4 (critical) … 1 (low), as core ranks them; 0 for anything else. */
export function severityRank(s: string): number {
  const i = SEVERITIES.indexOf(s as Severity);
  return i < 0 ? 0 : SEVERITIES.length - i;
}

/** Sorts most severe first. */
export const bySeverity = (a: { severity: string }, b: { severity: string }) => severityRank(b.severity) - severityRank(a.severity);

export const isSeverity = (s: string): s is Severity => (SEVERITIES as readonly string[]).includes(s);

export const KINDS: readonly FindingKind[] = [
  'public_link',
  'company_link',
  'external_collaborator',
  'externally_owned',
  'sensitive_content',
];

export const KIND_LABEL: Record<FindingKind, string> = {
  public_link: 'Public link',
  company_link: 'Company link',
  external_collaborator: 'External collaborator',
  externally_owned: 'Owned outside',
  sensitive_content: 'Sensitive content',
};

export const isKind = (k: string): k is FindingKind => (KINDS as readonly string[]).includes(k);

/** The detector ids core uses (CONTRACT9), with core's labels. */
export const DETECTOR_LABEL: Record<string, string> = {
  credit_card: 'Payment card',
  us_ssn: 'US SSN',
  iban: 'IBAN',
  email: 'Email address',
  phone: 'Phone number',
  aws_access_key: 'AWS access key',
  private_key: 'Private key',
};

export const detectorLabel = (id: string | null | undefined) => (id ? (DETECTOR_LABEL[id] ?? humanize(id)) : '—');

/** Why a file was not inspected (NotInspected::code()). */
export const NOT_INSPECTED_LABEL: Record<string, string> = {
  unknown_type: 'Unknown type',
  encrypted: 'Encrypted',
  password_protected: 'Password-protected',
  corrupt: 'Corrupt',
  zip_bomb: 'Over the archive limits',
  too_large: 'Too large',
  timeout: 'Timed out',
  extractor_failed: 'Reader failed',
  extractor_crashed: 'Reader crashed',
  limit_exceeded: 'Over a reader limit',
  unavailable: 'No reader free',
};

export const notInspectedLabel = (code: string) => NOT_INSPECTED_LABEL[code] ?? humanize(code);

export const CHANGE_LABEL: Record<string, string> = {
  opened: 'Opened',
  seen: 'Seen again',
  changed: 'Changed',
  closed: 'Closed',
};

const CHANGE_TONE: Record<string, Tone> = {
  opened: 'bad',
  seen: 'accent',
  changed: 'warn',
  closed: 'good',
};

/** A finding's history in words: the detail with the scan that made the change. */
export function findingHistoryLines(history: FindingHistoryEntry[]): HistoryLine[] {
  return history.map((h) => ({
    at: h.at,
    what: h.change,
    label: CHANGE_LABEL[h.change] ?? humanize(h.change),
    tone: CHANGE_TONE[h.change] ?? null,
    detail: [h.detail, h.scan_id !== null ? `scan ${h.scan_id}` : null].filter(Boolean).join(' · ') || null,
  }));
}

/** `snake_case` → "Snake case". */
export function humanize(id: string): string {
  const words = id.replace(/_/g, ' ').trim();
  return words ? words[0].toUpperCase() + words.slice(1) : id;
}

const FIELD_LABEL: Record<string, string> = {
  access: 'Link access',
  can_download: 'Can download',
  can_edit: 'Can edit',
  password: 'Password set',
  unshared_at: 'Link expires',
  collaboration_id: 'Collaboration',
  login: 'Login',
  name: 'Name',
  role: 'Role',
  status: 'Invite status',
  high: 'With a keyword nearby',
  low: 'Without a keyword',
  secret_nearby: 'Secret key nearby',
};

export interface Field {
  key: string;
  label: string;
  value: string;
}

/** A finding's details as label / value pairs, in a stable order: the known
 *  keys first as listed above, then any others by name. */
export function detailFields(details: Record<string, unknown> | null | undefined): Field[] {
  if (!details) return [];
  const known = Object.keys(FIELD_LABEL);
  const keys = Object.keys(details).sort((a, b) => {
    const [ia, ib] = [known.indexOf(a), known.indexOf(b)];
    if (ia >= 0 || ib >= 0) return (ia < 0 ? known.length : ia) - (ib < 0 ? known.length : ib);
    return a.localeCompare(b);
  });
  return keys.map((key) => ({
    key,
    label: FIELD_LABEL[key] ?? humanize(key),
    value: fieldValue(key, details[key]),
  }));
}

function fieldValue(key: string, v: unknown): string {
  if (v === null || v === undefined || v === '') return key === 'unshared_at' ? 'never' : '—';
  if (typeof v === 'boolean') return v ? 'Yes' : 'No';
  if (typeof v === 'number') return new Intl.NumberFormat('en-US').format(v);
  if (typeof v === 'string') return key === 'access' ? ACCESS_LABEL[v] ?? v : v;
  return JSON.stringify(v);
}

const ACCESS_LABEL: Record<string, string> = {
  open: 'Open (anyone with the link)',
  company: 'Company (people in the enterprise)',
  collaborators: 'Collaborators only',
};
