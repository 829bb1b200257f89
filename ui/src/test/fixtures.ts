// Snapshots shaped exactly like core's (the generated types check that).
import type { ApiTestReport } from '../lib/bindings/ApiTestReport';
import type { DataCenterView } from '../lib/bindings/DataCenterView';
import type { Snapshot } from '../lib/bindings/Snapshot';

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
