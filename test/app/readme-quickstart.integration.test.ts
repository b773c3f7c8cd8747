import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { DEFAULT_CONFIG } from '../../src/app/config.js';
import type { Svcswitch } from '../../src/app/svcswitch.js';
import { loadTopology } from '../../src/topology/loader.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { bridgeName, delBridge, requireOvs, sh } from '../../lab/ovs.js';
import { startSvcswitch } from '../../lab/svcswitch.js';
import { until } from '../../lab/wait.js';

/**
 * The README's own example of a real switch ("Running the controller on real switches"),
 * run as the README writes it against real Open vSwitch: only the bridge's name and the
 * controller's port are changed (so that it cannot meet another test's bridge). The switch
 * connects as acc1 of dc-small, with h11's port 3, and its tables are confirmed.
 */

/** The `ovs-vsctl add-br acc1 ...` command of the README, its continuation lines joined. */
function readmeCommand(): string {
  const lines = readFileSync('README.md', 'utf8').split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith('ovs-vsctl add-br acc1'));
  assert.ok(start >= 0, 'the README shows ovs-vsctl add-br acc1');
  const parts: string[] = [];
  for (let i = start; ; i++) {
    const line = lines[i]!.trim();
    parts.push(line.replace(/\\$/, '').trim());
    if (!line.endsWith('\\')) break;
  }
  return parts.join(' ');
}

let app: Svcswitch | undefined;
let bridge = '';
before(requireOvs);
after(async () => {
  if (bridge) await delBridge(bridge);
  await app?.stop();
});

test('the README\'s ovs-vsctl example connects a real switch as acc1 of dc-small, with its host port, and its tables are confirmed', async () => {
  const { logger } = memoryLogger();
  const started = await startSvcswitch(loadTopology('topologies/dc-small.yaml'), logger, { migration: DEFAULT_CONFIG.migration });
  app = started.app;
  bridge = bridgeName();
  const command = readmeCommand().replace(/\bacc1\b/g, bridge).replace('tcp:127.0.0.1:6653', `tcp:127.0.0.1:${started.port}`);
  assert.match(command, /other-config:datapath-id=0000000000030001 fail-mode=secure/);
  await sh('sh', ['-c', command]);
  await until(() => app!.topology.switchList().find((s) => s.name === 'acc1')?.connected === true, 'acc1 connected', 15_000);
  const acc1 = app.openflow.switchSummaries().find((s) => s.dpid === '0000000000030001')!;
  assert.ok(acc1.ports.some((p) => p.portNo === 3 && p.name === `${bridge}-eth3`), JSON.stringify(acc1.ports));
  await until(() => !app!.flows.outOfSync().includes('0000000000030001'), 'its tables confirmed', 15_000);
  assert.equal((await sh('ovs-vsctl', ['get', 'bridge', bridge, 'fail_mode'])).trim(), 'secure');
});
