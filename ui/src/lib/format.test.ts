import { describe, expect, it } from 'vitest';
import { count, duration, perMinute } from './format';

describe('scan figures', () => {
  it('words durations with two units at most', () => {
    expect(duration(45)).toBe('45 s');
    expect(duration(450)).toBe('8 min');
    expect(duration(3 * 3600 + 5 * 60)).toBe('3 h 5 min');
    expect(duration(2 * 86400 + 4 * 3600 + 59)).toBe('2 d 4 h');
    expect(duration(null)).toBe('—');
  });

  it('gives rates per minute, or per second when large', () => {
    expect(perMinute(1200, 'files')).toBe('20 files/s');
    expect(perMinute(42, 'users')).toBe('42 users/min');
    expect(perMinute(2.5, 'users')).toBe('2.5 users/min');
    expect(perMinute(null, 'files')).toBe('—');
    expect(count(1234567)).toBe('1,234,567');
  });
});
