// Generated from src-tauri/src/commands.rs by the shell's bindings test. Do not edit.

import { invoke, type Channel } from '@tauri-apps/api/core';
import type { CoreEvent } from './CoreEvent';
import type { CustomSettings } from './CustomSettings';
import type { Snapshot } from './Snapshot';

/** Every IPC command, by name, with its arguments' types. */
export const commands = {
  appStart: (events: Channel<CoreEvent>) => invoke<Snapshot>('app_start', { events }),
  selectDatacenter: (id: string) => invoke<Snapshot>('select_datacenter', { id }),
  setClientSecret: (datacenterId: string, secret: string) => invoke<Snapshot>('set_client_secret', { datacenterId, secret }),
  saveCustomSettings: (settings: CustomSettings) => invoke<Snapshot>('save_custom_settings', { settings }),
  connect: () => invoke<Snapshot>('connect'),
  cancelConnect: () => invoke<Snapshot>('cancel_connect'),
  submitRedirectUrl: (url: string) => invoke<Snapshot>('submit_redirect_url', { url }),
  runApiTest: () => invoke<Snapshot>('run_api_test'),
  disconnect: () => invoke<Snapshot>('disconnect'),
  moveDatabaseAside: () => invoke<Snapshot>('move_database_aside'),
};
