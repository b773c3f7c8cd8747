import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { requireOvs } from '../../lab/ovs.js';
import { until } from '../../lab/wait.js';
import { threeTier } from '../../src/topology/generator.js';
import { distance } from '../../src/topology/valley-free.js';

/**
 * Issue 26, item 1, in Open vSwitch: with summarized routes (a default route up, a network's
 * own route only where its next hops differ), every host still pings every other host after
 * every single link failure, wherever a valley-free path is left, and again once the link is
 * back. On the k=4 fat-tree (dual-homed everything) and a three-tier datacenter (single-homed
 * access switches, whose failure cuts their hosts off: those pairs must fail, and only
 * those). svcswitch trace checks the same on every pair without switches:
 * test/fabric/summarized-routes.test.ts.
 */

before(requireOvs);

const dir = mkdtempSync(join(tmpdir(), 'svcswitch-link-failures-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const threeTierFile = join(dir, 'three-tier.yaml');
writeFileSync(threeTierFile, threeTier({ cores: 2, aggregations: 2, accessPerAggregation: 2, hostsPerAccess: 1 }));

const linkName = (l: { a: { switch: string }; b: { switch: string } }): string => `${l.a.switch}-${l.b.switch}`;

for (const [name, file] of [['the k=4 fat-tree', 'topologies/fat-tree-k4.yaml'], ['a three-tier datacenter', threeTierFile]] as const) {
  describe(`every single link failure on ${name}`, () => {
    let f: Fabric | undefined;
    before(async () => {
      f = await startFabric(file);
    });
    after(() => stopFabric(f));

    test('every pair with a valley-free path left pings; every other does not; all pairs again once the link is back', async (t) => {
      const app = f!.app;
      const declared = app.topology.declared!;
      const switchOf = new Map(declared.hosts.map((h) => [h.name, h.switch!]));
      const links = app.topology.linkList().map((l) => ({ a: l.a, b: l.b }));
      const isUp = (l: { a: { switch: string; port: number } }) => app.topology.linkList().find((x) => (x.a.switch === l.a.switch && x.a.port === l.a.port) || (x.b.switch === l.a.switch && x.b.port === l.a.port))?.up;
      assert.ok(links.length >= 10, `${links.length} links`);
      let pairsChecked = 0;
      let cutOff = 0;
      for (const [i, l] of links.entries()) {
        t.diagnostic(`link ${i + 1}/${links.length}: ${linkName(l)} down`);
        await f!.dc.do({ op: 'link', a: l.a.switch, b: l.b.switch, state: 'down' });
        await until(() => isUp(l) === false, `${linkName(l)} seen down`, 10_000);
        await app.settled();
        const graph = app.topology.graph();
        const r = (await f!.dc.do({ op: 'pingall' })) as { pairs: number; failed: string[][] };
        const expected = [...switchOf].flatMap(([src, s]) => [...switchOf].filter(([dst, d]) => dst !== src && s !== d && distance(graph, s, d) === undefined).map(([dst]) => [src, dst]));
        assert.deepEqual(r.failed.map((p) => p.join('>')).sort(), expected.map((p) => p.join('>')).sort(), `with ${linkName(l)} down: the pairs that fail are exactly those it cuts off`);
        pairsChecked += r.pairs;
        cutOff += expected.length;
        await f!.dc.do({ op: 'link', a: l.a.switch, b: l.b.switch, state: 'up' });
        await until(() => isUp(l) === true, `${linkName(l)} seen up`, 10_000);
        await app.settled();
      }
      t.diagnostic(`${links.length} single link failures, ${pairsChecked} pings, ${cutOff} of them expected to fail (cut off)`);
      const back = (await f!.dc.do({ op: 'pingall' })) as { failed: string[][] };
      assert.deepEqual(back.failed, [], 'every link back: every pair');
    });
  });
}
