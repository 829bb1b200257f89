// Rates of the scan's growing counters (users walked, files discovered,
// folders listed) from the statuses the window has seen. Core gives the
// files-scanned rate and ETA itself; these fill in the other bars.

interface Sample {
  at: number;
  value: number;
}

/** Per-minute rate of one counter over a sliding window of samples. */
export class RateWindow {
  private samples: Sample[] = [];

  constructor(
    private windowMs = 120_000,
    /** Shorter spans give noise, not a rate. */
    private minSpanMs = 5_000,
  ) {}

  add(value: number, at = Date.now()) {
    const last = this.samples.at(-1);
    // A smaller count is a new scan (or another enterprise): start over.
    if (last && value < last.value) this.samples = [];
    if (last && at <= last.at) this.samples.pop();
    this.samples.push({ at, value });
    while (this.samples.length > 2 && at - this.samples[0].at > this.windowMs) this.samples.shift();
  }

  clear() {
    this.samples = [];
  }

  /** `null` until the samples span enough time to say. */
  perMinute(): number | null {
    const first = this.samples[0];
    const last = this.samples.at(-1);
    if (!first || !last || last.at - first.at < this.minSpanMs) return null;
    return ((last.value - first.value) * 60_000) / (last.at - first.at);
  }
}

/** Seconds to do `remaining` at `perMinute`; 0 when nothing remains, `null` when unknown. */
export function etaSeconds(remaining: number, perMinute: number | null): number | null {
  if (remaining <= 0) return 0;
  if (!perMinute || perMinute <= 0) return null;
  return (remaining / perMinute) * 60;
}
