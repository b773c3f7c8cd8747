import { auditTime, map, merge, startWith, type Observable } from 'rxjs';
import type { DesiredState } from '../controller/flow-manager.js';
import type { SwitchTables } from '../controller/flow-tables.js';
import { planFabric } from '../fabric/fabric-planner.js';
import { planDiscovery } from '../topology/discovery-planner.js';
import type { Topology } from '../topology/model.js';
import type { TopologyService } from '../topology/topology-service.js';

/** Several planners' tables for one switch, as one table set (each planner's flows carry its own cookie). */
function mergeTables(...parts: SwitchTables[]): SwitchTables {
  return { flows: parts.flatMap((p) => p.flows), groups: parts.flatMap((p) => p.groups) };
}

/**
 * The desired tables of every declared switch, recomputed (at most every `coalesceMs`) when
 * hosts or links change. Planners are pure; this is the only place that combines them.
 */
export function desiredState$(topology: TopologyService, coalesceMs = 20): Observable<DesiredState> {
  const declared = topology.declared;
  const changes$ = merge(topology.events$, topology.graph$);
  return changes$.pipe(
    startWith(undefined),
    auditTime(coalesceMs),
    map(() => {
      const state = new Map<string, SwitchTables>();
      if (!declared) return state;
      const fabric = planFabric({ topology: declared, hosts: topology.hostList(), graph: topology.graph() });
      for (const sw of declared.switches) state.set(sw.dpid, mergeTables(planDiscovery(fabricPorts(declared, sw.name)), fabric.get(sw.name) ?? { flows: [], groups: [] }));
      return state;
    }),
  );
}

/** The ports of switch `name` that the file declares as links. */
const fabricPorts = (t: Topology, name: string): number[] => t.links.flatMap((l) => [l.a, l.b]).filter((e) => e.switch === name).map((e) => e.port);

/**
 * What a switch the topology file does not declare gets (when such switches are let in):
 * LLDP from no port; with no file at all, LLDP from every port and learning by table-miss.
 */
export const undeclaredSwitchTables = (topology: TopologyService): SwitchTables => planDiscovery(topology.declared === undefined ? undefined : []);
