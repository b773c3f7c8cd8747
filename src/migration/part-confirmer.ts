import type { FlowManager } from '../controller/flow-manager.js';
import type { PartWait } from './vm-parts.js';

/**
 * How the migration learns that the switches holding a VM's part have it: by barrier, from
 * this member's own reconcilers; in a cluster also from the members that master the other
 * switches (src/cluster/cluster-confirmer.ts).
 */
export interface PartConfirmer {
  /** Resolves when every switch of `wait` holds its plan version; rejects naming why one cannot. */
  confirmed(wait: PartWait): Promise<void>;
  /** The switches of `wait` that do not hold it yet. */
  unconfirmed(wait: PartWait): string[];
}

/** One member alone: every switch is its own, confirmed by barrier. */
export const byBarrier = (flows: FlowManager): PartConfirmer => ({
  confirmed: (wait) => flows.confirmed(wait.dpids, wait.version),
  unconfirmed: (wait) => flows.unconfirmed(wait.dpids, wait.version),
});
