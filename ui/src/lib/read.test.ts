import { describe, expect, it } from 'vitest';
import type { UserError } from './bindings/UserError';
import { read, reads } from './read';

describe('reads from core', () => {
  it('hands a value to the view, or resolves the error and keeps what was shown', async () => {
    let shown = 'before';
    expect(await read(Promise.resolve('after'), (v) => (shown = v))).toBeNull();
    expect(shown).toBe('after');
    const failed: UserError = { code: 'network', message: 'Box is out of reach', hint: 'Check the network' };
    expect(await read(Promise.reject(failed), (v: string) => (shown = v))).toEqual(failed);
    expect(shown).toBe('after');
  });

  it('says the first failure of reads that belong together', async () => {
    const first: UserError = { code: 'network', message: 'one', hint: '' };
    const second: UserError = { code: 'rate_limited', message: 'two', hint: '' };
    expect(await reads([Promise.resolve(null), Promise.resolve(first), Promise.resolve(second)])).toBe(first);
    expect(await reads([Promise.resolve(null), Promise.resolve(null)])).toBeNull();
  });
});
