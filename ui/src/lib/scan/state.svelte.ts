// The UI's copy of what the scan views show: the status core pushes
// (`scan_progress`) and what the views read when they open and every few
// seconds after (queue, throughput, events, days, one file). Every read comes
// from the store through the shell, so it all works offline; a read that
// fails keeps what was shown and says so (`error`).
import type { EventDay } from '../bindings/EventDay';
import type { EventRow } from '../bindings/EventRow';
import type { FileDetail } from '../bindings/FileDetail';
import type { QueueEntry } from '../bindings/QueueEntry';
import type { ScanStatus } from '../bindings/ScanStatus';
import type { ThroughputPoint } from '../bindings/ThroughputPoint';
import type { UserError } from '../bindings/UserError';
import * as ipc from '../ipc';
import { RateWindow } from './rates';
import { read, reads } from '../read';

export const QUEUE_LIMIT = 200;
export const EVENTS_LIMIT = 200;
export const THROUGHPUT_MINUTES = 60;

export const EVENT_KINDS = ['modify', 'share', 'read', 'delete', 'other'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Rates the window measures itself (core gives the files-scanned one). */
export interface Rates {
  usersPerMinute: number | null;
  discoveredPerMinute: number | null;
  foldersPerMinute: number | null;
  eventsPerMinute: number | null;
  /** Share of the backfill window covered per minute. */
  backfillPerMinute: number | null;
}

const NO_RATES: Rates = {
  usersPerMinute: null,
  discoveredPerMinute: null,
  foldersPerMinute: null,
  eventsPerMinute: null,
  backfillPerMinute: null,
};

export interface OpenFile {
  fileId: string;
  /** `undefined` while loading, `null` when the scan has never seen it. */
  file: FileDetail | null | undefined;
  error: UserError | null;
}

export class ScanData {
  status = $state<ScanStatus | null>(null);
  queue = $state<QueueEntry[] | null>(null);
  throughput = $state<ThroughputPoint[] | null>(null);
  events = $state<EventRow[] | null>(null);
  days = $state<EventDay[] | null>(null);
  /** The events list's filter; `null` for every kind. */
  kind = $state<EventKind | null>(null);
  open = $state<OpenFile | null>(null);
  /** The last read or action that failed; what is shown stays. */
  error = $state<UserError | null>(null);
  busy = $state<'pause' | 'resume' | null>(null);
  rates = $state<Rates>(NO_RATES);

  private windows = {
    users: new RateWindow(),
    discovered: new RateWindow(),
    folders: new RateWindow(),
    events: new RateWindow(),
    backfill: new RateWindow(),
  };

  /** Takes a status (pushed or read) and measures the rates from it. */
  applyStatus(status: ScanStatus, at = Date.now()) {
    if (this.status && this.status.connection_id !== status.connection_id) {
      // Another enterprise: nothing shown belongs to it.
      Object.values(this.windows).forEach((w) => w.clear());
      this.queue = this.throughput = this.events = this.days = null;
      this.open = null;
    }
    const scan = status.scan;
    this.windows.users.add(scan.users_done, at);
    this.windows.discovered.add(scan.files_discovered, at);
    this.windows.folders.add(scan.folders_done, at);
    this.windows.events.add(status.events.ingested, at);
    this.windows.backfill.add(status.events.backfill_done_ratio, at);
    this.rates = {
      usersPerMinute: this.windows.users.perMinute(),
      discoveredPerMinute: this.windows.discovered.perMinute(),
      foldersPerMinute: this.windows.folders.perMinute(),
      eventsPerMinute: this.windows.events.perMinute(),
      backfillPerMinute: this.windows.backfill.perMinute(),
    };
    this.status = status;
  }

  refreshStatus = () => this.show([read(ipc.scanStatus(), (s) => this.applyStatus(s))]);

  /** What the Scan view shows. */
  refreshScan = () =>
    this.show([
      read(ipc.scanStatus(), (s) => this.applyStatus(s)),
      read(ipc.scanQueue(QUEUE_LIMIT), (q) => (this.queue = q)),
      read(ipc.scanThroughput(THROUGHPUT_MINUTES), (t) => (this.throughput = t)),
    ]);

  /** The queue alone: the Scan view reads it again as the queue changes. */
  refreshQueue = () => this.show([read(ipc.scanQueue(QUEUE_LIMIT), (q) => (this.queue = q))]);

  /** What the Events view shows. */
  refreshEvents = () =>
    this.show([
      read(ipc.scanStatus(), (s) => this.applyStatus(s)),
      read(ipc.eventDays(), (d) => (this.days = d)),
      this.readEvents(),
    ]);

  setKind = (kind: EventKind | null) => {
    this.kind = kind;
    return this.show([this.readEvents()]);
  };

  private readEvents() {
    const kind = this.kind;
    return read(ipc.scanEvents(null, kind, EVENTS_LIMIT), (rows) => {
      // A slower answer for a filter no longer chosen is dropped.
      if (this.kind === kind) this.events = rows;
    });
  }

  openFile = async (fileId: string) => {
    this.open = { fileId, file: undefined, error: null };
    try {
      const file = await ipc.fileDetail(fileId);
      if (this.open?.fileId === fileId) this.open = { fileId, file, error: null };
    } catch (e) {
      if (this.open?.fileId === fileId) this.open = { fileId, file: null, error: ipc.toUserError(e) };
    }
  };

  closeFile = () => {
    this.open = null;
  };

  pause = () => this.act('pause', ipc.pauseScan);
  resume = () => this.act('resume', ipc.resumeScan);

  private async act(action: 'pause' | 'resume', run: () => Promise<ScanStatus>) {
    this.busy = action;
    try {
      this.applyStatus(await run());
      this.error = null;
    } catch (e) {
      this.error = ipc.toUserError(e);
    } finally {
      if (this.busy === action) this.busy = null;
    }
  }

  /** Reads that belong together: `error` says whether any of them failed. */
  private async show(pending: Promise<UserError | null>[]) {
    this.error = await reads(pending);
  }
}
