import type { Logger } from './logger.js';

interface Window {
  start: number;
  logged: number;
  suppressed: number;
  level: string;
  message: string;
}

/**
 * Log lines that an outsider can trigger at will (a switch's errors, a host's refused claims)
 * go through here: at most `burst` lines per key in each `windowMs`; the rest are counted,
 * and the count is logged once the window ends. The table of keys is bounded too.
 */
export class RateLimitedLog {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly log: Logger,
    private readonly burst = 5,
    private readonly windowMs = 10_000,
    private readonly maxKeys = 1024,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `message` unless `key` used up its lines in this window. True when it was written. */
  write(level: 'warn' | 'info' | 'error' | 'debug', key: string, message: string, meta: Record<string, unknown>): boolean {
    const t = this.now();
    let w = this.windows.get(key);
    if (w !== undefined && t - w.start >= this.windowMs) {
      this.flush(key, w);
      w = undefined;
    }
    if (w === undefined) {
      if (this.windows.size >= this.maxKeys) this.flushAll();
      w = { start: t, logged: 0, suppressed: 0, level, message };
      this.windows.set(key, w);
    }
    if (w.logged < this.burst) {
      w.logged++;
      this.log.log(level, message, meta);
      return true;
    }
    w.suppressed++;
    return false;
  }

  /** Writes the pending counts (on shutdown, and when the key table is full). */
  flushAll(): void {
    for (const [key, w] of this.windows) this.flush(key, w);
  }

  private flush(key: string, w: Window): void {
    this.windows.delete(key);
    if (w.suppressed > 0) this.log.log(w.level, `${w.message} (${w.suppressed} more like this were not logged)`, { suppressed: w.suppressed, key, windowMs: this.now() - w.start });
  }
}
