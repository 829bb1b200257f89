// How every view's data reads from core: a read hands its value to the view
// when it arrives, or resolves the error it failed with, so a failed read
// leaves what was shown in place and the view only says that it failed.
import type { UserError } from './bindings/UserError';
import { toUserError } from './ipc';

/** One read: `keep` takes the value; resolves the error instead of throwing. */
export async function read<T>(pending: Promise<T>, keep: (value: T) => void): Promise<UserError | null> {
  try {
    keep(await pending);
    return null;
  } catch (e) {
    return toUserError(e);
  }
}

/** Reads that belong together: resolves the first of their errors, or `null` when all succeeded. */
export async function reads(pending: Promise<UserError | null>[]): Promise<UserError | null> {
  const errors = await Promise.all(pending);
  return errors.find((e) => e !== null) ?? null;
}
