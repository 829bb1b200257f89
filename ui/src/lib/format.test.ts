import { describe, expect, it } from 'vitest';
import { bytes, bytesPerSecond, count, duration, perMinute } from './format';

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

describe('byte figures', () => {
  it('words sizes in decimal units with three significant digits', () => {
    expect(bytes(0)).toBe('0 B');
    expect(bytes(999)).toBe('999 B');
    expect(bytes(1000)).toBe('1.00 KB');
    expect(bytes(1_536_000)).toBe('1.54 MB');
    expect(bytes(12_345_678_901)).toBe('12.3 GB');
    expect(bytes(250_000_000_000)).toBe('250 GB');
    // Rounding up to the next unit says so, not "1000 KB".
    expect(bytes(999_999)).toBe('1.00 MB');
    expect(bytes(null)).toBe('—');
    expect(bytes(-1)).toBe('—');
  });

  it('words download rates per second', () => {
    expect(bytesPerSecond(3_400_000)).toBe('3.40 MB/s');
    expect(bytesPerSecond(0)).toBe('0 B/s');
    expect(bytesPerSecond(Number.NaN)).toBe('—');
  });
});
