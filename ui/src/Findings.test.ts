import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import { connected, findingDetail, findingsPage, findingsSummary, inspection, scanStatus } from './test/fixtures';
import { mockShell } from './test/ipc-mock';

async function openFindings() {
  render(App);
  await userEvent.click(await screen.findByRole('tab', { name: /^Findings/ }));
  return screen.findByTestId('findings-list');
}

const lastCall = (calls: { cmd: string; args: Record<string, unknown> }[], cmd: string) =>
  calls.filter((c) => c.cmd === cmd).at(-1);

describe('findings view', () => {
  it('shows the chart, the counts by severity and a page of findings', async () => {
    mockShell(connected());
    const list = await openFindings();
    const chart = screen.getByTestId('findings-chart');
    expect(chart).toHaveAttribute('role', 'img');
    expect(chart.getAttribute('aria-label')).toContain('Public link: 2 (1 critical, 1 high)');
    expect(chart.getAttribute('aria-label')).toContain('External collaborator: 2 (2 high)');
    expect(screen.getByTestId('findings-open-total')).toHaveTextContent('5');
    expect(screen.getByTestId('severity-count-high')).toHaveTextContent('3');

    const rows = within(list).getAllByRole('row').slice(1);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('Critical');
    expect(rows[0]).toHaveTextContent('Budget.xlsx');
    expect(rows[1]).toHaveTextContent('************1111');
    expect(rows[1]).toHaveTextContent('Payment card');
    expect(screen.getByTestId('findings-range')).toHaveTextContent('1–3 of 3');
  });

  it('asks core for the chosen severity, kind, detector, owner and closed ones', async () => {
    const mock = mockShell(connected());
    await openFindings();
    await userEvent.selectOptions(screen.getByTestId('filter-severity'), 'high');
    await waitFor(() => expect(lastCall(mock.calls, 'findings')?.args.filter).toMatchObject({ severity: 'high' }));
    await userEvent.selectOptions(screen.getByTestId('filter-kind'), 'external_collaborator');
    await userEvent.selectOptions(screen.getByTestId('filter-detector'), 'credit_card');
    await userEvent.selectOptions(screen.getByTestId('filter-owner'), 'bob@sandbox.example');
    await userEvent.click(screen.getByTestId('filter-closed'));
    await waitFor(() =>
      expect(lastCall(mock.calls, 'findings')?.args).toEqual({
        filter: {
          severity: 'high',
          kind: 'external_collaborator',
          detector: 'credit_card',
          owner_login: 'bob@sandbox.example',
          file_has_detector: null,
          include_closed: true,
        },
        limit: 50,
        offset: 0,
      }),
    );
    // A severity's count filters by it too, and again clears it.
    await userEvent.click(screen.getByTestId('filter-clear'));
    await userEvent.click(screen.getByTestId('severity-count-critical'));
    await waitFor(() => expect(lastCall(mock.calls, 'findings')?.args.filter).toMatchObject({ severity: 'critical', kind: null }));
    expect(screen.getByTestId('severity-count-critical')).toHaveAttribute('aria-pressed', 'true');
  });

  it('moves through the rows with the keyboard and opens details with Enter', async () => {
    const mock = mockShell(connected(), { finding_detail: (args) => findingDetail({ finding: findingsPage().rows[Number(args.findingId) - 1] }) });
    const list = await openFindings();
    const rows = within(list).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.tabIndex)).toEqual([0, -1, -1]);
    rows[0].focus();
    await userEvent.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(rows[1]);
    await userEvent.keyboard('{End}');
    expect(document.activeElement).toBe(rows[2]);
    await userEvent.keyboard('{ArrowUp}');
    await userEvent.keyboard('{Enter}');
    expect(lastCall(mock.calls, 'finding_detail')?.args).toEqual({ findingId: 2 });
    const panel = await screen.findByTestId('finding-detail');
    await waitFor(() => expect(within(panel).getByTestId('finding-sample')).toHaveTextContent('************1111'));
    // Esc closes and gives the focus back to the row.
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('finding-detail')).toBeNull());
    expect(document.activeElement).toBe(within(list).getAllByRole('row')[2]);
  });

  it('shows a finding’s path to copy, how it is reached, its details, history and the file’s other findings', async () => {
    const mock = mockShell(connected(), { open_file_in_box: () => 'http://127.0.0.1:4000/file/1001' });
    const list = await openFindings();
    await userEvent.click(within(list).getAllByRole('row')[1]);
    const panel = await screen.findByTestId('finding-detail');
    await waitFor(() => expect(within(panel).getByTestId('finding-path')).toHaveTextContent('/All Files/Finance/Budget.xlsx'));
    expect(within(panel).getByRole('button', { name: 'Copy the Box path' })).toBeTruthy();
    expect(within(panel).getByTestId('finding-reached-via')).toHaveTextContent('its own open link (can download, can edit)');
    expect(within(panel).getByText('Link access').nextElementSibling).toHaveTextContent('Open (anyone with the link)');
    expect(within(panel).getByText('Can edit').nextElementSibling).toHaveTextContent('Yes');
    const history = within(panel).getByTestId('finding-history');
    expect([...history.querySelectorAll('li')].map((li) => li.dataset.change)).toEqual(['opened', 'seen']);
    expect(history).toHaveTextContent('scan 7');
    expect(within(panel).getByTestId('finding-same-file')).toHaveTextContent('Payment card');

    await userEvent.click(within(panel).getByTestId('open-in-box'));
    expect(lastCall(mock.calls, 'open_file_in_box')?.args).toEqual({ fileId: '1001' });
    expect(await within(panel).findByTestId('opened-url')).toHaveTextContent('Opened http://127.0.0.1:4000/file/1001');
  });

  it('exports the current filter to the path picked in the save dialog', async () => {
    const mock = mockShell(connected(), {
      'plugin:dialog|save': () => '/home/ada/findings.csv',
      export_findings: (args) => ({ path: args.path, rows: 2, format: args.format }),
    });
    await openFindings();
    await userEvent.selectOptions(screen.getByTestId('filter-severity'), 'high');
    await userEvent.click(screen.getByTestId('export-csv'));
    expect(await screen.findByTestId('export-result')).toHaveTextContent('2 findings written to /home/ada/findings.csv');
    const dialog = lastCall(mock.calls, 'plugin:dialog|save')?.args.options as { defaultPath: string; filters: unknown };
    expect(dialog.defaultPath).toMatch(/^box-findings-high-\d{4}-\d{2}-\d{2}\.csv$/);
    expect(lastCall(mock.calls, 'export_findings')?.args).toMatchObject({
      filter: { severity: 'high' },
      format: 'csv',
      path: '/home/ada/findings.csv',
    });
  });

  it('writes nothing when the save dialog is cancelled, and shows why an export failed', async () => {
    let path: string | null = null;
    const mock = mockShell(connected(), {
      'plugin:dialog|save': () => path,
      export_findings: () => {
        throw { code: 'invalid_input', message: 'Could not write /ro/f.json: permission denied.', hint: 'Choose a folder you can write to.' };
      },
    });
    await openFindings();
    await userEvent.click(screen.getByTestId('export-json'));
    await waitFor(() => expect(lastCall(mock.calls, 'plugin:dialog|save')).toBeTruthy());
    expect(lastCall(mock.calls, 'export_findings')).toBeUndefined();
    expect(screen.queryByTestId('export-result')).toBeNull();
    path = '/ro/f.json';
    await userEvent.click(screen.getByTestId('export-json'));
    expect(await screen.findByTestId('export-error')).toHaveTextContent('permission denied');
  });
});

describe('findings empty states', () => {
  const none = { findings: () => findingsPage([]), findings_summary: () => findingsSummary({ open_total: 0, by_kind_severity: [], by_detector: [], top_owners: [] }) };

  it('says no scan has run yet', async () => {
    mockShell(connected(), { ...none, scan_status: () => scanStatus({ state: 'not_started', files_scanned: 0 }) });
    await openFindings();
    expect(screen.getByTestId('findings-empty')).toHaveAttribute('data-empty', 'no-scan');
    expect(screen.getByTestId('findings-empty')).toHaveTextContent('the scan has not read any file');
  });

  it('says inspection is still running', async () => {
    mockShell(connected(), none);
    await openFindings();
    expect(screen.getByTestId('findings-empty')).toHaveAttribute('data-empty', 'pending');
    expect(screen.getByTestId('findings-empty')).toHaveTextContent('2,500 files inspected, 500 to go');
  });

  it('says nothing was found once every file is inspected', async () => {
    mockShell(connected(), {
      findings: none.findings,
      findings_summary: () => ({ ...none.findings_summary(), inspection: inspection({ files_pending: 0 }) }),
      scan_status: () => scanStatus({ state: 'idle', full_scan_completed_at: new Date().toISOString() }),
    });
    await openFindings();
    expect(screen.getByTestId('findings-empty')).toHaveAttribute('data-empty', 'nothing');
  });

  it('says no finding matches the filters', async () => {
    mockShell(connected(), { findings: (args) => findingsPage((args.filter as { severity: string | null }).severity ? [] : undefined) });
    await openFindings();
    await userEvent.selectOptions(screen.getByTestId('filter-severity'), 'low');
    expect(await screen.findByTestId('findings-empty')).toHaveAttribute('data-empty', 'filtered');
  });
});

describe('findings offline', () => {
  it('shows the offline banner and the stored findings', async () => {
    const offline = connected();
    offline.connection.state = 'offline';
    mockShell(offline, { scan_status: () => scanStatus({ state: 'offline' }) });
    const list = await openFindings();
    expect(screen.getByTestId('offline-banner')).toBeTruthy();
    expect(within(list).getAllByRole('row')).toHaveLength(4);
  });
});

describe('inspection beside the scan', () => {
  it('shows files inspected and pending, bytes, rates, ETA, cache hits and why files were not inspected', async () => {
    mockShell(connected());
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Scan/ }));
    const panel = await screen.findByTestId('inspection');
    await waitFor(() => expect(within(panel).getByTestId('progress-inspected-text')).toHaveTextContent('2,400 inspected · 100 not inspected · 500 pending'));
    expect(within(panel).getByRole('progressbar')).toHaveAttribute('aria-valuenow', '2500');
    expect(within(panel).getByRole('progressbar')).toHaveAttribute('aria-valuemax', '3000');
    expect(within(panel).getByTestId('progress-inspected-rate')).toHaveTextContent('250 files/min');
    expect(within(panel).getByTestId('progress-inspected-eta')).toHaveTextContent('2 min');
    expect(within(panel).getByTestId('inspection-bytes')).toHaveTextContent('1.54 GB in 2,100 files');
    expect(within(panel).getByTestId('inspection-rate')).toHaveTextContent('3.40 MB/s');
    expect(within(panel).getByTestId('inspection-cache-hits')).toHaveTextContent('300 identical files not downloaded');
    const reasons = within(panel).getByTestId('not-inspected');
    expect([...reasons.querySelectorAll('li')].map((li) => li.textContent?.replace(/\s+/g, ' ').trim())).toEqual([
      'Unknown type 70',
      'Too large 20',
      'Encrypted 10',
    ]);
  });

  it('follows the inspection in the pushed scan progress', async () => {
    const mock = mockShell(connected());
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Scan/ }));
    const panel = await screen.findByTestId('inspection');
    const status = scanStatus();
    status.inspection = inspection({ files_inspected: 2_900, files_pending: 0, not_inspected_by_reason: [] });
    mock.push({ type: 'scan_progress', status });
    await waitFor(() => expect(within(panel).getByTestId('progress-inspected-text')).toHaveTextContent('2,900 inspected · 100 not inspected · 0 pending'));
    expect(within(panel).getByTestId('progress-inspected-eta')).toHaveTextContent('done');
    expect(within(panel).getByTestId('inspection-state')).toHaveTextContent('Up to date');
    expect(within(panel).getByTestId('not-inspected-none')).toBeTruthy();
  });
});
