// The UI's copy of what the Findings view shows: the summary (chart, filter
// choices), one page of findings for the chosen filter, one finding's
// details, and the last export. Every read comes from the store through the
// shell, so it all works offline; a read that fails keeps what was shown and
// says so (`error`).
import type { ExportFormat } from '../bindings/ExportFormat';
import type { FindingDetail } from '../bindings/FindingDetail';
import type { FindingsPage } from '../bindings/FindingsPage';
import type { FindingsSummary } from '../bindings/FindingsSummary';
import type { UserError } from '../bindings/UserError';
import type { ExportState, PathChooser } from '../export';
import { clampOffset } from '../paging';
import { EMPTY_FORM, exportFileName, filterKey, PAGE_SIZE, toFilter, type FilterForm } from './query';
import * as ipc from '../ipc';
import { read, reads } from '../read';

export interface OpenFinding {
  findingId: number;
  /** `undefined` while loading, `null` when there is no such finding (any more). */
  detail: FindingDetail | null | undefined;
  error: UserError | null;
}

export class FindingsData {
  summary = $state<FindingsSummary | null>(null);
  page = $state<FindingsPage | null>(null);
  form = $state<FilterForm>({ ...EMPTY_FORM });
  offset = $state(0);
  open = $state<OpenFinding | null>(null);
  exported = $state<ExportState>({ state: 'idle' });
  /** What "Open in Box" last did: the URL opened, or why not. */
  opened = $state<{ url: string } | { error: UserError } | null>(null);
  /** The last read that failed; what is shown stays. */
  error = $state<UserError | null>(null);

  private connectionId: string | null | undefined = undefined;

  constructor(private choosePath: PathChooser = ipc.chooseExportPath) {}

  /** Another enterprise: nothing shown belongs to it. */
  forConnection = (id: string | null) => {
    if (this.connectionId !== undefined && this.connectionId !== id) {
      this.summary = this.page = this.open = this.opened = null;
      this.form = { ...EMPTY_FORM };
      this.offset = 0;
      this.exported = { state: 'idle' };
    }
    this.connectionId = id;
  };

  /** Everything the view shows, again (on open, every few seconds, on progress). */
  refresh = () => this.show([this.readSummary(), this.readPage()]);

  setForm = (form: FilterForm) => {
    this.form = { ...form };
    this.offset = 0;
    return this.show([this.readPage()]);
  };

  /** Shows the page that starts at `offset`. */
  goTo = (offset: number) => {
    this.offset = Math.max(0, offset);
    return this.show([this.readPage()]);
  };

  next = () => this.goTo(this.offset + PAGE_SIZE);
  prev = () => this.goTo(this.offset - PAGE_SIZE);

  private readSummary() {
    return read(ipc.findingsSummary(), (s) => (this.summary = s));
  }

  private readPage() {
    const filter = toFilter(this.form);
    const key = filterKey(filter);
    const offset = this.offset;
    return read(ipc.findings(filter, PAGE_SIZE, offset), (page) => {
      // A slower answer for a filter or page no longer chosen is dropped.
      if (filterKey(toFilter(this.form)) !== key || this.offset !== offset) return;
      const clamped = clampOffset(offset, page.total, PAGE_SIZE);
      if (clamped !== offset && page.rows.length === 0) {
        // The rows of this page closed meanwhile: show the last page there is.
        this.offset = clamped;
        void this.show([this.readPage()]);
        return;
      }
      this.page = page;
    });
  }

  openFinding = async (findingId: number) => {
    this.open = { findingId, detail: undefined, error: null };
    this.opened = null;
    try {
      const detail = await ipc.findingDetail(findingId);
      if (this.open?.findingId === findingId) this.open = { findingId, detail, error: null };
    } catch (e) {
      if (this.open?.findingId === findingId) this.open = { findingId, detail: null, error: ipc.toUserError(e) };
    }
  };

  closeFinding = () => {
    this.open = null;
    this.opened = null;
  };

  openInBox = async (fileId: string) => {
    try {
      this.opened = { url: await ipc.openFileInBox(fileId) };
    } catch (e) {
      this.opened = { error: ipc.toUserError(e) };
    }
  };

  /** Asks where to save, then has core write the findings of the current filter there. */
  exportAs = async (format: ExportFormat) => {
    const filter = toFilter(this.form);
    this.exported = { state: 'choosing', format };
    try {
      const path = await this.choosePath(format, exportFileName(format, filter));
      if (!path) {
        this.exported = { state: 'idle' };
        return;
      }
      this.exported = { state: 'writing', format };
      this.exported = { state: 'done', report: await ipc.exportFindings(filter, format, path) };
    } catch (e) {
      this.exported = { state: 'failed', error: ipc.toUserError(e) };
    }
  };

  dismissExport = () => {
    this.exported = { state: 'idle' };
  };

  /** Reads that belong together: `error` says whether any of them failed. */
  private async show(pending: Promise<UserError | null>[]) {
    this.error = await reads(pending);
  }
}
