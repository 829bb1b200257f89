import { mockIPC } from '@tauri-apps/api/mocks';
import type { Channel } from '@tauri-apps/api/core';
import type { CoreEvent } from '../lib/bindings/CoreEvent';
import type { Snapshot } from '../lib/bindings/Snapshot';

type Handler = (args: Record<string, unknown>) => unknown;

/** Mocks the shell: `app_start` answers `initial` and keeps the event Channel
 *  so a test can push CoreEvents; other commands use `handlers`. */
export function mockShell(initial: Snapshot, handlers: Record<string, Handler> = {}) {
  const calls: { cmd: string; args: Record<string, unknown> }[] = [];
  let channel: Channel<CoreEvent> | null = null;
  mockIPC((cmd, payload) => {
    const args = (payload ?? {}) as Record<string, unknown>;
    calls.push({ cmd, args });
    if (cmd === 'app_start') {
      channel = args.events as Channel<CoreEvent>;
      return initial;
    }
    const handler = handlers[cmd];
    if (!handler) throw new Error(`unexpected command ${cmd}`);
    return handler(args);
  });
  return {
    calls,
    push(event: CoreEvent) {
      if (!channel) throw new Error('app_start was not called');
      channel.onmessage(event);
    },
  };
}
