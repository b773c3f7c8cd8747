import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FlowEntry, GroupEntry, SwitchTables } from '../../src/controller/flow-tables.js';
import { GroupType, PortNo, act, bucket, inst, type Action } from '../../src/openflow/index.js';
import type { SwitchRef } from '../../src/topology/events.js';
import { trace, type TraceNetwork } from '../../src/topology/trace.js';

/**
 * The trace walk on a hand-made network, a:2 <-> b:1 and b:2 <-> c:1, so that every verdict
 * (delivered, dropped and why, controller, loop, too many hops) and every hop's fields are
 * exact. The planned tables of a real datacenter are traced in test/fabric/trace.test.ts.
 */

const flow = (priority: number, match: FlowEntry['match'], actions: Action[]): FlowEntry => ({ tableId: 0, priority, cookie: 0n, match, instructions: [inst.apply(actions)] });
const LINKS: Array<[SwitchRef, SwitchRef]> = [[{ switch: 'a', port: 2 }, { switch: 'b', port: 1 }], [{ switch: 'b', port: 2 }, { switch: 'c', port: 1 }]];

function network(tables: Record<string, SwitchTables>, dead: string[] = []): TraceNetwork {
  return {
    tables: (sw) => tables[sw],
    peer: (at) => {
      for (const [x, y] of LINKS) {
        if (x.switch === at.switch && x.port === at.port) return y;
        if (y.switch === at.switch && y.port === at.port) return x;
      }
      return undefined;
    },
    portLive: (at) => !dead.includes(`${at.switch}:${at.port}`),
  };
}

const PKT = { eth_type: 0x0800, eth_src: '02:00:00:00:00:01', eth_dst: '02:00:00:00:00:02', ipv4_src: '10.0.1.10', ipv4_dst: '10.0.3.10', ttl: 64 };
const routed = (out: number): Action[] => [act.setField('eth_src', '02:53:56:00:00:01'), act.decNwTtl(), act.output(out)];

test('delivered: every hop with its in and out ports and the packet as it leaves; TTL down by one per router', () => {
  const net = network({
    a: { flows: [flow(10, { in_port: 1 }, routed(2))], groups: [] },
    b: { flows: [flow(10, { eth_type: 0x0800, ipv4_dst: '10.0.3.10' }, routed(2))], groups: [] },
    c: { flows: [flow(10, { eth_type: 0x0800 }, [act.setField('eth_dst', '02:00:00:00:03:0a'), act.output(7)])], groups: [] },
  });
  const r = trace(net, { switch: 'a', port: 1 }, PKT);
  assert.deepEqual(r, {
    result: 'delivered', at: { switch: 'c', port: 7 },
    hops: [
      { switch: 'a', inPort: 1, outPort: 2, packet: { eth_src: '02:53:56:00:00:01', eth_dst: '02:00:00:00:00:02', ipv4_src: '10.0.1.10', ipv4_dst: '10.0.3.10', ttl: 63 } },
      { switch: 'b', inPort: 1, outPort: 2, packet: { eth_src: '02:53:56:00:00:01', eth_dst: '02:00:00:00:00:02', ipv4_src: '10.0.1.10', ipv4_dst: '10.0.3.10', ttl: 62 } },
      { switch: 'c', inPort: 1, outPort: 7, packet: { eth_src: '02:53:56:00:00:01', eth_dst: '02:00:00:00:03:0a', ipv4_src: '10.0.1.10', ipv4_dst: '10.0.3.10', ttl: 62 } },
    ],
  });
});

test('dropped, with the reason: a switch without tables, no entry matched, the TTL run out', () => {
  assert.deepEqual(trace(network({ a: { flows: [flow(10, {}, [act.output(2)])], groups: [] } }), { switch: 'a', port: 1 }, PKT), {
    result: 'dropped', at: { switch: 'b', port: 1 }, reason: 'no tables for b',
    hops: [{ switch: 'a', inPort: 1, outPort: 2, packet: { eth_src: '02:00:00:00:00:01', eth_dst: '02:00:00:00:00:02', ipv4_src: '10.0.1.10', ipv4_dst: '10.0.3.10', ttl: 64 } }],
  });
  const none = trace(network({ a: { flows: [flow(10, { in_port: 9 }, [act.output(2)])], groups: [] } }), { switch: 'a', port: 1 }, PKT);
  assert.deepEqual([none.result, none.reason, none.hops, none.at], ['dropped', 'no entry matched', [], { switch: 'a', port: 1 }]);
  const ttl = trace(network({ a: { flows: [flow(10, {}, routed(2))], groups: [] } }), { switch: 'a', port: 1 }, { ...PKT, ttl: 1 });
  assert.deepEqual([ttl.result, ttl.reason, ttl.hops.length], ['dropped', 'TTL expired', 0]);
});

test('to the controller: the hop says so and the walk ends where it was punted', () => {
  const r = trace(network({ a: { flows: [flow(10, {}, [act.output(2)])], groups: [] }, b: { flows: [flow(10, {}, [act.output(PortNo.CONTROLLER)])], groups: [] } }), { switch: 'a', port: 1 }, PKT);
  assert.equal(r.result, 'controller');
  assert.deepEqual(r.at, { switch: 'b', port: 1 });
  assert.deepEqual(r.hops.map((h) => `${h.switch}:${h.inPort}>${h.outPort}`), ['a:1>2', 'b:1>controller']);
});

test('a loop is seen when the same packet comes back to the same port; a walk longer than maxHops stops with the count', () => {
  const bounce: Record<string, SwitchTables> = { a: { flows: [flow(10, {}, [act.output(2)])], groups: [] }, b: { flows: [flow(10, {}, [act.output(PortNo.IN_PORT)])], groups: [] } };
  const loop = trace(network(bounce), { switch: 'a', port: 2 }, PKT);
  assert.deepEqual([loop.result, loop.reason, loop.hops.map((h) => `${h.switch}:${h.inPort}>${h.outPort}`)], ['loop', undefined, ['a:2>2', 'b:1>1']]);
  // Each pass changes the TTL, so the packet never repeats: only maxHops ends it.
  const ttlBounce: Record<string, SwitchTables> = { a: { flows: [flow(10, {}, [act.decNwTtl(), act.output(2)])], groups: [] }, b: { flows: [flow(10, {}, [act.decNwTtl(), act.output(PortNo.IN_PORT)])], groups: [] } };
  const long = trace(network(ttlBounce), { switch: 'a', port: 2 }, PKT, { maxHops: 5 });
  assert.deepEqual([long.result, long.reason, long.hops.length], ['loop', 'more than 5 hops', 5]);
  assert.equal(trace(network(ttlBounce), { switch: 'a', port: 2 }, { ...PKT, ttl: 200 }).reason, 'more than 64 hops', 'the default bound');
});

test('at a select group: the first live bucket by default, the one chooseBucket names otherwise, and the live alternatives listed', () => {
  const group: GroupEntry = { groupId: 5, groupType: GroupType.SELECT, buckets: [3, 2, 4].map((p) => bucket([act.output(p)], { weight: 1, watchPort: p })) };
  const tables = { a: { flows: [flow(10, {}, [act.group(5)])], groups: [group] }, b: { flows: [flow(10, {}, [act.output(9)])], groups: [] } };
  const first = trace(network(tables), { switch: 'a', port: 1 }, PKT);
  assert.deepEqual([first.result, first.at, first.hops[0]!.outPort, first.hops[0]!.alternatives], ['delivered', { switch: 'a', port: 3 }, 3, [3, 2, 4]]);
  const asked: unknown[] = [];
  const chosen = trace(network(tables, ['a:4']), { switch: 'a', port: 1 }, PKT, { chooseBucket: (sw, id, ports) => (asked.push([sw, id, ports]), 1) });
  assert.deepEqual(asked, [['a', 5, [3, 2]]], 'asked with the switch, the group and the live ports only');
  assert.deepEqual([chosen.hops[0]!.outPort, chosen.hops[0]!.alternatives, chosen.result, chosen.at], [2, [3, 2], 'delivered', { switch: 'b', port: 9 }]);
});
