import { describe, expect, it } from 'vitest';
import { count, duration, perMinute } from './format';
import { etaSeconds, RateWindow } from './rates';

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

  it('measures a rate over its window and starts over when the count drops', () => {
    const w = new RateWindow(60_000);
    w.add(0, 0);
    w.add(10, 1_000);
    expect(w.perMinute()).toBeNull(); // too short a span to say
    w.add(100, 30_000);
    expect(w.perMinute()).toBe(200);
    // Old samples leave the window.
    w.add(130, 90_000);
    expect(w.perMinute()).toBe(30);
    // A new scan.
    w.add(5, 91_000);
    expect(w.perMinute()).toBeNull();
    expect(etaSeconds(50, 10)).toBe(300);
    expect(etaSeconds(0, null)).toBe(0);
    expect(etaSeconds(5, null)).toBeNull();
  });
});
