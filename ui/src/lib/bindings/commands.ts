// Generated from src-tauri/src/commands.rs by the shell's bindings test. Do not edit.

import { invoke, type Channel, type InvokeArgs } from '@tauri-apps/api/core';
import { toUserError } from '../user-error';
import type { ActionKind } from './ActionKind';
import type { ActionPreview } from './ActionPreview';
import type { ActionRequest } from './ActionRequest';
import type { Alert } from './Alert';
import type { AuditEntry } from './AuditEntry';
import type { AuditFilter } from './AuditFilter';
import type { AuditPage } from './AuditPage';
import type { BulkPreview } from './BulkPreview';
import type { BulkProgress } from './BulkProgress';
import type { CoreEvent } from './CoreEvent';
import type { CustomSettings } from './CustomSettings';
import type { EventDay } from './EventDay';
import type { EventRow } from './EventRow';
import type { ExportFormat } from './ExportFormat';
import type { ExportReport } from './ExportReport';
import type { FileDetail } from './FileDetail';
import type { FindingDetail } from './FindingDetail';
import type { FindingsFilter } from './FindingsFilter';
import type { FindingsPage } from './FindingsPage';
import type { FindingsSummary } from './FindingsSummary';
import type { GovernanceStatus } from './GovernanceStatus';
import type { NewPolicy } from './NewPolicy';
import type { Policy } from './Policy';
import type { PolicyDryRun } from './PolicyDryRun';
import type { PolicyMatch } from './PolicyMatch';
import type { QueueEntry } from './QueueEntry';
import type { ScanStatus } from './ScanStatus';
import type { Snapshot } from './Snapshot';
import type { ThroughputPoint } from './ThroughputPoint';

/** Invokes a command; a rejection becomes a `UserError` (`toUserError`). */
async function call<T>(command: string, args?: InvokeArgs): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw toUserError(e);
  }
}

// Every IPC command, in the order of the shell's `commands!` list.
export const appStart = (events: Channel<CoreEvent>) => call<Snapshot>('app_start', { events });
export const selectDatacenter = (id: string) => call<Snapshot>('select_datacenter', { id });
export const setClientSecret = (datacenterId: string, secret: string) => call<Snapshot>('set_client_secret', { datacenterId, secret });
export const saveCustomSettings = (settings: CustomSettings) => call<Snapshot>('save_custom_settings', { settings });
export const connect = () => call<Snapshot>('connect');
export const cancelConnect = () => call<Snapshot>('cancel_connect');
export const submitRedirectUrl = (url: string) => call<Snapshot>('submit_redirect_url', { url });
export const runApiTest = () => call<Snapshot>('run_api_test');
export const disconnect = () => call<Snapshot>('disconnect');
export const moveDatabaseAside = () => call<Snapshot>('move_database_aside');
export const scanStatus = () => call<ScanStatus>('scan_status');
export const scanQueue = (limit: number) => call<Array<QueueEntry>>('scan_queue', { limit });
export const scanEvents = (since: string | null, kind: string | null, limit: number) => call<Array<EventRow>>('scan_events', { since, kind, limit });
export const eventDays = () => call<Array<EventDay>>('event_days');
export const scanThroughput = (minutes: number) => call<Array<ThroughputPoint>>('scan_throughput', { minutes });
export const fileDetail = (fileId: string) => call<FileDetail | null>('file_detail', { fileId });
export const pauseScan = () => call<ScanStatus>('pause_scan');
export const resumeScan = () => call<ScanStatus>('resume_scan');
export const findings = (filter: FindingsFilter, limit: number, offset: number) => call<FindingsPage>('findings', { filter, limit, offset });
export const findingsSummary = () => call<FindingsSummary>('findings_summary');
export const findingDetail = (findingId: number) => call<FindingDetail | null>('finding_detail', { findingId });
export const openFileInBox = (fileId: string) => call<string>('open_file_in_box', { fileId });
export const exportFindings = (filter: FindingsFilter, format: ExportFormat, path: string) => call<ExportReport>('export_findings', { filter, format, path });
export const governanceStatus = () => call<GovernanceStatus>('governance_status');
export const enableGovernance = () => call<GovernanceStatus>('enable_governance');
export const disableGovernance = () => call<GovernanceStatus>('disable_governance');
export const previewAction = (request: ActionRequest) => call<ActionPreview>('preview_action', { request });
export const performAction = (previewId: string) => call<AuditEntry>('perform_action', { previewId });
export const previewBulk = (filter: FindingsFilter, kind: ActionKind) => call<BulkPreview>('preview_bulk', { filter, kind });
export const performBulk = (previewId: string) => call<BulkProgress>('perform_bulk', { previewId });
export const bulkProgress = (batchId: number) => call<BulkProgress | null>('bulk_progress', { batchId });
export const audit = (filter: AuditFilter, offset: number, limit: number) => call<AuditPage>('audit', { filter, offset, limit });
export const exportAudit = (format: ExportFormat, path: string) => call<ExportReport>('export_audit', { format, path });
export const policies = () => call<Array<Policy>>('policies');
export const addPolicy = (policy: NewPolicy) => call<Policy>('add_policy', { policy });
export const removePolicy = (policyId: number) => call<Array<Policy>>('remove_policy', { policyId });
export const setPolicyEnabled = (policyId: number, enabled: boolean) => call<Policy>('set_policy_enabled', { policyId, enabled });
export const previewPolicyBacklog = (policyId: number) => call<BulkPreview>('preview_policy_backlog', { policyId });
export const testPolicy = (matches: PolicyMatch) => call<PolicyDryRun>('test_policy', { matches });
export const alerts = (includeAcknowledged: boolean, limit: number) => call<Array<Alert>>('alerts', { includeAcknowledged, limit });
export const acknowledgeAlerts = (alertIds: Array<number>) => call<GovernanceStatus>('acknowledge_alerts', { alertIds });
