import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import type { Alert } from './lib/bindings/Alert';
import { actionPreview, auditEntry, bulkProgress, connected, findingRow, governanceStatus } from './test/fixtures';
import { mockShell } from './test/ipc-mock';

type Calls = { cmd: string; args: Record<string, unknown> }[];
const lastCall = (calls: Calls, cmd: string) => calls.filter((c) => c.cmd === cmd).at(-1);
const sent = (calls: Calls) => calls.filter((c) => c.cmd === 'perform_action' || c.cmd === 'perform_bulk');

async function openFirstFinding() {
  render(App);
  await userEvent.click(await screen.findByRole('tab', { name: /^Findings/ }));
  const list = await screen.findByTestId('findings-list');
  await userEvent.click(within(list).getAllByRole('row')[1]);
  return screen.findByTestId('finding-actions');
}

function alert(id: number, acknowledged = false, note: string | null = null): Alert {
  return {
    alert_id: id,
    policy_id: 1,
    policy_name: 'Public links on card files',
    finding: findingRow({ finding_id: id }),
    raised_at: new Date().toISOString(),
    audit_id: null,
    acknowledged,
    note,
  };
}

describe('acting on one finding', () => {
  it('previews, sends nothing until Confirm, then shows the audit entry', async () => {
    const mock = mockShell(connected(), {
      preview_action: () => actionPreview(),
      perform_action: () => auditEntry(),
    });
    const actions = await openFirstFinding();
    await userEvent.click(within(actions).getByRole('button', { name: 'Remove link' }));
    const dialog = await screen.findByTestId('action-dialog');
    expect(lastCall(mock.calls, 'preview_action')?.args.request).toMatchObject({ kind: 'remove_link', item_type: 'file', item_id: '1001' });
    await waitFor(() => expect(within(dialog).getByTestId('preview-path')).toHaveTextContent('All Files/Finance/Budget.xlsx'));
    expect(within(dialog).getByTestId('preview-acting-as')).toHaveTextContent('ann@sandbox.example');
    const change = within(dialog).getByTestId('preview-changes');
    expect(change).toHaveTextContent('Remove the open link (can download) of Budget.xlsx');
    expect(within(change).getByTestId('change-before')).toHaveTextContent('open link (can download)');
    expect(within(change).getByTestId('change-after')).toHaveTextContent('none');
    expect(sent(mock.calls)).toEqual([]);

    // Confirm has the focus: Enter confirms.
    const confirm = within(dialog).getByTestId('action-confirm');
    await waitFor(() => expect(document.activeElement).toBe(confirm));
    await userEvent.keyboard('{Enter}');
    expect(lastCall(mock.calls, 'perform_action')?.args).toEqual({ previewId: 'pv-1' });
    const result = await within(dialog).findByTestId('action-result');
    expect(result).toHaveAttribute('data-state', 'done');
    expect(result).toHaveTextContent('Recorded in the audit log (entry 1)');
    expect(sent(mock.calls)).toHaveLength(1);
  });

  it('a refused preview disables Confirm and says why; Esc closes without sending', async () => {
    const mock = mockShell(connected(), {
      preview_action: () =>
        actionPreview({
          changes: [],
          refused: { code: 'box_api', message: 'The file is owned by another admin.', hint: 'Ask that admin, or connect as the primary admin.' },
        }),
    });
    const actions = await openFirstFinding();
    await userEvent.click(within(actions).getByRole('button', { name: 'Quarantine file' }));
    const dialog = await screen.findByTestId('action-dialog');
    const refused = await within(dialog).findByTestId('preview-refused');
    expect(refused).toHaveTextContent('The file is owned by another admin.');
    expect(refused).toHaveTextContent('Ask that admin');
    expect(refused).toHaveAttribute('data-error-code', 'box_api');
    expect(within(dialog).getByTestId('action-confirm')).toBeDisabled();
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('action-dialog')).toBeNull());
    expect(sent(mock.calls)).toEqual([]);
    // The finding's details stay open behind it.
    expect(screen.getByTestId('finding-detail')).toBeTruthy();
  });

  it('keeps the focus inside the dialog', async () => {
    mockShell(connected(), { preview_action: () => actionPreview() });
    const actions = await openFirstFinding();
    await userEvent.click(within(actions).getByRole('button', { name: 'Remove link' }));
    const dialog = await screen.findByTestId('action-dialog');
    await waitFor(() => expect(document.activeElement).toBe(within(dialog).getByTestId('action-confirm')));
    for (let i = 0; i < 4; i++) {
      await userEvent.tab();
      expect(dialog.contains(document.activeElement)).toBe(true);
    }
    await userEvent.tab({ shift: true });
    expect(dialog.contains(document.activeElement)).toBe(true);
  });

  it('restricts a link with the chosen options, and shows a failure with its hint', async () => {
    const mock = mockShell(connected(), {
      preview_action: () => actionPreview({ preview_id: 'pv-2' }),
      perform_action: () => {
        throw { code: 'box_api', message: 'Box refused: 403 access_denied_insufficient_permissions.', hint: 'The owner can no longer share this file.' };
      },
    });
    const actions = await openFirstFinding();
    await userEvent.click(within(actions).getByRole('button', { name: 'Restrict link…' }));
    const form = await screen.findByTestId('restrict-form');
    // Nothing chosen: nothing to preview.
    await userEvent.click(within(form).getByTestId('restrict-preview'));
    expect(within(form).getByTestId('restrict-error')).toHaveTextContent('Choose at least one restriction.');
    expect(lastCall(mock.calls, 'preview_action')).toBeUndefined();
    // Only narrower access is offered.
    const access = within(form).getByTestId('restrict-access') as HTMLSelectElement;
    expect([...access.options].map((o) => o.value)).toEqual(['', 'company', 'collaborators']);
    await userEvent.selectOptions(access, 'collaborators');
    await userEvent.click(within(form).getByTestId('restrict-download'));
    await userEvent.click(within(form).getByTestId('restrict-preview'));
    expect(lastCall(mock.calls, 'preview_action')?.args.request).toMatchObject({
      kind: 'restrict_link',
      item_id: '1001',
      access: 'collaborators',
      disable_download: true,
      expires_at: null,
    });
    const dialog = screen.getByTestId('action-dialog');
    await userEvent.click(await within(dialog).findByTestId('action-confirm'));
    const error = await within(dialog).findByTestId('action-error');
    expect(error).toHaveTextContent('403 access_denied_insufficient_permissions');
    expect(error).toHaveTextContent('The owner can no longer share this file.');
  });

  it('disables the actions while governance is off, saying why', async () => {
    const mock = mockShell(connected(), { governance_status: () => governanceStatus({ enabled: false, can_write: false, scopes: ['root_readonly'] }) });
    const actions = await openFirstFinding();
    await waitFor(() => expect(within(actions).getByTestId('actions-blocked')).toHaveTextContent('Governance is off'));
    for (const b of within(actions).getAllByRole('button')) expect(b).toBeDisabled();
    expect(screen.getByTestId('bulk-open')).toBeDisabled();
    expect(lastCall(mock.calls, 'preview_action')).toBeUndefined();
  });
});

describe('bulk actions', () => {
  it('previews every item of the filter, confirms, and follows pushed progress to the batch audit', async () => {
    // A bulk preview's items share no preview id of their own (core leaves it empty).
    const items = [
      actionPreview({ preview_id: '' }),
      actionPreview({ preview_id: '', item: { ...actionPreview().item, item_id: '1002', path: 'All Files/Plan.docx' } }),
    ];
    const mock = mockShell(connected(), {
      preview_bulk: () => ({ preview_id: 'bulk-1', filter: {}, kind: 'remove_link', items, will_change: 2, refused: 0 }),
      perform_bulk: () => bulkProgress({ total: 2 }),
      audit: (args) => ({ rows: [auditEntry({ batch_id: (args.filter as { batch_id: number | null }).batch_id })], total: 1 }),
    });
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Findings/ }));
    await screen.findByTestId('findings-list');
    await userEvent.selectOptions(screen.getByTestId('filter-kind'), 'public_link');
    await userEvent.selectOptions(screen.getByTestId('filter-also-holds'), 'credit_card');
    await waitFor(() => expect(lastCall(mock.calls, 'findings')?.args.filter).toMatchObject({ kind: 'public_link', file_has_detector: 'credit_card' }));
    await userEvent.click(screen.getByTestId('bulk-open'));
    const dialog = await screen.findByTestId('bulk-dialog');
    expect(within(dialog).getByTestId('bulk-filter')).toHaveTextContent('Public link · on files also holding Payment card');
    await userEvent.click(within(dialog).getByTestId('bulk-kind-remove_link'));
    await userEvent.click(within(dialog).getByTestId('bulk-preview'));
    expect(lastCall(mock.calls, 'preview_bulk')?.args).toMatchObject({ filter: { kind: 'public_link', file_has_detector: 'credit_card' }, kind: 'remove_link' });
    const listed = await within(dialog).findByTestId('bulk-items');
    expect(listed.querySelectorAll('li[data-item]')).toHaveLength(2);
    expect(within(dialog).getByTestId('bulk-will-change')).toHaveTextContent('2');
    expect(sent(mock.calls)).toEqual([]);

    await userEvent.click(within(dialog).getByTestId('bulk-confirm'));
    expect(lastCall(mock.calls, 'perform_bulk')?.args).toEqual({ previewId: 'bulk-1' });
    await within(dialog).findByTestId('bulk-progress');
    mock.push({ type: 'action_progress', progress: bulkProgress({ total: 2, done: 1, eta_seconds: 5 }) });
    await waitFor(() => expect(within(dialog).getByTestId('bulk-progress-text')).toHaveTextContent('1 of 2: 1 done, 0 unchanged, 0 failed, 0 refused'));
    expect(within(dialog).getByTestId('bulk-eta')).toHaveTextContent('5 s');
    expect(within(dialog).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '1');
    mock.push({ type: 'action_progress', progress: bulkProgress({ total: 2, done: 1, failed: 1, finished_at: new Date().toISOString() }) });
    await userEvent.click(await within(dialog).findByTestId('bulk-audit-link'));
    expect(await screen.findByTestId('audit-view')).toBeTruthy();
    expect(screen.getByTestId('audit-batch')).toHaveTextContent('Batch 7');
    await waitFor(() => expect(lastCall(mock.calls, 'audit')?.args.filter).toEqual({ batch_id: 7, item_id: null, state: null }));
  });
});

describe('audit view', () => {
  it('lists the entries, filters by state, opens one with its changes and JSON, and exports', async () => {
    const mock = mockShell(connected(), {
      audit: () => ({ rows: [auditEntry(), auditEntry({ audit_id: 2, state: 'failed', kind: 'quarantine', box_answer: [] })], total: 2 }),
      'plugin:dialog|save': () => '/home/ada/audit.json',
      export_audit: (args) => ({ path: args.path, rows: 2, format: args.format }),
    });
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Audit/ }));
    const table = await screen.findByTestId('audit-table');
    const rows = within(table).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('Remove link');
    expect(rows[0]).toHaveTextContent('All Files/Finance/Budget.xlsx');
    expect(rows[0]).toHaveTextContent('ann@sandbox.example');
    expect(rows[0]).toHaveTextContent('Done');
    expect(rows[0]).toHaveTextContent('PUT /2.0/files/1001 → 200');
    expect(rows[1]).toHaveAttribute('data-state', 'failed');

    await userEvent.selectOptions(screen.getByTestId('audit-filter-state'), 'failed');
    await waitFor(() => expect(lastCall(mock.calls, 'audit')?.args).toEqual({ filter: { batch_id: null, item_id: null, state: 'failed' }, offset: 0, limit: 50 }));

    rows[0].focus();
    await userEvent.keyboard('{Enter}');
    const detail = await screen.findByTestId('audit-detail');
    expect(within(detail).getByTestId('audit-changes')).toHaveTextContent('Remove the open link');
    expect(within(detail).getByTestId('audit-before').textContent).toBe(JSON.stringify({ shared_link: { access: 'open' } }, null, 2));
    expect(within(detail).getByTestId('audit-after').textContent).toContain('"shared_link": null');

    await userEvent.click(screen.getByTestId('audit-export-json'));
    expect(await screen.findByTestId('audit-export-result')).toHaveTextContent('2 entries written to /home/ada/audit.json');
    const saved = lastCall(mock.calls, 'plugin:dialog|save')?.args.options as { defaultPath: string; title: string };
    expect(saved.defaultPath).toMatch(/^box-audit-\d{4}-\d{2}-\d{2}\.json$/);
    expect(saved.title).toBe('Export the audit log');
    expect(lastCall(mock.calls, 'export_audit')?.args).toEqual({ format: 'json', path: '/home/ada/audit.json' });
  });
});

describe('restore', () => {
  it('offers a done quarantine its restore, previewed first', async () => {
    const mock = mockShell(connected(), {
      audit: () => ({ rows: [auditEntry({ kind: 'quarantine' })], total: 1 }),
      preview_action: (args) => actionPreview({ request: args.request as ReturnType<typeof actionPreview>['request'] }),
    });
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Audit/ }));
    const table = await screen.findByTestId('audit-table');
    await userEvent.click(within(table).getAllByRole('row')[1]);
    await userEvent.click(await screen.findByTestId('audit-restore'));
    expect(lastCall(mock.calls, 'preview_action')?.args.request).toMatchObject({ kind: 'restore', item_type: 'file', item_id: '1001' });
    const dialog = await screen.findByTestId('action-dialog');
    expect(within(dialog).getByRole('heading', { name: 'Restore from quarantine' })).toBeTruthy();
    await within(dialog).findByTestId('preview-changes');
    expect(sent(mock.calls)).toEqual([]);
  });
});

describe('policies and alerts', () => {
  it('dry-runs a new policy before saving it, toggles and removes it', async () => {
    const policy = {
      policy_id: 4,
      name: 'Public links on card files',
      enabled: true,
      matches: { kinds: ['public_link'], detectors: [], min_confidence: null, min_severity: null, file_has_detector: 'credit_card', owner_login: null, path_prefix: null },
      action: 'remove_link',
      auto_act: true,
      created_at: new Date().toISOString(),
    };
    const mock = mockShell(connected(), {
      test_policy: () => ({ matched: 12, sample: [findingRow()] }),
      add_policy: () => policy,
      set_policy_enabled: (args) => ({ ...policy, enabled: args.enabled }),
      remove_policy: () => [],
    });
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Audit/ }));
    await userEvent.click(await screen.findByTestId('audit-section-policies'));
    await userEvent.click(await screen.findByTestId('policy-add'));
    const form = screen.getByTestId('policy-form');
    await userEvent.type(within(form).getByTestId('policy-name'), 'Public links on card files');
    await userEvent.click(within(form).getByTestId('policy-kind-public_link'));
    await userEvent.selectOptions(within(form).getByTestId('policy-also-holds'), 'credit_card');
    expect(within(form).getByTestId('policy-auto-act')).toBeDisabled();
    await userEvent.selectOptions(within(form).getByTestId('policy-action'), 'remove_link');
    await userEvent.click(within(form).getByTestId('policy-auto-act'));
    expect(within(form).getByTestId('policy-auto-warning')).toHaveTextContent('without asking');

    await userEvent.click(within(form).getByTestId('policy-dry-run-button'));
    expect(lastCall(mock.calls, 'test_policy')?.args.matches).toMatchObject({ kinds: ['public_link'], file_has_detector: 'credit_card' });
    expect(await within(form).findByTestId('policy-dry-run')).toHaveTextContent('Today it matches 12 findings.');
    expect(lastCall(mock.calls, 'add_policy')).toBeUndefined();

    await userEvent.click(within(form).getByTestId('policy-save'));
    expect(lastCall(mock.calls, 'add_policy')?.args.policy).toMatchObject({ name: 'Public links on card files', action: 'remove_link', auto_act: true });
    const table = await screen.findByTestId('policy-table');
    expect(table).toHaveTextContent('Public link · files also holding Payment card');
    expect(table).toHaveTextContent('Acts: Remove link');
    await userEvent.click(within(table).getByTestId('policy-enabled'));
    expect(lastCall(mock.calls, 'set_policy_enabled')?.args).toEqual({ policyId: 4, enabled: false });
    await waitFor(() => expect(within(table).getByTestId('policy-enabled')).not.toBeChecked());
    await userEvent.click(within(table).getByTestId('policy-remove'));
    expect(await screen.findByTestId('policies-empty')).toBeTruthy();
  });

  it("offers an acting policy's existing matches as a bulk preview, sent only on confirm", async () => {
    const policy = {
      policy_id: 5,
      name: 'Card links, fixed',
      enabled: true,
      matches: { kinds: ['public_link'], detectors: [], min_confidence: null, min_severity: null, file_has_detector: 'credit_card', owner_login: null, path_prefix: null },
      action: 'remove_link',
      auto_act: true,
      created_at: new Date().toISOString(),
      daily_cap: 100,
    };
    const items = [actionPreview({ preview_id: '' })];
    const mock = mockShell(connected(), {
      policies: () => [policy],
      preview_policy_backlog: () => ({ preview_id: 'backlog-1', filter: {}, kind: 'remove_link', items, will_change: 1, refused: 0 }),
      perform_bulk: () => bulkProgress({ total: 1 }),
    });
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Audit/ }));
    await userEvent.click(await screen.findByTestId('audit-section-policies'));
    await userEvent.click(await screen.findByTestId('policy-backlog'));
    expect(lastCall(mock.calls, 'preview_policy_backlog')?.args).toEqual({ policyId: 5 });
    const dialog = await screen.findByTestId('bulk-dialog');
    expect(await within(dialog).findByTestId('bulk-will-change')).toHaveTextContent('1');
    expect(sent(mock.calls)).toEqual([]);
    await userEvent.click(within(dialog).getByTestId('bulk-confirm'));
    expect(lastCall(mock.calls, 'perform_bulk')?.args).toEqual({ previewId: 'backlog-1' });
  });

  it('counts open alerts in the nav, lists them unacknowledged first and acknowledges', async () => {
    let open = 1;
    const mock = mockShell(connected(), {
      governance_status: () => governanceStatus({ open_alerts: open }),
      alerts: () => [alert(1, true), alert(2, false, 'Not acted on: the daily cap was reached.')],
      acknowledge_alerts: () => {
        open = 0;
        return governanceStatus({ open_alerts: 0 });
      },
    });
    render(App);
    expect(await screen.findByTestId('tab-badge-audit')).toHaveTextContent('1');
    // Pushed alerts count at once.
    mock.push({ type: 'alerts_raised', alerts: [alert(3), alert(4)] });
    await waitFor(() => expect(screen.getByTestId('tab-badge-audit')).toHaveTextContent('3'));
    open = 3;
    await userEvent.click(screen.getByRole('tab', { name: /^Audit/ }));
    await userEvent.click(await screen.findByTestId('audit-section-alerts'));
    const list = await screen.findByTestId('alert-list');
    const items = [...list.querySelectorAll('li')];
    expect(items.map((li) => li.dataset.alert)).toEqual(['2', '1']);
    // Why an acting policy did not act is said on the alert.
    expect(within(items[0]).getByTestId('alert-note').textContent).toContain('daily cap');
    expect(within(items[1]).queryByTestId('alert-note')).toBeNull();
    await userEvent.click(within(items[0]).getByTestId('alert-ack'));
    expect(lastCall(mock.calls, 'acknowledge_alerts')?.args).toEqual({ alertIds: [2] });
    await waitFor(() => expect(screen.queryByTestId('tab-badge-audit')).toBeNull());
  });
});

describe('governance switch', () => {
  it('shows the scopes, explains the extra sign-in and turns governance on and off', async () => {
    let status = governanceStatus({ enabled: false, can_write: false, scopes: ['root_readonly', 'manage_managed_users', 'manage_enterprise_properties'] });
    const mock = mockShell(connected(), {
      governance_status: () => status,
      enable_governance: () => (status = governanceStatus()),
      disable_governance: () => (status = governanceStatus({ enabled: false, can_write: true })),
    });
    render(App);
    const panel = await screen.findByTestId('governance');
    await waitFor(() => expect(within(panel).getByTestId('governance-scopes')).toHaveTextContent('root_readonly manage_managed_users'));
    expect(within(panel).getByTestId('governance-why')).toHaveTextContent('Box will ask you once more to allow Box Connector to change items');
    expect(within(panel).getByTestId('governance-why')).toHaveTextContent('root_readwrite');
    await userEvent.click(within(panel).getByTestId('governance-enable'));
    expect(lastCall(mock.calls, 'enable_governance')).toBeTruthy();
    await waitFor(() => expect(panel).toHaveAttribute('data-enabled', 'true'));
    expect(within(panel).getByTestId('governance-state')).toHaveTextContent('On: may change items');
    await userEvent.click(within(panel).getByTestId('governance-disable'));
    await waitFor(() => expect(panel).toHaveAttribute('data-enabled', 'false'));
  });
});
