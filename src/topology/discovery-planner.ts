import type { FlowEntry, SwitchTables } from '../controller/flow-tables.js';
import { PIPELINE, TABLE } from '../controller/pipeline.js';
import { PortNo, act, inst } from '../openflow/index.js';
import { ETH_TYPE } from '../packet/ethernet.js';

export const DISCOVERY_COOKIE = PIPELINE.discovery.cookie;
const PRIORITY = PIPELINE.discovery.priority;

/**
 * The flows topology discovery needs on a switch: LLDP probes back to the controller, above
 * everything else. With a topology file, only from the switch's declared switch-to-switch
 * ports: LLDP from any other port (a tenant's VM) is dropped in the switch, so a forged
 * probe never even reaches the controller. Without a file (`fabricPorts` undefined), LLDP
 * from every port, and a table-miss flow to the controller so that hosts are still learned.
 */
export function planDiscovery(fabricPorts: readonly number[] | undefined): SwitchTables {
  const toController = [inst.apply([act.output(PortNo.CONTROLLER)])];
  const flow = (priority: number, match: FlowEntry['match'], instructions: FlowEntry['instructions']): FlowEntry => ({ tableId: TABLE.ingress, priority, cookie: DISCOVERY_COOKIE, match, instructions });
  if (fabricPorts === undefined) {
    return { flows: [flow(PRIORITY.lldp, { eth_type: ETH_TYPE.LLDP }, toController), flow(PRIORITY.tableMiss, {}, toController)], groups: [] };
  }
  return {
    flows: [
      ...fabricPorts.map((port) => flow(PRIORITY.lldp, { in_port: port, eth_type: ETH_TYPE.LLDP }, toController)),
      flow(PRIORITY.lldpDrop, { eth_type: ETH_TYPE.LLDP }, []),
    ],
    groups: [],
  };
}
