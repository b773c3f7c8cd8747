import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { migrationRig } from '../../lab/migration-rig.js';
import { MessageType } from '../../src/openflow/index.js';
import { ARP_OP, arpFrame, icmpv6Frame } from '../../src/packet/index.js';
import { until } from '../../lab/wait.js';

/** /metrics against the scripted switches: the values an operator graphs, after one migration, read back in Prometheus' text format. */

/** `name{labels} value` lines as a map from `name{labels}` to the value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

test('/metrics: switches, entries per switch and planner, a migration by mode, trigger and outcome, the CoA it holds, packet-ins by kind, reconciles, the process', async () => {
  const r = await migrationRig(60_000);
  try {
    await r.app.settled();
    const m = await r.app.migration.migrate({ hoa: '10.0.1.10', switch: 'acc3', port: 5, mode: 'optimized' });
    r.app.migration.complete(m.id);
    await until(() => r.app.migration.bindings.get('10.0.1.10')?.state === 'active', 'bound at acc3');
    await r.app.settled();
    // h12 (declared at acc1:4) asks for its gateway: one ARP packet-in.
    const ask = arpFrame({ op: ARP_OP.REQUEST, senderMac: '02:00:0a:00:01:0b', senderIp: '10.0.1.11', targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.1' });
    r.switches.get('acc1')!.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: ask.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: 4 }, data: ask });
    // And its router solicitation: one IPv6 packet-in, one advertisement.
    const solicit = icmpv6Frame({ srcMac: '02:00:0a:00:01:0b', dstMac: '33:33:00:00:00:02', src: 'fe80::ff:fe00:11', dst: 'ff02::2' }, { kind: 'router-solicit', options: [{ kind: 'source-lla', mac: '02:00:0a:00:01:0b' }] });
    r.switches.get('acc1')!.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: solicit.length, reason: 0, tableId: 1, cookie: 0n, match: { in_port: 4 }, data: solicit });
    await until(async () => {
      const now = await fetch(`http://127.0.0.1:${r.apiPort}/metrics`).then((x) => x.text());
      return now.includes('svcswitch_packet_ins_total{kind="arp"} 1') && now.includes('svcswitch_router_adverts_total{kind="solicited"} 1');
    }, 'the packet-ins counted, the advertisement sent');
    const res = await fetch(`http://127.0.0.1:${r.apiPort}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    const s = samples(text);
    const at = (key: string): number | undefined => s.get(key);
    assert.equal(at('svcswitch_switches_connected'), 3, 'the rig connects acc1, acc2, acc3');
    assert.equal(at('svcswitch_switches_declared'), 8);
    assert.deepEqual([at('svcswitch_switch_up{switch="acc3"}'), at('svcswitch_switch_up{switch="core1"}')], [1, 0]);
    assert.equal(at('svcswitch_switch_tables_in_sync{switch="acc1"}'), 1);
    assert.equal(at('svcswitch_migrations_total{mode="optimized",trigger="orchestrated",outcome="completed"}'), 1);
    assert.equal(at('svcswitch_migration_seconds_count{mode="optimized",trigger="orchestrated",outcome="completed"}'), 1);
    assert.equal(at('svcswitch_bindings{mode="optimized"}'), 1);
    assert.deepEqual([at('svcswitch_coa_pool_held{subnet="net3"}'), at('svcswitch_coa_pool_addresses{subnet="net3"}')], [1, 2]);
    assert.ok((at('svcswitch_flow_entries{switch="acc3",planner="migration"}') ?? 0) > 0, 'the Foreign switch holds migration entries');
    assert.ok((at('svcswitch_flow_entries{switch="acc1",planner="fabric"}') ?? 0) > 0, 'and every access switch fabric routes');
    assert.equal(at('svcswitch_flow_entries{switch="acc2",planner="migration"}'), undefined, 'acc2 plays no part in an optimized move from acc1 to acc3');
    assert.ok((at('svcswitch_flow_mods_sent_total') ?? 0) > 0);
    assert.ok((at('svcswitch_reconcile_seconds_count{kind="change",outcome="confirmed"}') ?? 0) >= 3, 'a reconcile per switch at least');
    assert.deepEqual([at('svcswitch_packet_ins_total{kind="arp"}'), at('svcswitch_packet_ins_total{kind="ipv6"}'), at('svcswitch_packet_ins_total{kind="ipv4"}')], [1, 1, 0], 'one ARP and one IPv6 packet-in, by kind');
    assert.deepEqual(['solicited', 'unsolicited', 'limited'].map((k) => at(`svcswitch_router_adverts_total{kind="${k}"}`)), [1, 0, 0]);
    assert.ok((at('nodejs_eventloop_lag_seconds') ?? -1) >= 0 && (at('process_resident_memory_bytes') ?? 0) > 0, 'the process: event-loop lag, memory');
    // Every line is a sample of a family announced with HELP and TYPE.
    const families = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((x) => x[1]!));
    for (const key of s.keys()) assert.ok([...families].some((f) => key === f || key.startsWith(`${f}{`) || key.startsWith(`${f}_`)), key);
    // The Grafana dashboard in deploy/ graphs only metrics that exist.
    const dashboard = JSON.parse(readFileSync('deploy/grafana-dashboard.json', 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };
    const names = new Set([...families].flatMap((f) => [f, `${f}_bucket`, `${f}_count`, `${f}_sum`]));
    for (const p of dashboard.panels) {
      for (const t of p.targets) for (const [used] of t.expr.matchAll(/\b(svcswitch|nodejs|process)_[a-z0-9_]+/g)) assert.ok(names.has(used), `panel "${p.title}": ${used} is no metric`);
    }
  } finally {
    await r.close();
  }
});
