// Generated from src-tauri/src/commands.rs by the shell's bindings test. Do not edit.

import { invoke, type Channel } from '@tauri-apps/api/core';
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

/** Every IPC command, by name, with its arguments' types. */
export const commands = {
  appStart: (events: Channel<CoreEvent>) => invoke<Snapshot>('app_start', { events }),
  selectDatacenter: (id: string) => invoke<Snapshot>('select_datacenter', { id }),
  setClientSecret: (datacenterId: string, secret: string) => invoke<Snapshot>('set_client_secret', { datacenterId, secret }),
  saveCustomSettings: (settings: CustomSettings) => invoke<Snapshot>('save_custom_settings', { settings }),
  connect: () => invoke<Snapshot>('connect'),
  cancelConnect: () => invoke<Snapshot>('cancel_connect'),
  submitRedirectUrl: (url: string) => invoke<Snapshot>('submit_redirect_url', { url }),
  runApiTest: () => invoke<Snapshot>('run_api_test'),
  disconnect: () => invoke<Snapshot>('disconnect'),
  moveDatabaseAside: () => invoke<Snapshot>('move_database_aside'),
  scanStatus: () => invoke<ScanStatus>('scan_status'),
  scanQueue: (limit: number) => invoke<Array<QueueEntry>>('scan_queue', { limit }),
  scanEvents: (since: string | null, kind: string | null, limit: number) => invoke<Array<EventRow>>('scan_events', { since, kind, limit }),
  eventDays: () => invoke<Array<EventDay>>('event_days'),
  scanThroughput: (minutes: number) => invoke<Array<ThroughputPoint>>('scan_throughput', { minutes }),
  fileDetail: (fileId: string) => invoke<FileDetail | null>('file_detail', { fileId }),
  pauseScan: () => invoke<ScanStatus>('pause_scan'),
  resumeScan: () => invoke<ScanStatus>('resume_scan'),
  findings: (filter: FindingsFilter, limit: number, offset: number) => invoke<FindingsPage>('findings', { filter, limit, offset }),
  findingsSummary: () => invoke<FindingsSummary>('findings_summary'),
  findingDetail: (findingId: number) => invoke<FindingDetail | null>('finding_detail', { findingId }),
  openFileInBox: (fileId: string) => invoke<string>('open_file_in_box', { fileId }),
  exportFindings: (filter: FindingsFilter, format: ExportFormat, path: string) => invoke<ExportReport>('export_findings', { filter, format, path }),
  governanceStatus: () => invoke<GovernanceStatus>('governance_status'),
  enableGovernance: () => invoke<GovernanceStatus>('enable_governance'),
  disableGovernance: () => invoke<GovernanceStatus>('disable_governance'),
  previewAction: (request: ActionRequest) => invoke<ActionPreview>('preview_action', { request }),
  performAction: (previewId: string) => invoke<AuditEntry>('perform_action', { previewId }),
  previewBulk: (filter: FindingsFilter, kind: ActionKind) => invoke<BulkPreview>('preview_bulk', { filter, kind }),
  performBulk: (previewId: string) => invoke<BulkProgress>('perform_bulk', { previewId }),
  bulkProgress: (batchId: number) => invoke<BulkProgress | null>('bulk_progress', { batchId }),
  audit: (filter: AuditFilter, offset: number, limit: number) => invoke<AuditPage>('audit', { filter, offset, limit }),
  exportAudit: (format: ExportFormat, path: string) => invoke<ExportReport>('export_audit', { format, path }),
  policies: () => invoke<Array<Policy>>('policies'),
  addPolicy: (policy: NewPolicy) => invoke<Policy>('add_policy', { policy }),
  removePolicy: (policyId: number) => invoke<Array<Policy>>('remove_policy', { policyId }),
  setPolicyEnabled: (policyId: number, enabled: boolean) => invoke<Policy>('set_policy_enabled', { policyId, enabled }),
  previewPolicyBacklog: (policyId: number) => invoke<BulkPreview>('preview_policy_backlog', { policyId }),
  testPolicy: (matches: PolicyMatch) => invoke<PolicyDryRun>('test_policy', { matches }),
  alerts: (includeAcknowledged: boolean, limit: number) => invoke<Array<Alert>>('alerts', { includeAcknowledged, limit }),
  acknowledgeAlerts: (alertIds: Array<number>) => invoke<GovernanceStatus>('acknowledge_alerts', { alertIds }),
};
