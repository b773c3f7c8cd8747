import type { Subscription } from 'rxjs';
import type { Logger } from '../log/logger.js';
import type { TopologyService } from '../topology/topology-service.js';
import type { Planning } from './planning.js';

export interface HoldDownOptions {
  /** After the controller starts, how long a switch waits for every declared switch to connect. */
  startupMs: number;
  /** How long any switch waits at most. */
  maxMs: number;
}

export const DEFAULT_HOLD_DOWN: HoldDownOptions = { startupMs: 5_000, maxMs: 5_000 };

/**
 * The hold-down of a warm restart: a switch that connects is reconciled only once the
 * topology around it has settled, so that the first plan it is compared with is the plan it
 * had, not one made before its links came back (which would delete routes and put them back
 * a moment later). Settled: every declared link whose two switches are connected is up, and,
 * in the first `startupMs` after the controller started, every declared switch is connected
 * (they all come back after a restart); or `maxMs` passed. Then the routes of that topology
 * are planned at once. A switch the file does not declare, or no file, is not held.
 */
export function holdDown(topology: TopologyService, planning: Planning, log: Logger, options: HoldDownOptions = DEFAULT_HOLD_DOWN): (dpid: string) => Promise<void> {
  const startedAt = Date.now();
  const settled = (): boolean => {
    const switches = topology.switchList();
    const connected = new Set(switches.filter((s) => s.connected).map((s) => s.name));
    if (connected.size < switches.length && Date.now() - startedAt < options.startupMs) return false;
    return topology.linkList().every((l) => !l.declared || l.up || !connected.has(l.a.switch) || !connected.has(l.b.switch));
  };
  return (dpid) => {
    if (!topology.declared?.switches.some((s) => s.dpid === dpid)) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let over = false;
      let subscription: Subscription | undefined;
      const timers: NodeJS.Timeout[] = [];
      const end = (why: string): void => {
        if (over) return;
        over = true;
        for (const t of timers) clearTimeout(t);
        subscription?.unsubscribe();
        planning.flush();
        log.debug('hold-down over', { dpid, why, afterMs: Date.now() - startedAt });
        resolve();
      };
      const check = (): void => {
        if (settled()) end('topology settled');
      };
      timers.push(setTimeout(() => end(`${options.maxMs} ms passed`), options.maxMs));
      timers.push(setTimeout(check, Math.max(0, startedAt + options.startupMs - Date.now())));
      // graph$ replays the current graph at once, and again on every link that goes up or down.
      subscription = topology.graph$.subscribe(check);
      if (over) subscription.unsubscribe();
    });
  };
}
