// Snapshots shaped exactly like core's (the generated types check that).
import type { ActionPreview } from '../lib/bindings/ActionPreview';
import type { AuditEntry } from '../lib/bindings/AuditEntry';
import type { BulkProgress } from '../lib/bindings/BulkProgress';
import type { GovernanceStatus } from '../lib/bindings/GovernanceStatus';
import type { ApiTestReport } from '../lib/bindings/ApiTestReport';
import type { DataCenterView } from '../lib/bindings/DataCenterView';
import type { EventDay } from '../lib/bindings/EventDay';
import type { EventRow } from '../lib/bindings/EventRow';
import type { EventsProgress } from '../lib/bindings/EventsProgress';
import type { FileDetail } from '../lib/bindings/FileDetail';
import type { FindingDetail } from '../lib/bindings/FindingDetail';
import type { FindingRow } from '../lib/bindings/FindingRow';
import type { FindingsPage } from '../lib/bindings/FindingsPage';
import type { FindingsSummary } from '../lib/bindings/FindingsSummary';
import type { InspectionProgress } from '../lib/bindings/InspectionProgress';
import type { QueueEntry } from '../lib/bindings/QueueEntry';
import type { ScanProgress } from '../lib/bindings/ScanProgress';
import type { ScanStatus } from '../lib/bindings/ScanStatus';
import type { Snapshot } from '../lib/bindings/Snapshot';
import type { ThroughputPoint } from '../lib/bindings/ThroughputPoint';

const box = (id: string, label: string, key: string): DataCenterView => ({
  id,
  label,
  description: `Box connector for the ${label} data center`,
  api_key: key,
  endpoints: 'box',
  pkce: false,
  has_client_secret: false,
  custom: null,
});

export const KEYS = {
  us1: 'nduj1o3yavu30dii7e03c3n7p49cj2qh',
  eu1: 'me9cm6n7kr4mfz135yt0ab9f5k4ze8qp',
};

export function snapshot(overrides: Partial<Snapshot> = {}): Snapshot {
  return {
    datacenters: [
      box('us1', 'US1', KEYS.us1),
      box('us2', 'US2', 'w0ouf1apiii9z8o0r6kpr4nu1pvyec75'),
      box('us3', 'US3', 'dmcyvu1s9284i2u6gw9r2kb0hhve4a0r'),
      box('eu1', 'EU1', KEYS.eu1),
      box('eu2', 'EU2', 'uwdy5r40t7jprdlzo85v8suw1l4cdsbf'),
      box('legacy', 'Legacy console', 'bwahmilhdlpbqy2ongkl119o3lrkoshc'),
      {
        id: 'sandbox',
        label: 'Sandbox',
        description: 'Emulated Box enterprise',
        api_key: 'sandbox-client',
        endpoints: 'sandbox',
        pkce: true,
        has_client_secret: true,
        custom: null,
      },
      {
        id: 'custom',
        label: 'Custom',
        description: 'Your own Box app',
        api_key: null,
        endpoints: 'custom',
        pkce: false,
        has_client_secret: false,
        custom: null,
      },
    ],
    selected_datacenter: 'sandbox',
    allowlist_steps: ['Open Admin Console → Apps → Custom Apps → Settings.', 'Add the API key under "Except for".', 'Click Save.'],
    connection: { state: 'not_connected', datacenter_id: null, account: null, what_to_do: 'Pick a data center and click Connect.', error: null },
    sign_in: null,
    health: {
      state: 'not_connected',
      what_to_do: 'Pick a data center and click Connect.',
      warnings: [],
      datacenter_id: null,
      account_login: null,
      account_name: null,
      role: null,
      enterprise_id: null,
      enterprise_name: null,
      access_token_expires_at: null,
      access_token_expires_in_secs: null,
      refresh_token_age_days: null,
      last_success_at: null,
      last_hour: { calls: 0, errors: 0, rate_limited: 0, error_rate: 0, rate_limited_rate: 0, median_latency_ms: null, p95_latency_ms: null },
      last_api_test: null,
    },
    last_api_test: null,
    database: { state: 'ok', path: '/data/box-connector.db', error: null },
    ...overrides,
  };
}

export function connected(base = snapshot()): Snapshot {
  return {
    ...base,
    connection: {
      state: 'connected',
      datacenter_id: 'sandbox',
      account: {
        user_id: '11',
        name: 'Ada Admin',
        login: 'admin@sandbox.example',
        role: 'admin',
        enterprise_id: '900',
        enterprise_name: 'Sandbox Corp',
      },
      what_to_do: 'Nothing to do.',
      error: null,
    },
    health: {
      ...base.health!,
      state: 'connected',
      what_to_do: 'Nothing to do.',
      last_hour: { calls: 10, errors: 1, rate_limited: 0, error_rate: 0.1, rate_limited_rate: 0, median_latency_ms: 42, p95_latency_ms: 90 },
    },
  };
}

export function report(statuses: ApiTestReport['checks'][number]['status'][], finished: boolean): ApiTestReport {
  const ids = ['token_valid', 'role', 'enterprise_events', 'users_listable', 'act_as_user'] as const;
  return {
    datacenter_id: 'sandbox',
    started_at: new Date().toISOString(),
    finished_at: finished ? new Date().toISOString() : null,
    outcome: finished ? (statuses.includes('fail') ? 'fail' : statuses.includes('warn') ? 'warn' : 'pass') : 'running',
    checks: ids.map((id, i) => ({
      id,
      label: `Check ${id}`,
      status: statuses[i] ?? 'pending',
      detail: null,
      box_error: statuses[i] === 'fail' ? 'insufficient_scope' : null,
      fix: statuses[i] === 'warn' || statuses[i] === 'fail' ? `Fix for ${id}` : null,
    })),
  };
}

// The scan's view types, shaped like core's.
const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString();

export function scanStatus(scan: Partial<ScanProgress> = {}, events: Partial<EventsProgress> = {}): ScanStatus {
  return {
    connection_id: 'sandbox:enterprise:900',
    scan: {
      state: 'running',
      users_total: 100,
      users_done: 40,
      users_skipped: 0,
      folders_total: 2000,
      folders_done: 500,
      files_discovered: 12_000,
      files_scanned: 3_000,
      files_queued: 9_000,
      files_failed: 0,
      files_per_minute: 1_200,
      eta_seconds: 450,
      started_at: minutesAgo(10),
      full_scan_completed_at: null,
      skipped_note: null,
      last_error: null,
      ...scan,
    },
    events: {
      ingested: 180_000,
      backfill_from: minutesAgo(60 * 24 * 60),
      backfill_to: minutesAgo(10),
      backfill_done_ratio: 0.5,
      backfill_completed_at: null,
      last_event_at: minutesAgo(1),
      last_polled_at: minutesAgo(0.5),
      lag_seconds: 30,
      ...events,
    },
    inspection: inspection(),
  };
}

export function queueEntry(overrides: Partial<QueueEntry> = {}): QueueEntry {
  return {
    file_id: '1001',
    item_type: 'file',
    name: 'Budget.xlsx',
    path: '/All Files/Finance',
    owner_login: 'ann@sandbox.example',
    priority: 50,
    reason: 'full_scan',
    reason_detail: null,
    state: 'queued',
    attempts: 0,
    last_error: null,
    enqueued_at: minutesAgo(5),
    ...overrides,
  };
}

export function eventRow(overrides: Partial<EventRow> = {}): EventRow {
  return {
    event_id: 'ev-1',
    event_type: 'EDIT',
    kind: 'modify',
    created_at: minutesAgo(2),
    item_type: 'file',
    item_id: '1001',
    item_name: 'Budget.xlsx',
    actor_login: 'ann@sandbox.example',
    ...overrides,
  };
}

export function eventDays(n = 60): EventDay[] {
  return Array.from({ length: n }, (_, i) => {
    const day = new Date(Date.UTC(2026, 9, 2) + i * 86_400_000).toISOString().slice(0, 10);
    return { day, modify: 10, share: 2, read: 30, delete: 1, other: 5 };
  });
}

export function throughput(minutes = 5): ThroughputPoint[] {
  return Array.from({ length: minutes }, (_, i) => ({
    minute: new Date(Math.floor(Date.now() / 60_000 - minutes + i) * 60_000).toISOString(),
    files_scanned: 1000 + i,
    folders_listed: 20,
  }));
}

export function fileDetail(overrides: Partial<FileDetail> = {}): FileDetail {
  return {
    file_id: '1001',
    name: 'Budget.xlsx',
    path: '/All Files/Finance',
    owner_login: 'ann@sandbox.example',
    size: 2048,
    sha1: 'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    etag: '3',
    scanned_etag: '2',
    discovered_at: minutesAgo(30),
    last_scanned_at: minutesAgo(20),
    removed_at: null,
    shared_link: { access: 'open' },
    collaborations: [
      { collaboration_id: 'c1', grantee_type: 'user', login: 'bob@partner.example', name: 'Bob', role: 'editor', status: 'accepted' },
    ],
    queued: queueEntry({ reason: 'event', reason_detail: 'EDIT', priority: 0 }),
    history: [
      { at: minutesAgo(30), what: 'discovered', detail: 'full scan', event_id: null },
      { at: minutesAgo(20), what: 'scanned', detail: 'full_scan', event_id: null },
      { at: minutesAgo(3), what: 'event', detail: 'EDIT', event_id: 'ev-1' },
    ],
    ...overrides,
  };
}

// The findings' view types, shaped like core's.
export function inspection(overrides: Partial<InspectionProgress> = {}): InspectionProgress {
  return {
    files_inspected: 2_400,
    files_not_inspected: 100,
    files_pending: 500,
    cache_hits: 300,
    downloads: 2_100,
    bytes_downloaded: 1_536_000_000,
    files_per_minute: 250,
    bytes_per_second: 3_400_000,
    eta_seconds: 120,
    not_inspected_by_reason: [
      { name: 'unknown_type', count: 70 },
      { name: 'too_large', count: 20 },
      { name: 'encrypted', count: 10 },
    ],
    ...overrides,
  };
}

export function findingRow(overrides: Partial<FindingRow> = {}): FindingRow {
  return {
    finding_id: 1,
    file_id: '1001',
    path: '/All Files/Finance/Budget.xlsx',
    owner_login: 'ann@sandbox.example',
    kind: 'public_link',
    detector: null,
    severity: 'critical',
    confidence: null,
    count: 1,
    masked_sample: null,
    reached_via: 'its own open link (can download, can edit)',
    since: minutesAgo(600),
    opened_at: minutesAgo(20),
    last_seen_at: minutesAgo(2),
    closed_at: null,
    ...overrides,
  };
}

export function findingsSummary(overrides: Partial<FindingsSummary> = {}): FindingsSummary {
  return {
    open_total: 5,
    by_kind_severity: [
      { kind: 'public_link', severity: 'critical', count: 1 },
      { kind: 'public_link', severity: 'high', count: 1 },
      { kind: 'external_collaborator', severity: 'high', count: 2 },
      { kind: 'sensitive_content', severity: 'medium', count: 1 },
    ],
    by_detector: [{ name: 'credit_card', count: 1 }],
    top_owners: [
      { name: 'ann@sandbox.example', count: 3 },
      { name: 'bob@sandbox.example', count: 2 },
    ],
    inspection: inspection(),
    ...overrides,
  };
}

export function findingsPage(rows: FindingRow[] = defaultFindings()): FindingsPage {
  return { rows, total: rows.length };
}

export function defaultFindings(): FindingRow[] {
  return [
    findingRow(),
    findingRow({
      finding_id: 2,
      kind: 'sensitive_content',
      detector: 'credit_card',
      severity: 'medium',
      confidence: 'low',
      count: 3,
      masked_sample: '************1111',
      reached_via: 'Payment card: 3 in the file’s content (0 with a keyword nearby)',
    }),
    findingRow({
      finding_id: 3,
      file_id: '1002',
      path: '/All Files/Shared/Plan.docx',
      owner_login: 'bob@sandbox.example',
      kind: 'external_collaborator',
      severity: 'high',
      reached_via: 'external collaborator eve@partner.example (editor) on folder /All Files/Shared',
    }),
  ];
}

export function findingDetail(overrides: Partial<FindingDetail> = {}): FindingDetail {
  return {
    finding: findingRow(),
    via_item_type: 'file',
    via_item_id: '1001',
    details: { access: 'open', can_download: true, can_edit: true, password: false, unshared_at: null },
    history: [
      { at: minutesAgo(20), change: 'opened', scan_id: 7, detail: null },
      { at: minutesAgo(2), change: 'seen', scan_id: 9, detail: null },
    ],
    web_url: 'http://127.0.0.1:4000/file/1001',
    same_file: [defaultFindings()[1]],
    ...overrides,
  };
}

// Governance.

export function governanceStatus(overrides: Partial<GovernanceStatus> = {}): GovernanceStatus {
  return {
    enabled: true,
    scopes: ['root_readwrite', 'manage_managed_users', 'manage_enterprise_properties'],
    can_write: true,
    open_alerts: 0,
    interrupted: 0,
    ...overrides,
  };
}

export function actionPreview(overrides: Partial<ActionPreview> = {}): ActionPreview {
  return {
    preview_id: 'pv-1',
    request: {
      kind: 'remove_link',
      item_type: 'file',
      item_id: '1001',
      access: null,
      disable_download: false,
      expires_at: null,
      collaboration_id: null,
    },
    item: {
      item_type: 'file',
      item_id: '1001',
      name: 'Budget.xlsx',
      path: 'All Files/Finance/Budget.xlsx',
      owner_id: '21',
      owner_login: 'ann@sandbox.example',
    },
    acting_as: 'ann@sandbox.example',
    changes: [
      {
        description: 'Remove the open link (can download) of Budget.xlsx',
        target: 'shared_link',
        before: { access: 'open', can_download: true, can_edit: false, unshared_at: null, password: false },
        after: null,
      },
    ],
    refused: null,
    warnings: [],
    ...overrides,
  };
}

export function auditEntry(overrides: Partial<AuditEntry> = {}): AuditEntry {
  const p = actionPreview();
  return {
    audit_id: 1,
    batch_id: null,
    policy_id: null,
    actor: 'admin (admin@sandbox.example)',
    requested_at: minutesAgo(1),
    finished_at: minutesAgo(1),
    kind: 'remove_link',
    item: p.item,
    acting_as: p.acting_as,
    state: 'done',
    changes: p.changes,
    before: { shared_link: { access: 'open' } },
    after: { shared_link: null },
    box_answer: ['PUT /2.0/files/1001 → 200 (request abc123)'],
    error: null,
    recovered: false,
    ...overrides,
  };
}

export function bulkProgress(overrides: Partial<BulkProgress> = {}): BulkProgress {
  return {
    batch_id: 7,
    kind: 'remove_link',
    total: 10,
    done: 0,
    unchanged: 0,
    failed: 0,
    refused: 0,
    started_at: minutesAgo(1),
    finished_at: null,
    eta_seconds: null,
    ...overrides,
  };
}
