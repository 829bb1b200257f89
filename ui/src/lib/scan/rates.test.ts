import { describe, expect, it } from 'vitest';
import { etaSeconds, RateWindow } from './rates';

describe('scan rates', () => {
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
