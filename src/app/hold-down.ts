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
  const settled = (): boolean => Date.now() - startedAt >= options.startupMs || topology.switchList().every((s) => s.connected);
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
        // The switch-up that brought this switch is still being delivered: let every subscriber see it first.
        setImmediate(() => {
          for (const p of planners) p.flush();
          log.debug('hold-down over', { dpid, why, afterMs: Date.now() - startedAt });
          resolve();
        });
      };
      const check = (): void => {
        if (settled()) end('topology settled');
      };
      timers.push(setTimeout(() => end(`${options.maxMs} ms passed`), options.maxMs));
      timers.push(setTimeout(check, Math.max(0, startedAt + options.startupMs - Date.now())));
      // graph$ replays the current graph at once, and again whenever a link (a switch's ports with it) comes or goes.
      subscription = topology.graph$.subscribe(check);
      if (over) subscription.unsubscribe();
    });
  };
}
