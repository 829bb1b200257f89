// What the findings view asks core for: the filter form (selects hold
// strings, '' for "any") as core's FindingsFilter, the page size, and a
// default file name for an export.
import type { ExportFormat } from '../bindings/ExportFormat';
import type { FindingsFilter } from '../bindings/FindingsFilter';
import { isKind, isSeverity } from './words';

export const PAGE_SIZE = 50;

export interface FilterForm {
  severity: string;
  kind: string;
  detector: string;
  owner: string;
  /** Only files that also hold an open content finding of this detector. */
  alsoHolds: string;
  includeClosed: boolean;
}

export const EMPTY_FORM: FilterForm = { severity: '', kind: '', detector: '', owner: '', alsoHolds: '', includeClosed: false };

/** The form as core's filter: '' (or an unknown value) matches everything. */
export function toFilter(form: FilterForm): FindingsFilter {
  const text = (s: string) => (s.trim() ? s.trim() : null);
  return {
    severity: isSeverity(form.severity) ? form.severity : null,
    kind: isKind(form.kind) ? form.kind : null,
    detector: text(form.detector),
    owner_login: text(form.owner),
    file_has_detector: text(form.alsoHolds),
    include_closed: form.includeClosed,
  };
}

/** Whether any filter narrows the list (so an empty list says "no match", not "nothing found"). */
export const isFiltered = (form: FilterForm) =>
  !!(form.severity || form.kind || form.detector.trim() || form.owner.trim() || form.alsoHolds.trim() || form.includeClosed);

/** A stable key of a filter, to drop answers for a filter no longer chosen. */
export const filterKey = (f: FindingsFilter) =>
  [f.severity, f.kind, f.detector, f.owner_login, f.file_has_detector, f.include_closed].map((v) => v ?? '').join('|');

/** "box-findings-critical-2026-12-01.csv": what the save dialog proposes. */
export function exportFileName(format: ExportFormat, filter: FindingsFilter, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const day = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const parts = ['box-findings', filter.severity, filter.kind?.replace(/_/g, '-'), filter.detector?.replace(/_/g, '-'), filter.file_has_detector ? `on-${filter.file_has_detector.replace(/_/g, '-')}-files` : null, day];
  return `${parts.filter(Boolean).join('-')}.${format}`;
}
