// The only place the UI talks to the Rust shell. Every command and event type
// comes from the generated bindings, so a Rust change that breaks the UI
// breaks `npm run check`.
import { Channel, invoke } from '@tauri-apps/api/core';
import type { CoreEvent } from './bindings/CoreEvent';
import type { CustomSettings } from './bindings/CustomSettings';
import type { ErrorCode } from './bindings/ErrorCode';
import type { Snapshot } from './bindings/Snapshot';
import type { UserError } from './bindings/UserError';

/** Opens the event channel and returns the state to start from. */
export async function start(onEvent: (event: CoreEvent) => void): Promise<Snapshot> {
  const events = new Channel<CoreEvent>();
  events.onmessage = onEvent;
  return call<Snapshot>('app_start', { events });
}

export const selectDatacenter = (id: string) => call<Snapshot>('select_datacenter', { id });
export const setClientSecret = (datacenterId: string, secret: string) =>
  call<Snapshot>('set_client_secret', { datacenterId, secret });
export const saveCustomSettings = (settings: CustomSettings) =>
  call<Snapshot>('save_custom_settings', { settings });
/** Signs in to the selected data center; resolves when the sign-in ends. */
export const connect = () => call<Snapshot>('connect');
export const cancelConnect = () => call<Snapshot>('cancel_connect');
export const submitRedirectUrl = (url: string) => call<Snapshot>('submit_redirect_url', { url });
export const runApiTest = () => call<Snapshot>('run_api_test');
export const disconnect = () => call<Snapshot>('disconnect');
export const moveDatabaseAside = () => call<Snapshot>('move_database_aside');

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
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
