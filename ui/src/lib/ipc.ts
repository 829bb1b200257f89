// The only place the UI talks to the Rust shell. Every command (name,
// argument names and types) and event type comes from the generated bindings,
// so a Rust change that breaks the UI breaks `npm run check`.
import { Channel } from '@tauri-apps/api/core';
import { save } from '@tauri-apps/plugin-dialog';
import { commands } from './bindings/commands';
import type { CoreEvent } from './bindings/CoreEvent';
import type { ActionKind } from './bindings/ActionKind';
import type { ActionRequest } from './bindings/ActionRequest';
import type { AuditFilter } from './bindings/AuditFilter';
import type { CustomSettings } from './bindings/CustomSettings';
import type { ErrorCode } from './bindings/ErrorCode';
import type { ExportFormat } from './bindings/ExportFormat';
import type { FindingsFilter } from './bindings/FindingsFilter';
import type { NewPolicy } from './bindings/NewPolicy';
import type { PolicyMatch } from './bindings/PolicyMatch';
import type { Snapshot } from './bindings/Snapshot';
import type { UserError } from './bindings/UserError';

/** Opens the event channel and returns the state to start from. */
export async function start(onEvent: (event: CoreEvent) => void): Promise<Snapshot> {
  const events = new Channel<CoreEvent>();
  events.onmessage = onEvent;
  return call(() => commands.appStart(events));
}

export const selectDatacenter = (id: string) => call(() => commands.selectDatacenter(id));
export const setClientSecret = (datacenterId: string, secret: string) =>
  call(() => commands.setClientSecret(datacenterId, secret));
export const saveCustomSettings = (settings: CustomSettings) =>
  call(() => commands.saveCustomSettings(settings));
/** Signs in to the selected data center; resolves when the sign-in ends. */
export const connect = () => call(() => commands.connect());
export const cancelConnect = () => call(() => commands.cancelConnect());
export const submitRedirectUrl = (url: string) => call(() => commands.submitRedirectUrl(url));
export const runApiTest = () => call(() => commands.runApiTest());
export const disconnect = () => call(() => commands.disconnect());
export const moveDatabaseAside = () => call(() => commands.moveDatabaseAside());

// The scan's reads: all from the store, so they answer offline too.
export const scanStatus = () => call(() => commands.scanStatus());
export const scanQueue = (limit: number) => call(() => commands.scanQueue(limit));
export const scanEvents = (kind: string | null, limit: number, since: string | null = null) =>
  call(() => commands.scanEvents(since, kind, limit));
export const eventDays = () => call(() => commands.eventDays());
export const scanThroughput = (minutes: number) => call(() => commands.scanThroughput(minutes));
export const fileDetail = (fileId: string) => call(() => commands.fileDetail(fileId));
export const pauseScan = () => call(() => commands.pauseScan());
export const resumeScan = () => call(() => commands.resumeScan());

// The findings: read from the store too, so they answer offline.
export const findings = (filter: FindingsFilter, limit: number, offset: number) =>
  call(() => commands.findings(filter, limit, offset));
export const findingsSummary = () => call(() => commands.findingsSummary());
export const findingDetail = (findingId: number) => call(() => commands.findingDetail(findingId));
/** Opens the file in Box's web app in the system browser; resolves to its URL. */
export const openFileInBox = (fileId: string) => call(() => commands.openFileInBox(fileId));
export const exportFindings = (filter: FindingsFilter, format: ExportFormat, path: string) =>
  call(() => commands.exportFindings(filter, format, path));

// Governance. Status, audit log, policies and alerts are read from the store
// (offline too); a preview reads Box and sends nothing; only perform_* change items.
export const governanceStatus = () => call(() => commands.governanceStatus());
/** Signs in again asking Box for the write scope; resolves when that sign-in ends. */
export const enableGovernance = () => call(() => commands.enableGovernance());
export const disableGovernance = () => call(() => commands.disableGovernance());
export const previewAction = (request: ActionRequest) => call(() => commands.previewAction(request));
export const performAction = (previewId: string) => call(() => commands.performAction(previewId));
export const previewBulk = (filter: FindingsFilter, kind: ActionKind) => call(() => commands.previewBulk(filter, kind));
export const performBulk = (previewId: string) => call(() => commands.performBulk(previewId));
export const bulkProgress = (batchId: number) => call(() => commands.bulkProgress(batchId));
export const audit = (filter: AuditFilter, offset: number, limit: number) => call(() => commands.audit(filter, offset, limit));
export const exportAudit = (format: ExportFormat, path: string) => call(() => commands.exportAudit(format, path));
export const policies = () => call(() => commands.policies());
export const addPolicy = (policy: NewPolicy) => call(() => commands.addPolicy(policy));
export const removePolicy = (policyId: number) => call(() => commands.removePolicy(policyId));
export const setPolicyEnabled = (policyId: number, enabled: boolean) => call(() => commands.setPolicyEnabled(policyId, enabled));
export const previewPolicyBacklog = (policyId: number) => call(() => commands.previewPolicyBacklog(policyId));
export const testPolicy = (matches: PolicyMatch) => call(() => commands.testPolicy(matches));
export const alerts = (includeAcknowledged: boolean, limit: number) => call(() => commands.alerts(includeAcknowledged, limit));
export const acknowledgeAlerts = (alertIds: number[]) => call(() => commands.acknowledgeAlerts(alertIds));

/** The native save dialog for an export; `null` when the admin cancels. */
export const chooseExportPath = (format: ExportFormat, defaultName: string, title = 'Export findings') =>
  call(() =>
    save({
      title,
      defaultPath: defaultName,
      filters: [{ name: format === 'csv' ? 'CSV' : 'JSON', extensions: [format] }],
    }),
  );

async function call<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw toUserError(e);
  }
}

const FALLBACK_CODE: ErrorCode = 'internal';

/** Commands reject with `{code, message, hint}`; anything else (a Tauri
 *  permission error, a panic) is wrapped so the UI shows one shape. */
export function toUserError(e: unknown): UserError {
  if (e && typeof e === 'object' && 'code' in e && 'message' in e) {
    const err = e as Partial<UserError>;
    return {
      code: err.code ?? FALLBACK_CODE,
      message: String(err.message ?? ''),
      hint: String(err.hint ?? ''),
    };
  }
  return {
    code: FALLBACK_CODE,
    message: typeof e === 'string' ? e : e instanceof Error ? e.message : 'Something went wrong.',
    hint: 'Try again. If it keeps happening, restart the app and check its log.',
  };
}
