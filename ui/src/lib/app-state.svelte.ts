// The UI's copy of core's state: the snapshot from `app_start`, kept current
// by the events core pushes, plus what only the UI knows (which action is
// running, the last error to show).
import type { ApiTestReport } from './bindings/ApiTestReport';
import type { CoreEvent } from './bindings/CoreEvent';
import type { CustomSettings } from './bindings/CustomSettings';
import type { DataCenterView } from './bindings/DataCenterView';
import type { Snapshot } from './bindings/Snapshot';
import type { UserError } from './bindings/UserError';
import { FindingsData } from './findings/state.svelte';
import { GovernData } from './govern/state.svelte';
import * as ipc from './ipc';
import { ScanData } from './scan/state.svelte';

export type Action =
  | 'select'
  | 'connect'
  | 'cancel'
  | 'redirect'
  | 'api_test'
  | 'disconnect'
  | 'move_aside';

export class AppState {
  snapshot = $state<Snapshot | null>(null);
  /** Why the app could not load at all. */
  startError = $state<UserError | null>(null);
  /** The last failed action, shown in a banner until dismissed or replaced. */
  error = $state<UserError | null>(null);
  busy = $state<Action | null>(null);
  /** The running API test as it progresses (the snapshot holds the last finished one). */
  liveApiTest = $state<ApiTestReport | null>(null);
  /** The scan views' data (status pushed by core, the rest read by the views). */
  readonly scan = new ScanData();
  /** The Findings view's data (read by the view, from the store). */
  readonly findings: FindingsData;
  /** Governance: the switch, previews and actions, the audit log, policies, alerts. */
  readonly govern: GovernData;

  constructor(findings = new FindingsData(), govern = new GovernData()) {
    this.findings = findings;
    this.govern = govern;
  }

  selected: DataCenterView | undefined = $derived(
    this.snapshot?.datacenters.find((d) => d.id === this.snapshot?.selected_datacenter),
  );
  apiTest: ApiTestReport | null = $derived(this.liveApiTest ?? this.snapshot?.last_api_test ?? null);

  async start() {
    try {
      this.snapshot = await ipc.start((event) => this.apply(event));
      this.startError = null;
    } catch (e) {
      this.startError = ipc.toUserError(e);
    }
  }

  /** Applies one pushed event. Exposed for tests. */
  apply(event: CoreEvent) {
    switch (event.type) {
      case 'snapshot_changed':
        this.snapshot = event.snapshot;
        if (event.snapshot.last_api_test?.finished_at) this.liveApiTest = null;
        break;
      case 'sign_in_started':
        if (this.snapshot) {
          this.snapshot.sign_in = event.sign_in;
          this.snapshot.connection.state = 'connecting';
        }
        break;
      case 'sign_in_finished':
        if (event.error) this.error = event.error;
        break;
      case 'api_test_progress':
        this.liveApiTest = event.report;
        break;
      case 'api_test_finished':
        this.liveApiTest = null;
        if (this.snapshot) this.snapshot.last_api_test = event.report;
        break;
      case 'health_changed':
        if (this.snapshot) this.snapshot.health = event.health;
        break;
      case 'scan_progress':
        this.scan.applyStatus(event.status);
        break;
      case 'action_progress':
        this.govern.applyProgress(event.progress);
        break;
      case 'action_finished':
        // An action ended (a policy's own too): the log shows it, the findings rescan.
        this.govern.entryFinished();
        break;
      case 'alerts_raised':
        this.govern.applyAlerts(event.alerts);
        break;
      case 'bring_to_front':
        // The shell raises the window; nothing to draw.
        break;
    }
  }

  private async run(action: Action, work: () => Promise<Snapshot | void>) {
    this.busy = action;
    this.error = null;
    this.dismissed = null;
    try {
      const next = await work();
      if (next) this.snapshot = next;
      return true;
    } catch (e) {
      this.error = ipc.toUserError(e);
      return false;
    } finally {
      if (this.busy === action) this.busy = null;
    }
  }

  select(id: string) {
    if (!this.snapshot || this.snapshot.selected_datacenter === id) return;
    // Show the choice at once; core confirms (and persists) it.
    this.snapshot.selected_datacenter = id;
    return this.run('select', () => ipc.selectDatacenter(id));
  }

  /** Saves what the form holds (secret to the keychain, Custom settings), then starts the sign-in. */
  connect(form: { secret?: string; custom?: CustomSettings }) {
    const dc = this.selected;
    if (!dc) return;
    return this.run('connect', async () => {
      if (form.custom) await ipc.saveCustomSettings(form.custom);
      if (form.secret) await ipc.setClientSecret(dc.id, form.secret);
      return ipc.connect();
    });
  }

  cancelConnect = () => this.run('cancel', ipc.cancelConnect);
  submitRedirectUrl = (url: string) => this.run('redirect', () => ipc.submitRedirectUrl(url));
  runApiTest = () => this.run('api_test', ipc.runApiTest);
  disconnect = () => this.run('disconnect', ipc.disconnect);
  moveDatabaseAside = () => this.run('move_aside', ipc.moveDatabaseAside);
  /** What the error banner shows: the last failed action, else the connection's
   *  last failure from core (a cancelled sign-in is the admin's own doing, not an error). */
  shownError: UserError | null = $derived.by(() => {
    const e = this.error ?? this.snapshot?.connection.error ?? null;
    if (!e || e.code === 'sign_in_cancelled') return null;
    return this.dismissed && this.dismissed.code === e.code && this.dismissed.message === e.message ? null : e;
  });
  private dismissed = $state<UserError | null>(null);

  dismissError = () => {
    this.dismissed = this.shownError;
    this.error = null;
  };
}
