// Governance's pure logic: which actions a finding offers (and on which item),
// the request a "Restrict link…" form makes, a planned change's before → after
// in words, a bulk action's counts and ETA, and the audit log's words.
import type { ActionKind } from '../bindings/ActionKind';
import type { ActionRequest } from '../bindings/ActionRequest';
import type { AuditState } from '../bindings/AuditState';
import type { BulkProgress } from '../bindings/BulkProgress';
import type { ExportFormat } from '../bindings/ExportFormat';
import type { FindingDetail } from '../bindings/FindingDetail';
import type { GovernanceStatus } from '../bindings/GovernanceStatus';
import type { ItemType } from '../bindings/ItemType';
import type { LinkAccess } from '../bindings/LinkAccess';
import { dateTime, duration } from '../format';
import { detectorLabel, humanize, KIND_LABEL, SEVERITY_LABEL } from '../findings/words';
import type { FindingKind } from '../bindings/FindingKind';
import type { FindingsFilter } from '../bindings/FindingsFilter';
import type { NewPolicy } from '../bindings/NewPolicy';
import type { PolicyMatch } from '../bindings/PolicyMatch';
import type { Severity } from '../bindings/Severity';

export const ACTION_LABEL: Record<ActionKind, string> = {
  remove_link: 'Remove link',
  restrict_link: 'Restrict link',
  remove_collaborator: 'Remove collaborator',
  remove_external: 'Remove all external collaborators',
  quarantine: 'Quarantine',
  restore: 'Restore from quarantine',
};

/** The kinds a bulk action may take: one per item, no per-item choices. */
export const BULK_KINDS: readonly ActionKind[] = ['remove_link', 'remove_external', 'quarantine'];

/** One action a finding offers, ready to preview. */
export interface OfferedAction {
  /** Stable within a finding (`remove_link`, `remove_collaborator` …). */
  id: string;
  kind: ActionKind;
  label: string;
  /** Opens the restrict form before the preview. */
  needsOptions: boolean;
  request: ActionRequest;
  /** "the file" or "folder All Files/Shared": what it acts on, in words. */
  target: string;
  /** The link's current access, for the restrict form. */
  currentAccess?: LinkAccess;
}

const request = (kind: ActionKind, item_type: ItemType, item_id: string, extra: Partial<ActionRequest> = {}): ActionRequest => ({
  kind,
  item_type,
  item_id,
  access: null,
  disable_download: false,
  expires_at: null,
  collaboration_id: null,
  ...extra,
});

/** The folder a finding is reached through, in words, from its `reached_via`
 *  ("… of folder All Files/Shared", "… on folder All Files/Shared"). */
export function viaFolderName(reachedVia: string, folderId: string): string {
  const m = / (?:of|on) folder (.+)$/.exec(reachedVia);
  return m ? m[1].trim() : folderId;
}

const isAccess = (v: unknown): v is LinkAccess => v === 'open' || v === 'company' || v === 'collaborators';

/** The actions a finding offers, on the item its link or collaboration
 *  belongs to (the file itself or the folder it is reached through), and
 *  quarantine of the file for any finding. */
export function actionsFor(detail: FindingDetail): OfferedAction[] {
  const f = detail.finding;
  const out: OfferedAction[] = [];
  const viaType: ItemType | null = detail.via_item_type === 'file' || detail.via_item_type === 'folder' ? detail.via_item_type : null;
  const viaId = detail.via_item_id;
  const onFile = viaType === 'file' && viaId === f.file_id;
  const folder = viaType === 'folder' && viaId ? viaFolderName(f.reached_via, viaId) : null;
  const target = onFile ? 'the file' : folder ? `folder ${folder}` : null;
  const ofTarget = folder ? ` of folder ${folder}` : '';
  if (!f.closed_at && viaType && viaId && target && (onFile || folder)) {
    if (f.kind === 'public_link' || f.kind === 'company_link') {
      const access = detail.details?.access;
      out.push({
        id: 'remove_link',
        kind: 'remove_link',
        label: `Remove link${ofTarget}`,
        needsOptions: false,
        request: request('remove_link', viaType, viaId),
        target,
      });
      out.push({
        id: 'restrict_link',
        kind: 'restrict_link',
        label: `Restrict link${ofTarget}…`,
        needsOptions: true,
        request: request('restrict_link', viaType, viaId),
        target,
        currentAccess: isAccess(access) ? access : undefined,
      });
    }
    if (f.kind === 'external_collaborator') {
      const collaboration = detail.details?.collaboration_id;
      const login = detail.details?.login;
      if (typeof collaboration === 'string' || typeof collaboration === 'number') {
        out.push({
          id: 'remove_collaborator',
          kind: 'remove_collaborator',
          label: `Remove collaborator${typeof login === 'string' ? ` ${login}` : ''}${folder ? ` from folder ${folder}` : ''}`,
          needsOptions: false,
          request: request('remove_collaborator', viaType, viaId, { collaboration_id: String(collaboration) }),
          target,
        });
      }
      out.push({
        id: 'remove_external',
        kind: 'remove_external',
        label: `Remove all external collaborators${folder ? ` of folder ${folder}` : ''}`,
        needsOptions: false,
        request: request('remove_external', viaType, viaId),
        target,
      });
    }
  }
  if (!f.closed_at) {
    out.push({
      id: 'quarantine',
      kind: 'quarantine',
      label: 'Quarantine file',
      needsOptions: false,
      request: request('quarantine', 'file', f.file_id),
      target: 'the file',
    });
  }
  return out;
}

/** A done quarantine in the audit log offers its restore (to where it was,
 *  with its link and collaborators as recorded). */
export function restoreFor(entry: { kind: ActionKind; state: AuditState; item: { item_type: ItemType; item_id: string } }): ActionRequest | null {
  return entry.kind === 'quarantine' && entry.state === 'done' ? request('restore', entry.item.item_type, entry.item.item_id) : null;
}

/** The accesses a link may be narrowed to from `current` (narrower only). */
export function narrowerAccess(current: LinkAccess | undefined): LinkAccess[] {
  const order: LinkAccess[] = ['open', 'company', 'collaborators'];
  const from = current ? order.indexOf(current) : 0;
  return order.slice(from + 1);
}

export const ACCESS_WORDS: Record<LinkAccess, string> = {
  open: 'Anyone with the link',
  company: 'People in the company',
  collaborators: 'Collaborators only',
};

export interface RestrictForm {
  /** '' keeps the access as it is. */
  access: '' | LinkAccess;
  disableDownload: boolean;
  /** `YYYY-MM-DD` from a date input, '' for none. */
  expires: string;
}

export const EMPTY_RESTRICT: RestrictForm = { access: '', disableDownload: false, expires: '' };

/** The restrict form as the request to preview, or what is wrong with it.
 *  An expiry date means the end of that day, local time. */
export function restrictRequest(base: ActionRequest, form: RestrictForm, now = new Date()): { request: ActionRequest } | { error: string } {
  let expires_at: string | null = null;
  if (form.expires) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(form.expires);
    const end = m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59) : null;
    if (!end || Number.isNaN(end.getTime()) || end.getMonth() !== Number(m![2]) - 1) return { error: 'The expiry is not a date.' };
    if (end.getTime() <= now.getTime()) return { error: 'The expiry must be in the future.' };
    expires_at = end.toISOString();
  }
  if (!form.access && !form.disableDownload && !expires_at) return { error: 'Choose at least one restriction.' };
  return {
    request: { ...base, kind: 'restrict_link', access: form.access || null, disable_download: form.disableDownload, expires_at },
  };
}

const VALUE_LABEL: Record<string, string> = {
  parent_id: 'parent folder',
  owner_login: 'owner',
};

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A link as core records it (`access`, `can_download`, `can_edit`, `password`, `unshared_at`). */
function linkWords(o: Record<string, unknown>): string {
  const traits = [o.can_download === false ? 'preview only' : 'can download'];
  if (o.can_edit === true) traits.push('can edit');
  if (o.password === true) traits.push('password set');
  if (typeof o.unshared_at === 'string' && o.unshared_at) traits.push(`expires ${dateTime(o.unshared_at)}`);
  return `${String(o.access)} link (${traits.join(', ')})`;
}

/** A planned change's `before` or `after` in words: `null` is "none", a
 *  link reads "open link (can download, can edit)", a collaboration
 *  "eve@partner.example (editor)", a location by its path. */
export function changeValue(value: unknown): string {
  if (value === null || value === undefined) return 'none';
  if (typeof value === 'string') return value || '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return value.length ? value.map(changeValue).join(', ') : 'none';
  if (!isRecord(value)) return String(value);
  if (typeof value.access === 'string' && 'can_download' in value) return linkWords(value);
  if ('collaboration_id' in value || ('login' in value && 'role' in value)) {
    const who = typeof value.login === 'string' ? value.login : `${value.grantee_type ?? 'collaborator'} ${value.grantee_id ?? value.collaboration_id ?? ''}`.trim();
    const status = value.status === 'pending' ? ', invite pending' : '';
    return `${who}${typeof value.role === 'string' ? ` (${value.role}${status})` : ''}`;
  }
  if (typeof value.path === 'string') return `${value.path}${typeof value.owner_login === 'string' ? ` (owner ${value.owner_login})` : ''}`;
  if (typeof value.folder === 'string') return `${value.folder}${typeof value.owner === 'string' ? ` (owner ${value.owner})` : ''}`;
  const parts = Object.entries(value)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([k, v]) => `${VALUE_LABEL[k] ?? humanize(k).toLowerCase()} ${isRecord(v) || Array.isArray(v) ? JSON.stringify(v) : changeValue(v)}`);
  return parts.length ? parts.join(' · ') : '—';
}

/** A change's target in words: "Shared link", "Collaboration 9001", "Location". */
export function targetLabel(target: string): string {
  const at = target.indexOf(':');
  return at < 0 ? humanize(target) : `${humanize(target.slice(0, at))} ${target.slice(at + 1)}`;
}

/** A bulk action's counts: how many have been handled of how many. */
export interface BulkCounts {
  handled: number;
  total: number;
  share: number;
  text: string;
  finished: boolean;
}

export function bulkCounts(p: BulkProgress): BulkCounts {
  const handled = p.done + p.unchanged + p.failed + p.refused;
  const total = Math.max(p.total, handled);
  const finished = !!p.finished_at || (total > 0 && handled >= total);
  return {
    handled,
    total,
    share: total ? handled / total : finished ? 1 : 0,
    text: `${handled} of ${total}: ${p.done} done, ${p.unchanged} unchanged, ${p.failed} failed, ${p.refused} refused`,
    finished,
  };
}

/** Seconds to go: core's estimate, else the pace so far; `null` before there is one. */
export function bulkEta(p: BulkProgress, now = Date.now()): number | null {
  const { handled, total, finished } = bulkCounts(p);
  if (finished) return 0;
  if (p.eta_seconds !== null) return p.eta_seconds;
  const started = Date.parse(p.started_at);
  if (!handled || Number.isNaN(started) || now <= started) return null;
  const perItem = (now - started) / 1000 / handled;
  return Math.round(perItem * (total - handled));
}

export function bulkEtaText(p: BulkProgress, now = Date.now()): string {
  if (bulkCounts(p).finished) return 'finished';
  const eta = bulkEta(p, now);
  return eta === null ? 'estimating…' : duration(eta);
}

/** How long a finished bulk action took: "12 s". */
export function bulkTook(p: BulkProgress): string {
  const from = Date.parse(p.started_at);
  const to = p.finished_at ? Date.parse(p.finished_at) : NaN;
  return Number.isNaN(from) || Number.isNaN(to) ? '—' : duration(Math.max(0, (to - from) / 1000));
}

export const STATE_LABEL: Record<AuditState, string> = {
  pending: 'Pending',
  sending: 'Sending',
  done: 'Done',
  unchanged: 'Unchanged',
  refused: 'Refused',
  failed: 'Failed',
};

export const STATE_CLASS: Record<AuditState, string> = {
  pending: 'info',
  sending: 'info',
  done: 'good',
  unchanged: '',
  refused: 'warn',
  failed: 'bad',
};

export const AUDIT_STATES: readonly AuditState[] = ['done', 'unchanged', 'failed', 'refused', 'sending', 'pending'];

/** "box-audit-2026-12-01.csv": what the save dialog proposes. */
export function auditFileName(format: ExportFormat, now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `box-audit-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.${format}`;
}

/** Why the action buttons are off, or `null` when they may be used. */
export function actingBlocked(status: GovernanceStatus | null): string | null {
  if (!status) return 'Reading whether governance is on…';
  if (!status.enabled)
    return 'Governance is off: turn it on under Connection, where Box asks once more to allow Box Connector to change items.';
  if (!status.can_write)
    return 'Box has not granted Box Connector write access (root_readwrite): turn governance on again under Connection to ask for it.';
  return null;
}

/** Pretty JSON for the audit's before / after, `—` for nothing. */
export const prettyJson = (v: unknown) => (v === null || v === undefined ? '—' : JSON.stringify(v, null, 2));

/** A findings filter in words, for the bulk dialog: "Public link · on files also holding Payment card". */
export function filterWords(f: FindingsFilter): string {
  const parts = [
    f.kind ? KIND_LABEL[f.kind] : null,
    f.severity ? `${SEVERITY_LABEL[f.severity]} severity` : null,
    f.detector ? detectorLabel(f.detector) : null,
    f.owner_login ? `owned by ${f.owner_login}` : null,
    f.file_has_detector ? `on files also holding ${detectorLabel(f.file_has_detector)}` : null,
    f.include_closed ? 'closed ones too' : null,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'every open finding';
}

export interface PolicyForm {
  name: string;
  kinds: FindingKind[];
  detectors: string[];
  minSeverity: '' | Severity;
  minConfidence: '' | 'high';
  alsoHolds: string;
  owner: string;
  pathPrefix: string;
  /** '' raises alerts only. */
  action: '' | ActionKind;
  autoAct: boolean;
}

export const EMPTY_POLICY: PolicyForm = {
  name: '',
  kinds: [],
  detectors: [],
  minSeverity: '',
  minConfidence: '',
  alsoHolds: '',
  owner: '',
  pathPrefix: '',
  action: '',
  autoAct: false,
};

/** The form's matches as core's PolicyMatch ('' matches everything). */
export function policyMatch(form: PolicyForm): PolicyMatch {
  const text = (s: string) => (s.trim() ? s.trim() : null);
  return {
    kinds: [...form.kinds],
    detectors: [...form.detectors],
    min_confidence: form.minConfidence || null,
    min_severity: form.minSeverity || null,
    file_has_detector: text(form.alsoHolds),
    owner_login: text(form.owner),
    path_prefix: text(form.pathPrefix),
  };
}

/** The form as a new policy, or what is wrong with it. Acting on its own
 *  needs an action and the explicit checkbox; an action without it is kept
 *  but never taken (the policy only raises alerts). */
export function newPolicy(form: PolicyForm): { policy: NewPolicy } | { error: string } {
  if (!form.name.trim()) return { error: 'Give the policy a name.' };
  if (form.autoAct && !form.action) return { error: 'Choose the action to take automatically.' };
  return {
    policy: { name: form.name.trim(), matches: policyMatch(form), action: form.action || null, auto_act: !!form.action && form.autoAct },
  };
}

/** A policy's matches in words: "Public link · Payment card · files also holding US SSN · High or worse". */
export function matchSummary(m: PolicyMatch): string {
  const parts = [
    m.kinds.length ? m.kinds.map((k) => KIND_LABEL[k]).join(' or ') : null,
    m.detectors.length ? m.detectors.map(detectorLabel).join(' or ') : null,
    m.file_has_detector ? `files also holding ${detectorLabel(m.file_has_detector)}` : null,
    m.min_severity ? `${SEVERITY_LABEL[m.min_severity]}${m.min_severity === 'critical' ? '' : ' or worse'}` : null,
    m.min_confidence ? `${m.min_confidence} confidence` : null,
    m.owner_login ? `owned by ${m.owner_login}` : null,
    m.path_prefix ? `under ${m.path_prefix}` : null,
  ].filter(Boolean);
  return parts.length ? parts.join(' · ') : 'every finding';
}
