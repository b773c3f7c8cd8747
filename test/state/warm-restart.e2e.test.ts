import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ControllerProcess, freePort } from '../../lab/controller-process.js';
import { MininetDc } from '../../lab/mininet.js';
import { ofctl, requireOvs, vsctl } from '../../lab/ovs.js';
import { startTraffic } from '../../lab/traffic.js';
import { until } from '../../lab/wait.js';

/**
 * A warm restart in Mininet (dc-small, real OVS, fail-mode secure): svcswitch runs as its
 * own process on a state dir, h11 has migrated to acc3, pings every 10 ms and a TCP stream
 * reach it from the external client; the controller is killed with SIGKILL and started
 * again. Nothing is lost, no entry or group is rewritten, the binding is back, a new
 * migration works at once; a switch that comes back empty gets its tables back.
 */

const SWITCHES = ['core1', 'agg1', 'agg2', 'acc1', 'acc2', 'acc3', 'acc4', 'edge1'];
const OURS = 'cookie=0x5356000000000000/0xffff000000000000';
const HOA = '10.0.1.10';

before(requireOvs);

const stateDir = mkdtempSync(join(tmpdir(), 'svcswitch-warm-'));
/** What the first test started, for the next one and for the cleanup. */
const running: { ctl?: ControllerProcess; dc?: MininetDc } = {};
after(async () => {
  await running.dc?.stop();
  await running.ctl?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

/** Every switch's flows of ours (no counters) and groups, sorted: equal when the tables are. */
async function tables(): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const sw of SWITCHES) {
    const flows = (await ofctl('dump-flows', '--no-stats', sw, OURS)).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('cookie='));
    const groups = (await ofctl('dump-groups', sw)).split('\n').map((l) => l.trim()).filter((l) => l.startsWith('group_id='));
    out[sw] = [...flows, ...groups].sort();
  }
  return out;
}

/** The youngest of our flows on every switch, in seconds (OVS's `duration`: reset when a flow is re-added or modified). */
async function youngestFlowSeconds(): Promise<number> {
  let youngest = Infinity;
  for (const sw of SWITCHES) {
    for (const m of (await ofctl('dump-flows', sw, OURS)).matchAll(/duration=([\d.]+)s/g)) youngest = Math.min(youngest, Number(m[1]));
  }
  return youngest;
}

async function settled(ctl: ControllerProcess, ms = 30_000): Promise<void> {
  await until(async () => {
    const h = await ctl.health();
    return h.switchesConnected === h.switchesDeclared && h.tablesInSync;
  }, 'every switch connected and in sync', ms);
}

async function migrate(ctl: ControllerProcess, dc: MininetDc, vm: string, hoa: string, to: { switch: string; port: number }): Promise<void> {
  const m = await ctl.call('POST', '/api/migrations', { hoa, ...to, mode: 'optimized' });
  assert.equal(m.status, 201, JSON.stringify(m.body));
  await dc.do({ op: 'move', host: vm, ...to });
  const done = await ctl.call('POST', `/api/migrations/${m.body.id as string}/complete`, {});
  assert.equal(done.status, 200, JSON.stringify(done.body));
}

test('kill -9 and restart on the same state dir: 0 pings lost, the TCP stream intact, 0 flow or group mods, the binding back; a new migration works right after a restart; an emptied switch gets its tables back', async () => {
  const ofPort = await freePort();
  const apiPort = await freePort();
  // Audits every second: they run through the restart too, and must find nothing to repair there.
  const args = ['--topology', 'topologies/dc-small.yaml', '--of-listen', `127.0.0.1:${ofPort}`, '--state-dir', stateDir, '--lldp-interval', '500', '--audit-interval', '1000'];
  let ctl = await ControllerProcess.start(args, apiPort);
  running.ctl = ctl;
  {
    const dc = await MininetDc.start('topologies/dc-small.yaml', ofPort);
    running.dc = dc;
    await settled(ctl, 60_000);
    await migrate(ctl, dc, 'h11', HOA, { switch: 'acc3', port: 5 });
    await settled(ctl);
    assert.equal((await dc.ping('client', HOA, 2)).received, 2, 'h11 reached at acc3');
    const before = await tables();

    // Traffic across the restart: 10 ms pings from the client and an HN node, and a checked TCP stream.
    const traffic = await startTraffic(dc, HOA, 'h11', ['client', 'h12'], 6, [{ from: 'client', bytes: 1_500_000, port: 5400 }]);
    await new Promise((r) => setTimeout(r, 1500));
    const killedAt = Date.now();
    await ctl.kill9();
    await new Promise((r) => setTimeout(r, 500));
    ctl = await ControllerProcess.start(args, apiPort);
    running.ctl = ctl;
    await settled(ctl);
    const reconnectedMs = Date.now() - ctl.spawnedAt;
    const { pings, streams } = await traffic.results();
    const stream = streams.client;
    const health = await ctl.health();
    process.stdout.write(`# warm restart: back in sync ${reconnectedMs} ms after the spawn; lost ${Object.entries(pings).map(([h, p]) => `${h} ${p.lost}/${p.sent}`).join(', ')}; flow and group mods sent ${health.flowModsSent}\n`);
    for (const [host, p] of Object.entries(pings)) {
      assert.ok(p.sent > 500, `${host} pinged`);
      assert.equal(p.lost, 0, `${host}: ${p.lost} of ${p.sent} pings lost across the restart`);
    }
    assert.deepEqual([stream?.error, stream?.received === stream?.sent, stream?.intact], [undefined, true, true], 'the stream: every byte, intact, no reset');
    assert.equal(health.flowModsSent, 0, 'the restarted controller sent no FLOW_MOD or GROUP_MOD');
    assert.deepEqual(await tables(), before, 'every table as it was');
    const youngest = await youngestFlowSeconds();
    assert.ok(youngest * 1000 >= Date.now() - killedAt - 1000, `every flow is older than the restart (youngest ${youngest} s)`);
    const bindings = (await ctl.call('GET', '/api/bindings')).body as unknown as Array<{ hoa: string; switch: string; port: number; state: string }>;
    assert.deepEqual(bindings.map((b) => [b.hoa, b.switch, b.port, b.state]), [[HOA, 'acc3', 5, 'active']], 'the binding is back');

    // Right after another kill -9: a new migration (h12 to acc4), prepared and confirmed as soon as the switches are back.
    await ctl.kill9();
    ctl = await ControllerProcess.start(args, apiPort);
    running.ctl = ctl;
    let prepared: { status: number; body: Record<string, unknown> } | undefined;
    await until(async () => {
      prepared = await ctl.call('POST', '/api/migrations', { hoa: '10.0.1.11', switch: 'acc4', port: 6, mode: 'optimized' });
      return prepared.status === 201;
    }, 'a migration accepted after the restart', 10_000, 20);
    const preparedAt = Date.now();
    process.stdout.write(`# a new migration prepared and barrier-confirmed ${preparedAt - ctl.spawnedAt} ms after the controller was spawned again, ${preparedAt - ctl.readyAt} ms after its API answered\n`);
    await dc.do({ op: 'move', host: 'h12', switch: 'acc4', port: 6 });
    assert.equal((await ctl.call('POST', `/api/migrations/${prepared!.body.id as string}/complete`, {})).status, 200);
    await settled(ctl);
    assert.equal((await dc.ping('client', '10.0.1.11', 3)).received, 3, 'h12 reached at acc4');
    assert.equal((await dc.ping('client', HOA, 3)).received, 3, 'and h11 still at acc3');

    // A switch that comes back empty (as after a restart of its own): cut from the controller, emptied, connected again.
    const acc2 = (await tables()).acc2!;
    await vsctl('del-controller', 'acc2');
    await until(async () => (await ctl.health()).switchesConnected === SWITCHES.length - 1, 'acc2 gone');
    await ofctl('del-flows', 'acc2');
    await ofctl('del-groups', 'acc2');
    const sentBefore = (await ctl.health()).flowModsSent;
    const reconnectAt = Date.now();
    await vsctl('set-controller', 'acc2', `tcp:127.0.0.1:${ofPort}`, '--', 'set', 'controller', 'acc2', 'max_backoff=1000');
    await until(async () => JSON.stringify((await tables()).acc2) === JSON.stringify(acc2), 'acc2 filled again', 10_000, 10);
    const refilledMs = Date.now() - reconnectAt;
    const sent = (await ctl.health()).flowModsSent - sentBefore;
    process.stdout.write(`# an emptied switch: its ${acc2.length} flows and groups back ${refilledMs} ms after it was connected again (${sent} mods)\n`);
    // Its own flows and groups, and the routes of the others, which went around it while it was away and come back.
    assert.ok(sent >= acc2.length, `${sent} mods: at least one for each of acc2's flows and groups`);
    assert.equal((await dc.ping('client', '10.0.2.10', 3)).received, 3, 'h21 (on acc2) reached again');
  }
});

test('the audit: a flow of ours deleted, one modified, one added with our cookie are repaired within an audit interval; a flow with another cookie stays', async () => {
  const { ctl, dc } = running;
  assert.ok(ctl && dc, 'the controller and Mininet of the test before');
  await settled(ctl);
  const before = await tables();
  const repairedBefore = (await ctl.health()).driftRepaired;
  // What an operator might do by hand.
  await ofctl('del-flows', 'acc3', 'ip,nw_dst=10.0.3.10');
  // Forwarding is table 1 (table 0 is port security): OpenFlow 1.3's modify touches the table it names only.
  await ofctl('mod-flows', 'acc2', 'table=1,arp,arp_tpa=10.0.2.10,actions=drop');
  await ofctl('add-flow', 'acc4', 'cookie=0x5356000100000063,priority=5,udp,tp_dst=9,actions=drop');
  await ofctl('add-flow', 'acc4', 'cookie=0x1234,priority=5,udp,tp_dst=10,actions=drop');
  const tamperedAt = Date.now();
  // That the tables did change is shown by the repairs counted below (at least 3): reading them here would race the 1 s audit, which may already have put them right.
  await until(async () => JSON.stringify(await tables()) === JSON.stringify(before), 'the audit to repair every table', 10_000, 50);
  const repairMs = Date.now() - tamperedAt;
  const repaired = (await ctl.health()).driftRepaired - repairedBefore;
  process.stdout.write(`# audit (every 1000 ms): ${repaired} entries repaired ${repairMs} ms after the tables were changed by hand\n`);
  assert.ok(repaired >= 3, `${repaired} repairs: at least the deleted, the modified and the added flow`);
  assert.match(await ofctl('dump-flows', 'acc4', 'cookie=0x1234/-1'), /tp_dst=10 actions=drop/, 'a flow with another cookie is never touched');
  const warns = ctl.lines.filter((l) => l.message === 'drift repaired');
  assert.ok(warns.length >= 3 && warns.every((l) => l.level === 'warn'), 'each repair is logged at warn, with its switch');
  assert.equal((await dc.ping('client', '10.0.3.10', 3)).received, 3, 'h31 reached again (its host route was the deleted flow)');
});
