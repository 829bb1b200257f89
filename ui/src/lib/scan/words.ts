// How the scan views word core's values.
import type { FileHistoryEntry } from '../bindings/FileHistoryEntry';
import type { QueueEntry } from '../bindings/QueueEntry';
import type { ScanState } from '../bindings/ScanState';
import type { HistoryLine, Tone } from '../components/History.svelte';

export const SCAN_STATE: Record<ScanState, { cls: string; text: string; detail: string }> = {
  not_started: { cls: '', text: 'Not started', detail: 'The scan starts by itself once connected.' },
  running: { cls: 'info', text: 'Scanning', detail: 'Reading events, walking folders and working the queue.' },
  paused: { cls: 'warn', text: 'Paused', detail: 'Paused: nothing is sent to Box until you resume.' },
  offline: { cls: 'warn', text: 'Offline', detail: "Box can't be reached. The scan waits and resumes by itself." },
  idle: { cls: 'good', text: 'Up to date', detail: 'The full scan is done and the queue is empty: following live events.' },
  elsewhere_running: {
    cls: 'info',
    text: 'Running elsewhere',
    detail: 'Another Box Connector process (the CLI or another window) runs this scan; this window shows its progress.',
  },
  needs_attention: { cls: 'bad', text: 'Needs attention', detail: 'The connection needs you before the scan can go on.' },
};

export const KIND_LABEL: Record<string, string> = {
  modify: 'Modify',
  share: 'Share',
  read: 'Read',
  delete: 'Delete',
  other: 'Other',
};

/** Why a file is in the queue, in words ("Event: EDIT"). */
export function reasonText(entry: Pick<QueueEntry, 'reason' | 'reason_detail'>): string {
  switch (entry.reason) {
    case 'full_scan':
      return 'Full scan';
    case 'event':
      return entry.reason_detail ? `Event: ${entry.reason_detail}` : 'Event';
    case 'changed_etag':
      return 'Changed since its last scan';
    case 'periodic':
      return 'Periodic rescan';
    default:
      return entry.reason_detail ? `${entry.reason}: ${entry.reason_detail}` : entry.reason;
  }
}

export function queueStateText(entry: Pick<QueueEntry, 'state' | 'attempts'>): string {
  switch (entry.state) {
    case 'queued':
      return entry.attempts ? `Queued (retry ${entry.attempts})` : 'Queued';
    case 'leased':
      return 'Scanning now';
    case 'failed':
      return `Failed after ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}`;
    default:
      return entry.state;
  }
}

export const HISTORY_WHAT: Record<string, string> = {
  discovered: 'Discovered',
  event: 'Event',
  scanned: 'Scanned',
  failed: 'Scan failed',
  removed: 'Removed',
};

const HISTORY_TONE: Record<string, Tone> = {
  scanned: 'good',
  event: 'accent',
  failed: 'bad',
  removed: 'bad',
};

/** A file's history in words: a scan's detail is its reason. */
export function fileHistoryLines(history: FileHistoryEntry[]): HistoryLine[] {
  return history.map((h) => ({
    at: h.at,
    what: h.what,
    label: HISTORY_WHAT[h.what] ?? h.what,
    tone: HISTORY_TONE[h.what] ?? null,
    detail: h.detail && (h.what === 'scanned' ? reasonText({ reason: h.detail, reason_detail: null }) : h.detail),
  }));
}
