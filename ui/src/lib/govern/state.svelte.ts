// The UI's copy of governance: the switch (status, scopes), the one action
// being previewed or confirmed, the bulk action, the audit log a page at a
// time, policies and alerts. Nothing changes an item but `confirm` and
// `confirmBulk`, each after its preview was shown; every read of the log,
// policies and alerts comes from the store, so it works offline.
import type { ActionKind } from '../bindings/ActionKind';
import type { ActionPreview } from '../bindings/ActionPreview';
import type { ActionRequest } from '../bindings/ActionRequest';
import type { Alert } from '../bindings/Alert';
import type { AuditEntry } from '../bindings/AuditEntry';
import type { AuditFilter } from '../bindings/AuditFilter';
import type { AuditPage } from '../bindings/AuditPage';
import type { AuditState } from '../bindings/AuditState';
import type { BulkPreview } from '../bindings/BulkPreview';
import type { BulkProgress } from '../bindings/BulkProgress';
import type { ExportFormat } from '../bindings/ExportFormat';
import type { FindingsFilter } from '../bindings/FindingsFilter';
import type { GovernanceStatus } from '../bindings/GovernanceStatus';
import type { LinkAccess } from '../bindings/LinkAccess';
import type { NewPolicy } from '../bindings/NewPolicy';
import type { Policy } from '../bindings/Policy';
import type { PolicyDryRun } from '../bindings/PolicyDryRun';
import type { PolicyMatch } from '../bindings/PolicyMatch';
import type { UserError } from '../bindings/UserError';
import type { ExportState, PathChooser } from '../export';
import { auditFileName, restrictRequest, type OfferedAction, type RestrictForm } from './plan';
import * as ipc from '../ipc';
import { read, reads } from '../read';

export const AUDIT_PAGE = 50;

/** One action's dialog: previewing (reading Box), shown, sending, answered. */
export type ActionDialog =
  | { phase: 'options'; request: ActionRequest; title: string; currentAccess: LinkAccess | undefined; error: string | null }
  | { phase: 'previewing'; request: ActionRequest; title: string }
  | { phase: 'ready'; request: ActionRequest; title: string; preview: ActionPreview }
  | { phase: 'sending'; request: ActionRequest; title: string; preview: ActionPreview }
  | { phase: 'done'; request: ActionRequest; title: string; preview: ActionPreview; entry: AuditEntry }
  | { phase: 'failed'; request: ActionRequest; title: string; preview: ActionPreview | null; error: UserError };

export type BulkDialog =
  | { phase: 'choosing'; filter: FindingsFilter; matching: number; error: UserError | null }
  | { phase: 'previewing'; filter: FindingsFilter; matching: number; kind: ActionKind }
  | { phase: 'ready' | 'starting'; filter: FindingsFilter; matching: number; kind: ActionKind; preview: BulkPreview; error: UserError | null }
  | { phase: 'running'; filter: FindingsFilter; matching: number; kind: ActionKind; preview: BulkPreview; progress: BulkProgress };

export class GovernData {
  status = $state<GovernanceStatus | null>(null);
  /** Turning governance on or off (the sign-in runs meanwhile). */
  switching = $state<'on' | 'off' | null>(null);
  switchError = $state<UserError | null>(null);

  dialog = $state<ActionDialog | null>(null);
  bulk = $state<BulkDialog | null>(null);

  auditPage = $state<AuditPage | null>(null);
  auditState = $state<AuditState | null>(null);
  auditBatch = $state<number | null>(null);
  auditOffset = $state(0);
  openEntry = $state<AuditEntry | null>(null);
  exported = $state<ExportState>({ state: 'idle' });

  policyList = $state<Policy[] | null>(null);
  dryRun = $state<{ matches: PolicyMatch; result: PolicyDryRun } | null>(null);
  policyError = $state<UserError | null>(null);

  alertList = $state<Alert[] | null>(null);

  /** The last read that failed; what is shown stays. */
  error = $state<UserError | null>(null);

  constructor(private choosePath: PathChooser = (f, name) => ipc.chooseExportPath(f, name, 'Export the audit log')) {}

  openAlerts = $derived(this.status?.open_alerts ?? 0);

  refreshStatus = async () => {
    this.error = await read(ipc.governanceStatus(), (s) => (this.status = s));
  };

  enable = () => this.toggle('on', ipc.enableGovernance);
  disable = () => this.toggle('off', ipc.disableGovernance);

  private async toggle(which: 'on' | 'off', run: () => Promise<GovernanceStatus>) {
    this.switching = which;
    this.switchError = null;
    try {
      this.status = await run();
    } catch (e) {
      this.switchError = ipc.toUserError(e);
      void this.refreshStatus();
    } finally {
      this.switching = null;
    }
  }

  // One action: the preview first; nothing is sent before `confirm`.

  /** A finding's action button: its options first (Restrict link…), else straight to the preview. */
  choose = (offered: OfferedAction) => {
    if (offered.needsOptions) {
      this.dialog = { phase: 'options', request: offered.request, title: offered.label, currentAccess: offered.currentAccess, error: null };
      return Promise.resolve();
    }
    return this.preview(offered.request, offered.label);
  };

  /** The options form's "Preview": its request, or why it can't be made. */
  previewWith = (form: RestrictForm) => {
    const d = this.dialog;
    if (d?.phase !== 'options') return Promise.resolve();
    const made = restrictRequest(d.request, form);
    if ('error' in made) {
      this.dialog = { ...d, error: made.error };
      return Promise.resolve();
    }
    return this.preview(made.request, d.title);
  };

  /** Counts previews asked for, so a slow answer for a closed dialog is dropped. */
  private previewSeq = 0;

  preview = async (request: ActionRequest, title: string) => {
    const seq = ++this.previewSeq;
    this.dialog = { phase: 'previewing', request, title };
    const current = () => seq === this.previewSeq && this.dialog?.phase === 'previewing';
    try {
      const preview = await ipc.previewAction(request);
      if (current()) this.dialog = { phase: 'ready', request, title, preview };
    } catch (e) {
      if (current()) this.dialog = { phase: 'failed', request, title, preview: null, error: ipc.toUserError(e) };
    }
  };

  /** Whether the shown preview may be confirmed: it has changes, and nothing refused it. */
  canConfirm = $derived(this.dialog?.phase === 'ready' && !this.dialog.preview.refused && this.dialog.preview.changes.length > 0);

  confirm = async () => {
    const d = this.dialog;
    if (!d || d.phase !== 'ready' || d.preview.refused || !d.preview.changes.length) return;
    const { request, title, preview } = d;
    this.dialog = { phase: 'sending', request, title, preview };
    try {
      const entry = await ipc.performAction(preview.preview_id);
      this.dialog = { phase: 'done', request, title, preview, entry };
    } catch (e) {
      this.dialog = { phase: 'failed', request, title, preview, error: ipc.toUserError(e) };
    }
    void this.refreshAudit();
  };

  closeDialog = () => {
    if (this.dialog?.phase === 'sending') return;
    this.previewSeq += 1;
    this.dialog = null;
  };

  // A bulk action over the findings view's filter.

  startBulk = (filter: FindingsFilter, matching: number) => {
    this.bulk = { phase: 'choosing', filter, matching, error: null };
  };

  previewBulk = async (kind: ActionKind) => {
    const b = this.bulk;
    if (!b || b.phase === 'running' || b.phase === 'starting') return;
    const { filter, matching } = b;
    this.bulk = { phase: 'previewing', filter, matching, kind };
    try {
      const preview = await ipc.previewBulk(filter, kind);
      if (this.bulk?.phase === 'previewing' && this.bulk.kind === kind) this.bulk = { phase: 'ready', filter, matching, kind, preview, error: null };
    } catch (e) {
      if (this.bulk?.phase === 'previewing') this.bulk = { phase: 'choosing', filter, matching, error: ipc.toUserError(e) };
    }
  };

  confirmBulk = async () => {
    const b = this.bulk;
    if (!b || b.phase !== 'ready' || !b.preview.will_change) return;
    const { filter, matching, kind, preview } = b;
    this.bulk = { phase: 'starting', filter, matching, kind, preview, error: null };
    try {
      const progress = await ipc.performBulk(preview.preview_id);
      // An event may have brought a newer progress meanwhile.
      const now = this.bulk as BulkDialog | null;
      if (now?.phase === 'running' && now.progress.batch_id === progress.batch_id) return;
      this.bulk = { phase: 'running', filter, matching, kind, preview, progress };
    } catch (e) {
      this.bulk = { phase: 'ready', filter, matching, kind, preview, error: ipc.toUserError(e) };
    }
  };

  /** A pushed `action_progress`: the running bulk action's counts. */
  applyProgress = (progress: BulkProgress) => {
    const b = this.bulk;
    const ours = b?.phase === 'starting' || (b?.phase === 'running' && b.progress.batch_id === progress.batch_id);
    if (b && ours && (b.phase === 'running' || b.phase === 'starting')) {
      this.bulk = { phase: 'running', filter: b.filter, matching: b.matching, kind: b.kind, preview: b.preview, progress };
    }
    if (progress.finished_at) void this.refreshAudit();
  };

  /** The bulk action's progress read again (a missed event, the dialog reopened). */
  refreshBulk = async () => {
    const b = this.bulk;
    if (!b || b.phase !== 'running' || b.progress.finished_at) return;
    const p = await ipc.bulkProgress(b.progress.batch_id).catch(() => null);
    if (p) this.applyProgress(p);
  };

  /** An acting policy's matches from before it was enabled (it leaves them
   *  alone), previewed as a bulk action: confirmed like any other. */
  previewBacklog = async (policy: Policy) => {
    const b = this.bulk;
    if (!policy.action || b?.phase === 'running' || b?.phase === 'starting') return;
    const kind = policy.action;
    const filter: FindingsFilter = {
      severity: null,
      kind: policy.matches.kinds.length === 1 ? policy.matches.kinds[0] : null,
      detector: policy.matches.detectors.length === 1 ? policy.matches.detectors[0] : null,
      owner_login: policy.matches.owner_login,
      file_has_detector: policy.matches.file_has_detector,
      include_closed: false,
    };
    this.bulk = { phase: 'previewing', filter, matching: 0, kind };
    try {
      const preview = await ipc.previewPolicyBacklog(policy.policy_id);
      if (this.bulk?.phase === 'previewing' && this.bulk.kind === kind) {
        this.bulk = { phase: 'ready', filter, matching: preview.items.length, kind, preview, error: null };
      }
    } catch (e) {
      if (this.bulk?.phase === 'previewing') this.bulk = { phase: 'choosing', filter, matching: 0, error: ipc.toUserError(e) };
    }
  };

  closeBulk = () => {
    if (this.bulk?.phase === 'starting') return;
    this.bulk = null;
  };

  // The audit log.

  private auditSoon: ReturnType<typeof setTimeout> | null = null;

  /** A pushed `action_finished`: the log reads again, at most once a second
   *  (a bulk action finishes many), and only once it has been shown. */
  entryFinished = () => {
    if (!this.auditPage || this.auditSoon) return;
    this.auditSoon = setTimeout(() => {
      this.auditSoon = null;
      void this.refreshAudit();
    }, 1000);
  };

  refreshAudit = async () => {
    const filter: AuditFilter = { batch_id: this.auditBatch, item_id: null, state: this.auditState };
    const key = JSON.stringify([filter, this.auditOffset]);
    this.error = await read(ipc.audit(filter, this.auditOffset, AUDIT_PAGE), (page) => {
      if (JSON.stringify([{ batch_id: this.auditBatch, item_id: null, state: this.auditState }, this.auditOffset]) !== key) return;
      this.auditPage = page;
      const open = this.openEntry;
      if (open) this.openEntry = page.rows.find((r) => r.audit_id === open.audit_id) ?? open;
    });
  };

  filterAudit = (state: AuditState | null, batch: number | null = this.auditBatch) => {
    this.auditState = state;
    this.auditBatch = batch;
    this.auditOffset = 0;
    return this.refreshAudit();
  };

  auditGoTo = (offset: number) => {
    this.auditOffset = Math.max(0, offset);
    return this.refreshAudit();
  };

  showEntry = (entry: AuditEntry | null) => {
    this.openEntry = entry;
  };

  exportAs = async (format: ExportFormat) => {
    this.exported = { state: 'choosing', format };
    try {
      const path = await this.choosePath(format, auditFileName(format));
      if (!path) {
        this.exported = { state: 'idle' };
        return;
      }
      this.exported = { state: 'writing', format };
      this.exported = { state: 'done', report: await ipc.exportAudit(format, path) };
    } catch (e) {
      this.exported = { state: 'failed', error: ipc.toUserError(e) };
    }
  };

  // Policies and alerts.

  refreshPolicies = async () => {
    this.error = await reads([
      read(ipc.policies(), (p) => (this.policyList = p)),
      read(ipc.alerts(false, 200), (a) => (this.alertList = a)),
    ]);
  };

  /** Adds the policy; resolves whether it was saved. */
  addPolicy = async (policy: NewPolicy) => {
    this.policyError = null;
    try {
      const added = await ipc.addPolicy(policy);
      this.policyList = [...(this.policyList ?? []), added];
      this.dryRun = null;
      return true;
    } catch (e) {
      this.policyError = ipc.toUserError(e);
      return false;
    }
  };

  testPolicy = async (matches: PolicyMatch) => {
    this.policyError = null;
    try {
      this.dryRun = { matches, result: await ipc.testPolicy(matches) };
    } catch (e) {
      this.policyError = ipc.toUserError(e);
    }
  };

  removePolicy = async (policyId: number) => {
    this.policyError = null;
    try {
      this.policyList = await ipc.removePolicy(policyId);
    } catch (e) {
      this.policyError = ipc.toUserError(e);
    }
  };

  setPolicyEnabled = async (policyId: number, enabled: boolean) => {
    this.policyError = null;
    try {
      const updated = await ipc.setPolicyEnabled(policyId, enabled);
      this.policyList = (this.policyList ?? []).map((p) => (p.policy_id === policyId ? updated : p));
    } catch (e) {
      this.policyError = ipc.toUserError(e);
    }
  };

  acknowledge = async (alertIds: number[]) => {
    if (!alertIds.length) return;
    this.policyError = null;
    try {
      this.status = await ipc.acknowledgeAlerts(alertIds);
      this.alertList = (this.alertList ?? []).map((a) => (alertIds.includes(a.alert_id) ? { ...a, acknowledged: true } : a));
    } catch (e) {
      this.policyError = ipc.toUserError(e);
    }
  };

  /** A pushed `alerts_raised`: the badge counts them at once, the list reads again. */
  applyAlerts = (raised: Alert[]) => {
    if (this.status) this.status = { ...this.status, open_alerts: this.status.open_alerts + raised.length };
    if (this.alertList) this.alertList = [...raised, ...this.alertList.filter((a) => !raised.some((r) => r.alert_id === a.alert_id))];
  };

  /** Another enterprise: nothing shown belongs to it. */
  reset = () => {
    this.status = null;
    this.dialog = this.bulk = this.openEntry = null;
    this.auditPage = null;
    this.policyList = this.alertList = null;
    this.dryRun = null;
    this.auditOffset = 0;
    this.auditState = this.auditBatch = null;
  };
}
