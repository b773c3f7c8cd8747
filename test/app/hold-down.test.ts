import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BehaviorSubject } from 'rxjs';
import { holdDown } from '../../src/app/hold-down.js';
import type { TopologyService } from '../../src/topology/topology-service.js';
import { memoryLogger } from '../../lab/memory-logger.js';

/** The warm restart's hold-down against a stand-in topology: when a switch that connects may be reconciled. */

function rig(options: { startupMs: number; maxMs: number }) {
  const connected = new Set<string>();
  const graph = new BehaviorSubject<unknown>({});
  const switches = [{ name: 'a', dpid: '000000000000000a' }, { name: 'b', dpid: '000000000000000b' }];
  const topology = {
    declared: { switches },
    allConnected: () => switches.every((s) => connected.has(s.name)),
    graph$: graph,
  } as unknown as TopologyService;
  let flushes = 0;
  const held = holdDown(topology, [{ flush: () => flushes++ }], memoryLogger().logger, options);
  /** A switch connects: its ports bring its links, the graph moves. */
  const connect = (name: string): void => {
    connected.add(name);
    graph.next({});
  };
  const state = (p: Promise<void>): Promise<'released' | 'held'> => Promise.race([p.then(() => 'released' as const), new Promise<'held'>((r) => setTimeout(() => r('held'), 30))]);
  return { held, connect, state, flushes: () => flushes, graph };
}

test('after a start, a switch waits until every declared switch is connected; then the routes are planned at once and it goes', async () => {
  const r = rig({ startupMs: 10_000, maxMs: 10_000 });
  r.connect('a');
  const a = r.held('000000000000000a');
  assert.equal(await r.state(a), 'held', 'b is not back yet');
  assert.equal(r.flushes(), 0);
  r.connect('b');
  const b = r.held('000000000000000b');
  assert.deepEqual([await r.state(a), await r.state(b)], ['released', 'released']);
  assert.equal(r.flushes(), 1, 'the routes planned at once, once for both');
});

test('switches held together are released together: one check per topology change, one re-plan for all', async () => {
  const names = Array.from({ length: 50 }, (_, i) => ({ name: `s${i}`, dpid: (i + 1).toString(16).padStart(16, '0') }));
  const connected = new Set<string>();
  const graph = new BehaviorSubject<unknown>({});
  let lists = 0;
  const topology = {
    declared: { switches: names },
    allConnected: () => {
      lists++;
      return names.every((s) => connected.has(s.name));
    },
    graph$: graph,
  } as unknown as TopologyService;
  let flushes = 0;
  const held = holdDown(topology, [{ flush: () => flushes++ }], memoryLogger().logger, { startupMs: 10_000, maxMs: 10_000 });
  const waits: Array<Promise<void>> = [];
  for (const s of names) {
    connected.add(s.name);
    graph.next({});
    waits.push(held(s.dpid));
  }
  await Promise.all(waits);
  assert.equal(flushes, 1, 'one re-plan when the last switch came');
  assert.ok(lists <= 2 * names.length, `${lists} asks whether all are connected for ${names.length} switches (one per change, and one per switch held): not one per switch per change`);
});

test('after the start-up window a switch that reconnects alone is not held; a switch the file does not declare never is', async () => {
  const r = rig({ startupMs: 0, maxMs: 10_000 });
  r.connect('a');
  assert.equal(await r.state(r.held('000000000000000a')), 'released', 'b is away, but that is the topology now');
  assert.equal(await r.state(r.held('00000000000000ff')), 'released');
  assert.equal(r.flushes(), 1, 'no flush for an undeclared switch');
});

test('no wait is longer than maxMs: a switch whose peers never come back goes after it', async () => {
  const r = rig({ startupMs: 10_000, maxMs: 60 });
  r.connect('a');
  const a = r.held('000000000000000a');
  assert.equal(await r.state(a), 'held');
  await new Promise((res) => setTimeout(res, 60));
  assert.equal(await r.state(a), 'released');
});

test('the start-up window closing releases a switch whose peers are still away, long before maxMs; the log says when and why', async () => {
  const { logger, lines } = memoryLogger();
  const connected = new Set<string>(['a']);
  const graph = new BehaviorSubject<unknown>({});
  const switches = [{ name: 'a', dpid: '000000000000000a' }, { name: 'b', dpid: '000000000000000b' }];
  const topology = { declared: { switches }, allConnected: () => switches.every((s) => connected.has(s.name)), graph$: graph } as unknown as TopologyService;
  let flushes = 0;
  const began = Date.now();
  await holdDown(topology, [{ flush: () => flushes++ }], logger, { startupMs: 80, maxMs: 10_000 })('000000000000000a');
  const waited = Date.now() - began;
  assert.ok(waited >= 75 && waited < 5_000, `released after ${waited} ms: at the end of the start-up window`);
  assert.equal(flushes, 1, 'planned once, at the release');
  const line = lines.find((l) => l.message === 'hold-down over');
  assert.deepEqual([line?.level, line?.dpid, line?.why], ['debug', '000000000000000a', 'topology settled']);
  assert.ok(typeof line?.afterMs === 'number' && line.afterMs >= 75 && line.afterMs < 5_000, `afterMs ${String(line?.afterMs)}`);
  const { lines: timed, logger: timedLogger } = memoryLogger();
  await holdDown(topology, [], timedLogger, { startupMs: 10_000, maxMs: 40 })('000000000000000a');
  assert.equal(timed.find((l) => l.message === 'hold-down over')?.why, '40 ms passed');
});

test('the watch of the topology lasts while a switch is held, no longer; a later hold starts its own watch and its own release', async () => {
  const r = rig({ startupMs: 10_000, maxMs: 10_000 });
  assert.equal(r.graph.observed, false, 'nothing held, nothing watched');
  r.connect('a');
  const a = r.held('000000000000000a');
  const a2 = r.held('000000000000000a');
  assert.equal(r.graph.observers.length, 1, 'one watch for every switch held');
  r.connect('b');
  assert.deepEqual([await r.state(a), await r.state(a2)], ['released', 'released']);
  assert.equal(r.graph.observed, false, 'released: the watch is dropped');
  assert.equal(r.flushes(), 1);
  // A second batch, later: released on its own, with its own re-plan.
  assert.equal(await r.state(r.held('000000000000000b')), 'released');
  assert.equal(r.flushes(), 2);
  assert.equal(r.graph.observed, false);
});

test('a switch released by its own deadline leaves the others held and watched', async () => {
  const r = rig({ startupMs: 10_000, maxMs: 600 });
  r.connect('a');
  const first = r.held('000000000000000a');
  await new Promise((res) => setTimeout(res, 300));
  const second = r.held('000000000000000a');
  await first;
  assert.equal(r.graph.observed, true, 'the second, held 300 ms later, is still watched');
  await second;
  assert.equal(r.graph.observed, false);
  assert.equal(r.flushes(), 2, 'a re-plan at each release');
});
