import type { Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import type { TopologyService } from '../topology/topology-service.js';

export interface HoldDownOptions {
  /** After the controller starts, how long a switch waits for every declared switch to connect. */
  startupMs: number;
  /** How long any switch waits at most. */
  maxMs: number;
}

export const DEFAULT_HOLD_DOWN: HoldDownOptions = { startupMs: 5_000, maxMs: 5_000 };

/**
 * The hold-down of a warm restart: a switch that connects is reconciled only once the
 * topology it is planned from is the one it had, not one made before its neighbours came
 * back (which would delete routes and put them back a moment later). A link's state is known
 * as soon as both its switches are connected (their ports come with the handshake), so in
 * the first `startupMs` after the controller starts, a switch waits until every declared
 * switch is connected; after that (a switch that reconnects alone) it waits for nothing but
 * its own connection. Then the routes and the migrations of that topology are planned at
 * once (`planners`), without their coalescing delay. `maxMs` bounds every wait. A switch the file does not declare,
 * or no file, is not held.
 */
export function holdDown(topology: TopologyService, planners: ReadonlyArray<{ flush(): void }>, log: Logger, options: HoldDownOptions = DEFAULT_HOLD_DOWN): (dpid: string) => Promise<void> {
  const startedAt = Date.now();
  // Set by the start-up timer itself: a timer may fire a millisecond before Date.now() says the window is over, and nothing would check again.
  let startupOver = options.startupMs <= 0;
  const settled = (): boolean => startupOver || Date.now() - startedAt >= options.startupMs || topology.allConnected();
  // The switches held share one watch of the topology and are released together: with 2,000
  // switches held, a check and a re-plan per switch per change would be quadratic.
  interface Waiter {
    dpid: string;
    resolve: () => void;
    deadline: NodeJS.Timeout;
    why: string;
  }
  const waiting = new Set<Waiter>();
  let released: Waiter[] = [];
  let watch: Subscription | undefined;
  let startupTimer: NodeJS.Timeout | undefined;
  const release = (ws: readonly Waiter[], why: string): void => {
    for (const w of ws) {
      waiting.delete(w);
      clearTimeout(w.deadline);
      w.why = why;
    }
    if (waiting.size === 0) {
      watch?.unsubscribe();
      watch = undefined;
      clearTimeout(startupTimer);
      startupTimer = undefined;
    }
    if (released.length === 0) {
      // The switch-up that brought a switch is still being delivered: let every subscriber see it first.
      setImmediate(() => {
        const batch = released;
        released = [];
        for (const p of planners) p.flush();
        for (const w of batch) {
          log.debug('hold-down over', { dpid: w.dpid, why: w.why, afterMs: Date.now() - startedAt });
          w.resolve();
        }
      });
    }
    released.push(...ws);
  };
  const check = (): void => {
    if (waiting.size > 0 && settled()) release([...waiting], 'topology settled');
  };
  return (dpid) => {
    if (!topology.declared?.switches.some((s) => s.dpid === dpid)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const w: Waiter = { dpid, resolve, why: '', deadline: setTimeout(() => release([w], `${options.maxMs} ms passed`), options.maxMs) };
      waiting.add(w);
      const untilStartupEnds = startedAt + options.startupMs - Date.now();
      if (untilStartupEnds > 0) {
        startupTimer ??= setTimeout(() => {
          startupOver = true;
          check();
        }, untilStartupEnds);
      }
      if (watch) return check();
      // graph$ replays the current graph at once (which may release this switch), and again whenever a link (a switch's ports with it) comes or goes.
      const subscription = topology.graph$.subscribe(check);
      if (waiting.size > 0) watch = subscription;
      else subscription.unsubscribe();
    });
  };
}
