import { plannerCookie, type SwitchTables } from '../controller/flow-tables.js';
import { PortNo, act, inst } from '../openflow/index.js';
import { ETH_TYPE } from '../packet/ethernet.js';

/** Cookie of the discovery planner's flows (owner 1). */
export const DISCOVERY_COOKIE = plannerCookie(1);

/**
 * The flows topology discovery needs on every switch: LLDP probes back to the controller,
 * above everything else. Without a fabric (no topology file), also a table-miss flow to the
 * controller, so that hosts are still learned from their traffic.
 */
export function planDiscovery(tableMissToController: boolean): SwitchTables {
  const toController = [inst.apply([act.output(PortNo.CONTROLLER)])];
  return {
    flows: [
      { tableId: 0, priority: 0xffff, cookie: DISCOVERY_COOKIE, match: { eth_type: ETH_TYPE.LLDP }, instructions: toController },
      ...(tableMissToController ? [{ tableId: 0, priority: 0, cookie: DISCOVERY_COOKIE, match: {}, instructions: toController }] : []),
    ],
    groups: [],
  };
}
