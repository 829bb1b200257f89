import { mockIPC } from '@tauri-apps/api/mocks';
import type { Channel } from '@tauri-apps/api/core';
import type { CoreEvent } from '../lib/bindings/CoreEvent';
import type { Snapshot } from '../lib/bindings/Snapshot';
import {
  eventDays,
  eventRow,
  fileDetail,
  findingDetail,
  findingsPage,
  findingsSummary,
  governanceStatus,
  queueEntry,
  scanStatus,
  throughput,
} from './fixtures';

type Handler = (args: Record<string, unknown>) => unknown;

/** The scan's and the findings' reads answer from fixtures unless a test says otherwise. */
export const SCAN_DEFAULTS: Record<string, Handler> = {
  scan_status: () => scanStatus(),
  scan_queue: () => [queueEntry()],
  scan_throughput: () => throughput(),
  scan_events: () => [eventRow()],
  event_days: () => eventDays(),
  file_detail: () => fileDetail(),
  findings_summary: () => findingsSummary(),
  findings: () => findingsPage(),
  finding_detail: () => findingDetail(),
  governance_status: () => governanceStatus(),
  audit: () => ({ rows: [], total: 0 }),
  policies: () => [],
  alerts: () => [],
};

/** Mocks the shell: `app_start` answers `initial` and keeps the event Channel
 *  so a test can push CoreEvents; other commands use `handlers`, then the
 *  scan's fixtures (SCAN_DEFAULTS). */
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
    const handler = handlers[cmd] ?? SCAN_DEFAULTS[cmd];
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
