// The only place the UI talks to the Rust shell. Every command is a generated
// caller (bindings/commands.ts: name, argument names and types from the Rust
// list, rejections as `UserError`), so a Rust change that breaks the UI breaks
// `npm run check`. Here only what is not a plain command call.
import { Channel } from '@tauri-apps/api/core';
import { save } from '@tauri-apps/plugin-dialog';
import { appStart } from './bindings/commands';
import type { CoreEvent } from './bindings/CoreEvent';
import type { ExportFormat } from './bindings/ExportFormat';
import type { Snapshot } from './bindings/Snapshot';
import { toUserError } from './user-error';

export * from './bindings/commands';
export { toUserError };

/** Opens the event channel and returns the state to start from. */
export function start(onEvent: (event: CoreEvent) => void): Promise<Snapshot> {
  const events = new Channel<CoreEvent>();
  events.onmessage = onEvent;
  return appStart(events);
}

/** The native save dialog for an export; `null` when the admin cancels. */
export async function chooseExportPath(
  format: ExportFormat,
  defaultName: string,
  title = 'Export findings',
): Promise<string | null> {
  try {
    return await save({
      title,
      defaultPath: defaultName,
      filters: [{ name: format === 'csv' ? 'CSV' : 'JSON', extensions: [format] }],
    });
  } catch (e) {
    throw toUserError(e);
  }
}
