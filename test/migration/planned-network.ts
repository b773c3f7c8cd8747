import assert from 'node:assert/strict';
import type { SwitchTables } from '../../src/controller/flow-tables.js';
import { PIPELINE } from '../../src/controller/pipeline.js';
import { simulate } from '../../src/controller/simulator.js';
import { fabricContext, planFabric } from '../../src/fabric/fabric-planner.js';
import { offlineNetwork } from '../../src/fabric/trace-service.js';
import { planArpAnswers } from '../../src/migration/arp-answers.js';
import { planMigration, type Placement } from '../../src/migration/migration-planner.js';
import { PortNo } from '../../src/openflow/index.js';
import { fabricGraph } from '../../src/topology/fabric-graph.js';
import { portKey, type Topology } from '../../src/topology/model.js';
import { networkOf, networkOf6, networksOf } from '../../src/topology/networks.js';
import type { trace, TraceNetwork } from '../../src/topology/trace.js';

/**
 * A datacenter's planned tables with one VM (`placement.hoa`) moved to `vmAt` and its
 * migration's entries in force, for svcswitch trace: the fabric's, the migration's, and
 * abroad the Foreign switch's answers for the Home Network's known addresses (ArpAnswerParts).
 */
export function plannedNetwork(topology: Topology, vmAt: { switch: string; port: number }, placement: Placement): { net: TraceNetwork; moved: ReturnType<typeof offlineNetwork>['hosts'] } {
  const graph = fabricGraph(topology, new Set());
  const { hosts, tables } = offlineNetwork(topology);
  const moved = hosts.map((h) => (h.ip === placement.hoa ? { ...h, ...vmAt } : h));
  const fabric = planFabric({ topology, hosts: moved, graph });
  const migration = planMigration(fabricContext(topology), graph, placement);
  const networks = networksOf(topology);
  const home = networkOf(networks, placement.hoa)!;
  const known = moved.flatMap((h) => [h.ip, h.ip6]).filter((a): a is string => a !== undefined && (a.includes(':') ? networkOf6(networks, a) : networkOf(networks, a)) === home);
  const answers = placement.at.coa === undefined ? undefined : planArpAnswers(home, known);
  const merged = new Map<string, SwitchTables>();
  for (const [sw, t] of tables) {
    const f = fabric.get(sw)!;
    const m = migration.get(sw) ?? { flows: [], groups: [] };
    const a = sw === placement.at.switch ? (answers?.flows ?? []) : [];
    merged.set(sw, { flows: [...t.flows.filter((x) => x.cookie !== PIPELINE.fabric.cookie), ...f.flows, ...m.flows, ...a], groups: [...f.groups, ...m.groups] });
  }
  const peers = new Map(topology.links.flatMap((l) => [[portKey(l.a), l.b], [portKey(l.b), l.a]] as const));
  return { net: { tables: (sw: string) => merged.get(sw), peer: (at: { switch: string; port: number }) => peers.get(portKey(at)), portLive: () => true }, moved };
}

/** Every copy of one packet (ALL groups copy it), to the host ports it reaches: "switch:port" -> [destination address, eth_dst] of each copy. */
export function copies(net: TraceNetwork, start: { switch: string; port: number }, packet: Parameters<typeof trace>[2]): Map<string, string[][]> {
  const out = new Map<string, string[][]>();
  const walk = (at: { switch: string; port: number }, pkt: typeof packet, depth: number): void => {
    assert.ok(depth < 16, 'no loop');
    for (const o of simulate(net.tables(at.switch)!, at.port, pkt).outputs) {
      if (o.port === 'controller') continue;
      const port = o.port === PortNo.IN_PORT ? at.port : o.port;
      const peer = net.peer({ switch: at.switch, port });
      if (peer) walk(peer, o.packet, depth + 1);
      else out.set(`${at.switch}:${port}`, [...(out.get(`${at.switch}:${port}`) ?? []), [String(o.packet.ipv4_dst ?? o.packet.ipv6_dst), String(o.packet.eth_dst)]]);
    }
  };
  walk(start, packet, 0);
  return out;
}
