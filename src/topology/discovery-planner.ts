import type { SwitchTables } from '../controller/flow-tables.js';
import { PIPELINE } from '../controller/pipeline.js';
import { PortNo, act, inst } from '../openflow/index.js';
import { ETH_TYPE } from '../packet/ethernet.js';

export const DISCOVERY_COOKIE = PIPELINE.discovery.cookie;
const PRIORITY = PIPELINE.discovery.priority;

/**
 * The flows topology discovery needs on every switch: LLDP probes back to the controller,
 * above everything else. Without a fabric (no topology file), also a table-miss flow to the
 * controller, so that hosts are still learned from their traffic.
 */
export function planDiscovery(tableMissToController: boolean): SwitchTables {
  const toController = [inst.apply([act.output(PortNo.CONTROLLER)])];
  return {
    flows: [
      { tableId: 0, priority: PRIORITY.lldp, cookie: DISCOVERY_COOKIE, match: { eth_type: ETH_TYPE.LLDP }, instructions: toController },
      ...(tableMissToController ? [{ tableId: 0, priority: PRIORITY.tableMiss, cookie: DISCOVERY_COOKIE, match: {}, instructions: toController }] : []),
    ],
    groups: [],
  };
}
