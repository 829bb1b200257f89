import { render, screen, waitFor, within } from '@testing-library/svelte';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import App from './App.svelte';
import type { UserError } from './lib/bindings/UserError';
import { connected, KEYS, report, snapshot } from './test/fixtures';
import { mockShell } from './test/ipc-mock';

const row = (name: RegExp) => screen.getByRole('radio', { name });

describe('data-center list', () => {
  it('renders every profile from the snapshot with its API key and a copy button', async () => {
    mockShell(snapshot());
    render(App);
    const list = await screen.findByRole('radiogroup', { name: 'Data center' });
    const radios = within(list).getAllByRole('radio');
    expect(radios.map((r) => r.textContent?.trim().split(/\s+/)[0])).toEqual([
      'US1', 'US2', 'US3', 'EU1', 'EU2', 'Legacy', 'Sandbox', 'Custom',
    ]);
    expect(row(/EU1/)).toHaveTextContent(KEYS.eu1);
    expect(within(list).getByRole('button', { name: 'Copy API key for US1' })).toBeTruthy();
    // Custom has no key of its own, so nothing to copy.
    expect(within(list).queryByRole('button', { name: /Copy API key for Custom/ })).toBeNull();
  });

  it('starts on the selected data center (Sandbox by default)', async () => {
    mockShell(snapshot());
    render(App);
    await screen.findByRole('radiogroup');
    expect(row(/Sandbox/).getAttribute('aria-checked')).toBe('true');
    expect(screen.getByRole('heading', { level: 2, name: 'Sandbox' })).toBeTruthy();
  });

  it('selecting EU1 shows its key and allowlist steps and tells core', async () => {
    const mock = mockShell(snapshot(), {
      select_datacenter: (args) => snapshot({ selected_datacenter: String(args.id) }),
    });
    render(App);
    await userEvent.click(await screen.findByRole('radio', { name: /EU1/ }));
    expect(mock.calls.find((c) => c.cmd === 'select_datacenter')?.args).toEqual({ id: 'eu1' });
    expect(row(/EU1/).getAttribute('aria-checked')).toBe('true');
    expect(screen.getByTestId('selected-api-key').textContent).toBe(KEYS.eu1);
    expect(screen.getByText(/Except for/)).toBeTruthy();
    expect(screen.getByLabelText('Client secret')).toBeTruthy();
  });

  it('moves between data centers with the arrow keys and selects with Enter', async () => {
    const mock = mockShell(snapshot(), {
      select_datacenter: (args) => snapshot({ selected_datacenter: String(args.id) }),
    });
    render(App);
    (await screen.findByRole('radio', { name: /Sandbox/ })).focus();
    await userEvent.keyboard('{ArrowDown}');
    expect(document.activeElement).toBe(row(/Custom/));
    await userEvent.keyboard('{ArrowDown}{Enter}');
    expect(mock.calls.filter((c) => c.cmd === 'select_datacenter').map((c) => c.args.id)).toEqual(['us1']);
  });
});

describe('copy', () => {
  it('writes the key to the clipboard and visibly confirms', async () => {
    const mock = mockShell(snapshot(), { 'plugin:clipboard-manager|write_text': () => null });
    render(App);
    const copy = await screen.findByRole('button', { name: 'Copy API key for EU1' });
    await userEvent.click(copy);
    expect(mock.calls.find((c) => c.cmd === 'plugin:clipboard-manager|write_text')?.args.text).toBe(KEYS.eu1);
    expect(copy).toHaveTextContent('Copied');
    expect(copy.dataset.copyState).toBe('copied');
  });

  it('says so when the copy fails', async () => {
    mockShell(snapshot(), {
      'plugin:clipboard-manager|write_text': () => {
        throw new Error('no clipboard');
      },
    });
    Object.defineProperty(navigator, 'clipboard', { value: undefined, configurable: true });
    render(App);
    const copy = await screen.findByRole('button', { name: 'Copy API key for US1' });
    await userEvent.click(copy);
    expect(copy).toHaveTextContent('Copy failed');
  });
});

describe('errors', () => {
  it('shows code, message and hint from a failed command', async () => {
    const err: UserError = {
      code: 'keychain_locked',
      message: 'The keychain is locked.',
      hint: 'Unlock your login keyring, then try again.',
    };
    mockShell(snapshot(), {
      connect: () => {
        throw err;
      },
    });
    render(App);
    await userEvent.click(await screen.findByRole('button', { name: 'Connect to Sandbox' }));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('The keychain is locked.');
    expect(alert).toHaveTextContent('Unlock your login keyring, then try again.');
    expect(alert).toHaveTextContent('keychain_locked');
  });

  it('shows the start-up error when the app cannot load', async () => {
    const err: UserError = { code: 'internal', message: 'Core failed.', hint: 'Restart.' };
    mockShell(snapshot());
    const { mockIPC } = await import('@tauri-apps/api/mocks');
    mockIPC(() => {
      throw err;
    });
    render(App);
    expect(await screen.findByRole('alert')).toHaveTextContent('Core failed.');
  });
});

describe('connection errors from core', () => {
  it("shows the connection's last failure, but not a sign-in the admin cancelled", async () => {
    const denied = snapshot();
    denied.connection.error = { code: 'sign_in_denied', message: 'You clicked Deny in Box.', hint: 'Click Connect and choose Allow.' };
    const mock = mockShell(denied);
    render(App);
    expect(await screen.findByRole('alert')).toHaveTextContent('You clicked Deny in Box.');

    const cancelled = snapshot();
    cancelled.connection.error = { code: 'sign_in_cancelled', message: 'Sign-in cancelled.', hint: '' };
    mock.push({ type: 'snapshot_changed', snapshot: cancelled });
    await waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });
});

describe('connect flow', () => {
  it('saves the secret, connects, then follows pushed events to Connected', async () => {
    const start = snapshot({ selected_datacenter: 'eu1' });
    const mock = mockShell(start, {
      set_client_secret: () => start,
      connect: () => undefined,
      cancel_connect: () => start,
      'plugin:clipboard-manager|write_text': () => null,
    });
    render(App);
    const connect = await screen.findByRole('button', { name: 'Connect to EU1' });
    expect(connect).toBeDisabled();
    await userEvent.type(screen.getByLabelText('Client secret'), 's3cret');
    await userEvent.click(connect);
    expect(mock.calls.map((c) => c.cmd)).toEqual(['app_start', 'set_client_secret', 'connect']);
    expect(mock.calls[1].args).toEqual({ datacenterId: 'eu1', secret: 's3cret' });
    // The secret is not kept in the page once sent.
    expect((screen.queryByLabelText('Client secret') as HTMLInputElement | null)?.value ?? '').toBe('');

    const signIn = {
      datacenter_id: 'eu1',
      authorize_url: 'https://account.box.com/api/oauth2/authorize?client_id=x&state=y',
      redirect_uri: 'http://127.0.0.1:40000/callback',
      started_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 300_000).toISOString(),
      browser_opened: true,
    };
    mock.push({ type: 'sign_in_started', sign_in: signIn });
    expect(await screen.findByText(/Waiting for you to sign in to EU1/)).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy sign-in link' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
    expect(screen.getByTestId('connection-state')).toHaveTextContent('Signing in');

    // The sign-in link can be copied for a browser the app could not open.
    await userEvent.click(screen.getByRole('button', { name: 'Copy sign-in link' }));
    expect(mock.calls.find((c) => c.cmd === 'plugin:clipboard-manager|write_text')?.args.text).toBe(signIn.authorize_url);

    const done = connected({ ...start, selected_datacenter: 'sandbox' });
    mock.push({ type: 'snapshot_changed', snapshot: done });
    expect(await screen.findByTestId('account')).toHaveTextContent('Ada Admin');
    expect(screen.getByTestId('role')).toHaveTextContent('Admin');
    expect(screen.getByTestId('enterprise')).toHaveTextContent('Sandbox Corp');
    expect(screen.getByTestId('connection-state')).toHaveTextContent('Connected to Sandbox');
  });

  it('saves a Custom app with its own URLs, revoke URL included, before connecting', async () => {
    const start = snapshot({ selected_datacenter: 'custom' });
    const mock = mockShell(start, {
      save_custom_settings: () => start,
      set_client_secret: () => start,
      connect: () => undefined,
    });
    render(App);
    await userEvent.type(await screen.findByLabelText('Client ID'), 'my-client');
    await userEvent.type(screen.getByLabelText(/Token URL/), 'https://idp.example/oauth/token2');
    await userEvent.type(screen.getByLabelText(/API URL/), 'https://idp.example/api');
    await userEvent.type(screen.getByLabelText(/Revoke URL/), 'https://idp.example/oauth/revoke');
    await userEvent.type(screen.getByLabelText('Client secret'), 'sec');
    await userEvent.click(screen.getByRole('button', { name: 'Connect to Custom' }));
    expect(mock.calls.map((c) => c.cmd)).toEqual(['app_start', 'save_custom_settings', 'set_client_secret', 'connect']);
    expect(mock.calls[1].args).toEqual({
      settings: {
        client_id: 'my-client',
        authorize_url: null,
        token_url: 'https://idp.example/oauth/token2',
        api_url: 'https://idp.example/api',
        revoke_url: 'https://idp.example/oauth/revoke',
      },
    });
  });

  it('cancels a sign-in in progress and returns to the Connect button', async () => {
    const waiting = snapshot({ selected_datacenter: 'sandbox' });
    waiting.connection.state = 'connecting';
    waiting.sign_in = {
      datacenter_id: 'sandbox',
      authorize_url: 'http://127.0.0.1:1/api/oauth2/authorize?x',
      redirect_uri: 'http://127.0.0.1:2/callback',
      started_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 60_000).toISOString(),
      browser_opened: true,
    };
    const mock = mockShell(waiting, { cancel_connect: () => snapshot({ selected_datacenter: 'sandbox' }) });
    render(App);
    await screen.findByText(/Waiting for you to sign in to Sandbox/);
    await userEvent.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(mock.calls.at(-1)?.cmd).toBe('cancel_connect');
    await waitFor(() => expect(screen.queryByTestId('sign-in')).toBeNull());
    expect(await screen.findByRole('button', { name: 'Connect to Sandbox' })).toBeEnabled();
  });

  it('pastes the redirect URL when no browser comes back', async () => {
    const s = snapshot();
    s.connection.state = 'connecting';
    s.sign_in = {
      datacenter_id: 'sandbox',
      authorize_url: 'http://127.0.0.1:1/api/oauth2/authorize?x',
      redirect_uri: 'http://127.0.0.1:2/callback',
      started_at: new Date().toISOString(),
      expires_at: new Date(Date.now() + 60_000).toISOString(),
      browser_opened: false,
    };
    const mock = mockShell(s, { submit_redirect_url: () => connected() });
    render(App);
    expect(await screen.findByText(/Your browser did not open/)).toBeTruthy();
    await userEvent.click(screen.getByText('Signing in on another computer?'));
    await userEvent.type(screen.getByLabelText(/paste the address/), 'http://127.0.0.1:2/callback?code=c&state=s');
    await userEvent.click(screen.getByRole('button', { name: 'Finish sign-in' }));
    expect(mock.calls.find((c) => c.cmd === 'submit_redirect_url')?.args).toEqual({ url: 'http://127.0.0.1:2/callback?code=c&state=s' });
    expect(await screen.findByTestId('account')).toBeTruthy();
  });

  it('shows API test progress from events, then pass/warn/fail with Box error and fix', async () => {
    const mock = mockShell(connected(), { run_api_test: () => undefined });
    render(App);
    await userEvent.click(await screen.findByRole('button', { name: 'Run API test' }));
    mock.push({ type: 'api_test_progress', report: report(['pass', 'running'], false) });
    const panel = await screen.findByTestId('api-test');
    expect(panel).toHaveTextContent('1 of 5 checks done');
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('1');

    mock.push({ type: 'api_test_finished', report: report(['pass', 'warn', 'pass', 'pass', 'fail'], true) });
    await screen.findByText('Fix for role');
    const role = panel.querySelector('[data-check=role]')!;
    expect(role.getAttribute('data-status')).toBe('warn');
    expect(role).toHaveTextContent('Warning');
    const act = panel.querySelector('[data-check=act_as_user]')!;
    expect(act).toHaveTextContent('insufficient_scope');
    expect(act).toHaveTextContent('Fix for act_as_user');
    expect(panel.getAttribute('data-outcome')).toBe('fail');
  });
});

describe('states', () => {
  it('shows a visible offline state', async () => {
    const s = connected();
    s.connection.state = 'offline';
    s.connection.what_to_do = 'Box cannot be reached; showing stored results.';
    s.health!.state = 'offline';
    mockShell(s);
    render(App);
    expect(await screen.findByTestId('offline-banner')).toHaveTextContent('Box cannot be reached');
    expect(screen.getByTestId('connection-state')).toHaveTextContent('Offline');
  });

  it('shows health figures', async () => {
    mockShell(connected());
    render(App);
    const health = await screen.findByTestId('health');
    expect(health).toHaveTextContent('42 / 90 ms');
    expect(health).toHaveTextContent('10%');
  });

  it('offers to move a corrupt database aside', async () => {
    const bad = snapshot({
      database: {
        state: 'corrupt',
        path: '/data/box-connector.db',
        error: { code: 'database_corrupt', message: 'The database file is damaged.', hint: 'Move it aside.' },
      },
    });
    const mock = mockShell(bad, { move_database_aside: () => snapshot() });
    render(App);
    expect(await screen.findByTestId('database-problem')).toHaveTextContent('damaged');
    expect(screen.queryByRole('radiogroup')).toBeNull();
    await userEvent.click(screen.getByRole('button', { name: /Move the file aside/ }));
    expect(mock.calls.at(-1)?.cmd).toBe('move_database_aside');
    expect(await screen.findByRole('radiogroup')).toBeTruthy();
  });
});
