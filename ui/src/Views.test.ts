import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import ScanProgressPanel from './lib/scan/ScanProgressPanel.svelte';
import { ScanData } from './lib/scan/state.svelte';
import { connected, eventRow, fileDetail, queueEntry, scanStatus, snapshot } from './test/fixtures';
import { mockShell } from './test/ipc-mock';

const tab = (name: string) => screen.getByRole('tab', { name: new RegExp(`^${name}`) });

async function openScan() {
  render(App);
  await userEvent.click(await screen.findByRole('tab', { name: /^Scan/ }));
  return screen.findByTestId('scan-progress');
}

describe('views', () => {
  it('offers only Connection until connected', async () => {
    mockShell(snapshot());
    render(App);
    const tabs = within(await screen.findByRole('tablist', { name: 'Views' })).getAllByRole('tab');
    expect(tabs.map((t) => t.textContent?.trim().split(/\s+/)[0])).toEqual(['Connection']);
    expect(tabs[0]).toHaveAttribute('aria-selected', 'true');
    // A shortcut to a view that is not there does nothing.
    await userEvent.keyboard('2');
    expect(screen.getByRole('tabpanel')).toHaveAttribute('data-current-view', 'connection');
  });

  it('moves between views with the mouse, arrow keys and number keys', async () => {
    mockShell(connected());
    render(App);
    await screen.findByTestId('account');
    expect(within(screen.getByRole('tablist')).getAllByRole('tab')).toHaveLength(5);

    await userEvent.click(tab('Scan'));
    expect(await screen.findByTestId('scan-view')).toBeTruthy();
    expect(tab('Scan')).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tabpanel')).toHaveAttribute('aria-labelledby', 'tab-scan');

    // Arrows move focus and the view together; one tab stop.
    tab('Scan').focus();
    await userEvent.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(tab('Events'));
    expect(await screen.findByTestId('events-view')).toBeTruthy();
    expect(tab('Events')).toHaveAttribute('tabindex', '0');
    expect(tab('Scan')).toHaveAttribute('tabindex', '-1');
    await userEvent.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(tab('Findings'));
    expect(await screen.findByTestId('findings-view')).toBeTruthy();
    await userEvent.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(tab('Audit'));
    expect(await screen.findByTestId('audit-view')).toBeTruthy();
    await userEvent.keyboard('{ArrowRight}');
    expect(document.activeElement).toBe(tab('Connection'));
    await userEvent.keyboard('{End}');
    expect(tab('Audit')).toHaveAttribute('aria-selected', 'true');

    // Number keys from anywhere outside a text field.
    (document.activeElement as HTMLElement).blur();
    await userEvent.keyboard('1');
    expect(await screen.findByTestId('account')).toBeTruthy();
    await userEvent.keyboard('2');
    expect(await screen.findByTestId('scan-view')).toBeTruthy();
    await userEvent.keyboard('4');
    expect(await screen.findByTestId('findings-view')).toBeTruthy();
  });

  it('leaves digits typed in a field alone, but Alt+digit switches from there', async () => {
    mockShell(connected());
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Events/ }));
    const filter = await screen.findByTestId('kind-filter');
    filter.focus();
    await userEvent.keyboard('2');
    expect(screen.getByRole('tabpanel')).toHaveAttribute('data-current-view', 'events');
    await userEvent.keyboard('{Alt>}2{/Alt}');
    expect(screen.getByRole('tabpanel')).toHaveAttribute('data-current-view', 'scan');
  });
});

describe('scan view', () => {
  it('shows counts, rates and ETAs for users, files discovered and files scanned', async () => {
    mockShell(connected());
    const panel = await openScan();
    expect(within(panel).getByTestId('scan-state')).toHaveTextContent('Scanning');
    expect(within(panel).getByTestId('progress-users-text')).toHaveTextContent('40 of 100 users walked');
    expect(within(panel).getByTestId('progress-discovered-text')).toHaveTextContent('12,000 files · 500 of 2,000 folders listed');
    expect(within(panel).getByTestId('progress-scanned-text')).toHaveTextContent('3,000 of 12,000 files · 9,000 queued');
    // Core's rate and ETA for the queue: 1,200 files/min is 20 files/s; 450 s.
    expect(within(panel).getByTestId('progress-scanned-rate')).toHaveTextContent('20 files/s');
    expect(within(panel).getByTestId('progress-scanned-eta')).toHaveTextContent('8 min');
    const bars = within(panel).getAllByRole('progressbar');
    expect(bars[0]).toHaveAttribute('aria-valuenow', '40');
    expect(bars[0]).toHaveAttribute('aria-valuemax', '100');
    expect(bars[0]).toHaveAccessibleName('Users');
  });

  it('measures the users and discovery rates from successive statuses', () => {
    const data = new ScanData();
    const t0 = Date.parse('2026-12-01T10:00:00Z');
    data.applyStatus(scanStatus({ users_done: 40, files_discovered: 10_000, folders_done: 500 }), t0);
    expect(data.rates.usersPerMinute).toBeNull();
    data.applyStatus(scanStatus({ users_done: 50, files_discovered: 13_000, folders_done: 800 }), t0 + 60_000);
    expect(data.rates).toMatchObject({ usersPerMinute: 10, discoveredPerMinute: 3_000, foldersPerMinute: 300 });

    render(ScanProgressPanel, { status: data.status!, rates: data.rates, busy: null, onpause: () => {}, onresume: () => {} });
    expect(screen.getByTestId('progress-users-rate')).toHaveTextContent('10 users/min');
    // 50 users left at 10 a minute; 1,200 folders left at 300 a minute.
    expect(screen.getByTestId('progress-users-eta')).toHaveTextContent('5 min');
    expect(screen.getByTestId('progress-discovered-rate')).toHaveTextContent('50 files/s');
    expect(screen.getByTestId('progress-discovered-eta')).toHaveTextContent('4 min');
  });

  it("says what a co-admin's scan skips", () => {
    const status = scanStatus({ users_skipped: 3, skipped_note: "3 admins' content is not scanned: a co-admin cannot read it." });
    render(ScanProgressPanel, { status, rates: new ScanData().rates, busy: null, onpause: () => {}, onresume: () => {} });
    expect(screen.getByTestId('skipped-note')).toHaveTextContent('co-admin cannot read it');
    expect(screen.getByTestId('progress-users-text')).toHaveTextContent('40 of 100 users walked, 3 skipped');
  });

  it('follows pushed progress', async () => {
    const mock = mockShell(connected());
    const panel = await openScan();
    mock.push({ type: 'scan_progress', status: scanStatus({ files_scanned: 4_500, files_queued: 7_500 }) });
    await waitFor(() => expect(within(panel).getByTestId('progress-scanned-text')).toHaveTextContent('4,500 of 12,000 files · 7,500 queued'));
    mock.push({ type: 'scan_progress', status: scanStatus({ state: 'idle', full_scan_completed_at: new Date().toISOString(), files_queued: 0 }) });
    await waitFor(() => expect(within(panel).getByTestId('scan-state')).toHaveTextContent('Up to date'));
    expect(within(panel).getByTestId('progress-scanned-eta')).toHaveTextContent('done');
  });

  it('lists the queue front first with why each file is there', async () => {
    mockShell(connected(), {
      scan_queue: () => [
        queueEntry({ file_id: '7', name: 'Edited.docx', priority: 0, reason: 'event', reason_detail: 'EDIT' }),
        queueEntry({ file_id: '8', name: 'Shared.pdf', priority: 0, reason: 'event', reason_detail: 'ITEM_SHARED_UPDATE', state: 'leased' }),
        queueEntry({ file_id: '9', name: 'Changed.txt', priority: 10, reason: 'changed_etag' }),
        queueEntry({ file_id: '10', name: 'Old.txt', priority: 50, reason: 'full_scan', state: 'failed', attempts: 5, last_error: 'HTTP 500' }),
        queueEntry({ file_id: '11', name: 'Later.txt', priority: 90, reason: 'periodic' }),
      ],
    });
    await openScan();
    const queue = await screen.findByTestId('queue');
    await waitFor(() => expect(within(queue).getAllByRole('row')).toHaveLength(6));
    const rows = within(queue).getAllByRole('row').slice(1);
    expect(rows.map((r) => r.getAttribute('data-file'))).toEqual(['7', '8', '9', '10', '11']);
    expect(rows.map((r) => within(r).getByTestId('queue-reason').textContent)).toEqual([
      'Event: EDIT',
      'Event: ITEM_SHARED_UPDATE',
      'Changed since its last scan',
      'Full scan',
      'Periodic rescan',
    ]);
    expect(rows[1]).toHaveTextContent('Scanning now');
    expect(rows[3]).toHaveTextContent('Failed after 5 attempts');
    expect(rows[3]).toHaveTextContent('HTTP 500');
    expect(within(queue).getByTestId('queue-count')).toHaveTextContent('9,000 queued');
  });

  it("opens a file's history from its row, by click or Enter, and closes with Escape", async () => {
    const mock = mockShell(connected(), { file_detail: (args) => fileDetail({ file_id: String(args.fileId) }) });
    await openScan();
    const queue = await screen.findByTestId('queue');
    const row = await within(queue).findByText('Budget.xlsx');
    await userEvent.click(row.closest('tr')!.querySelector('td.owner')!);
    const panel = await screen.findByTestId('file-history');
    expect(mock.calls.find((c) => c.cmd === 'file_detail')?.args).toEqual({ fileId: '1001' });
    expect(panel).toHaveAttribute('data-file', '1001');
    const history = within(panel).getByTestId('file-history-list');
    expect([...history.querySelectorAll('li')].map((li) => li.getAttribute('data-what'))).toEqual(['discovered', 'scanned', 'event']);
    expect(history).toHaveTextContent('EDIT');
    expect(within(panel).getByTestId('file-queued')).toHaveTextContent('Event: EDIT');
    expect(within(panel).getByTestId('file-shared-link')).toHaveTextContent('open');
    expect(panel).toHaveTextContent('bob@partner.example');
    expect(document.activeElement).toBe(panel);
    await userEvent.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByTestId('file-history')).toBeNull());

    // Keyboard: Tab to the file's name, Enter.
    const name = within(queue).getByRole('button', { name: 'History of Budget.xlsx' });
    name.focus();
    await userEvent.keyboard('{Enter}');
    expect(await screen.findByTestId('file-history')).toBeTruthy();
    await userEvent.click(screen.getByTestId('close-file'));
    await waitFor(() => expect(screen.queryByTestId('file-history')).toBeNull());
    expect(document.activeElement).toBe(name);
  });

  it('pauses and resumes', async () => {
    const mock = mockShell(connected(), {
      pause_scan: () => scanStatus({ state: 'paused' }),
      resume_scan: () => scanStatus({ state: 'running' }),
    });
    const panel = await openScan();
    await userEvent.click(within(panel).getByRole('button', { name: /Pause/ }));
    expect(mock.calls.some((c) => c.cmd === 'pause_scan')).toBe(true);
    expect(await within(panel).findByRole('button', { name: /Resume/ })).toBeTruthy();
    expect(within(panel).getByTestId('scan-state')).toHaveTextContent('Paused');
    expect(within(panel).getByTestId('progress-scanned-eta')).toHaveTextContent('paused');
    await userEvent.click(within(panel).getByRole('button', { name: /Resume/ }));
    expect(mock.calls.some((c) => c.cmd === 'resume_scan')).toBe(true);
    expect(await within(panel).findByRole('button', { name: /Pause/ })).toBeTruthy();
  });
});

describe('offline', () => {
  it('shows the offline state and everything stored when the scan cannot reach Box', async () => {
    mockShell(connected(), { scan_status: () => scanStatus({ state: 'offline' }) });
    const panel = await openScan();
    expect(await screen.findByTestId('offline-banner')).toHaveTextContent('resumes by itself');
    expect(within(panel).getByTestId('scan-state')).toHaveTextContent('Offline');
    expect(within(panel).getByTestId('progress-scanned-eta')).toHaveTextContent('waiting for Box');
    expect(within(panel).getByTestId('progress-users-text')).toHaveTextContent('40 of 100 users walked');
    expect(await screen.findByText('Budget.xlsx')).toBeTruthy();
    expect(screen.getByTestId('scan-pill')).toHaveTextContent('Scan: Offline');
  });

  it('keeps the last data when a read fails, and says so', async () => {
    let fail = false;
    const mock = mockShell(connected(), {
      scan_queue: () => {
        if (fail) throw { code: 'database_unavailable', message: 'The local database is not open.', hint: 'Restart.' };
        return [queueEntry()];
      },
    });
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Scan/ }));
    expect(await screen.findByText('Budget.xlsx')).toBeTruthy();
    fail = true;
    // Leave and come back: the view reads again.
    await userEvent.keyboard('3');
    await userEvent.keyboard('2');
    expect(await screen.findByTestId('stale-note')).toHaveTextContent('The local database is not open.');
    expect(screen.getByText('Budget.xlsx')).toBeTruthy();
    expect(mock.calls.filter((c) => c.cmd === 'scan_queue').length).toBeGreaterThanOrEqual(2);
  });
});

describe('events view', () => {
  it('shows the last event, the lag, the 60 days by kind and filters the list by kind', async () => {
    const mock = mockShell(connected(), {
      scan_events: (args) =>
        args.kind === 'share'
          ? [eventRow({ event_id: 'ev-9', event_type: 'ITEM_SHARED_UPDATE', kind: 'share' })]
          : [eventRow(), eventRow({ event_id: 'ev-2', event_type: 'PREVIEW', kind: 'read' })],
    });
    render(App);
    await userEvent.click(await screen.findByRole('tab', { name: /^Events/ }));
    const view = await screen.findByTestId('events-view');
    await waitFor(() => expect(within(view).getByTestId('event-lag')).toHaveTextContent('30 s'));
    expect(within(view).getByTestId('last-event')).toHaveTextContent('1 minute ago');
    expect(within(view).getByTestId('events-ingested')).toHaveTextContent('180,000');
    expect(await within(view).findByRole('img', { name: /Events by kind over 60 days: 600 modify, 120 share, 1,800 read, 60 delete, 300 other/ })).toBeTruthy();

    const list = within(view).getByTestId('events-list');
    await waitFor(() => expect(list.querySelectorAll('tr[data-event]')).toHaveLength(2));
    expect(mock.calls.find((c) => c.cmd === 'scan_events')?.args).toEqual({ since: null, kind: null, limit: 200 });
    await userEvent.selectOptions(within(list).getByTestId('kind-filter'), 'share');
    await waitFor(() => expect(list.querySelectorAll('tr[data-event]')).toHaveLength(1));
    expect(mock.calls.filter((c) => c.cmd === 'scan_events').at(-1)?.args).toEqual({ since: null, kind: 'share', limit: 200 });
    expect(list).toHaveTextContent('ITEM_SHARED_UPDATE');

    // An event on a file opens that file's history.
    await userEvent.click(within(list).getByRole('button', { name: 'History of Budget.xlsx' }));
    expect(await screen.findByTestId('file-history')).toHaveAttribute('data-file', '1001');
    expect(mock.calls.find((c) => c.cmd === 'file_detail')?.args).toEqual({ fileId: '1001' });
  });
});
