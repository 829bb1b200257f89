// The one error shape the UI shows. The generated command callers
// (bindings/commands.ts) reject with it, whatever the shell threw.
import type { ErrorCode } from './bindings/ErrorCode';
import type { UserError } from './bindings/UserError';

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
