import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { ARP_OP, ETH_TYPE, arpFrame, arpReplyFrame, buildLldp, icmpv6Frame, ipv6MulticastMac, parseArp, parseEthernet, parseLldp, solicitedNodeAddress, verifyLldp } from '../../src/packet/index.js';

const run = promisify(execFile);

/** Writes frames to a pcap file and returns tshark's one-line summaries (an independent decoder). */
async function tshark(frames: Buffer[], fields: readonly string[] = []): Promise<string[]> {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20); // Ethernet
  const records = frames.map((f) => {
    const r = Buffer.alloc(16);
    r.writeUInt32LE(f.length, 8);
    r.writeUInt32LE(f.length, 12);
    return Buffer.concat([r, f]);
  });
  const file = join(mkdtempSync(join(tmpdir(), 'svcswitch-pcap-')), 'frames.pcap');
  writeFileSync(file, Buffer.concat([header, ...records]));
  const { stdout } = await run('tshark', ['-r', file, '-T', 'fields', '-e', '_ws.col.Protocol', '-e', '_ws.col.Info', '-e', '_ws.expert.message', ...fields.flatMap((f) => ['-e', f])]);
  return stdout.trim().split('\n');
}

test('ARP, RARP and LLDP frames we build are read back by us and by tshark', async () => {
  const request = arpFrame({ op: ARP_OP.REQUEST, senderMac: '02:00:0a:00:01:0a', senderIp: '10.0.1.10', targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.1' });
  // The controller's reply is made from the request's own bytes.
  const reply = arpReplyFrame(request, Buffer.from('020000000000', 'hex'));
  assert.deepEqual(parseArp(parseEthernet(reply).payload), { op: ARP_OP.REPLY, senderMac: '02:00:00:00:00:00', senderIp: '10.0.1.1', targetMac: '02:00:0a:00:01:0a', targetIp: '10.0.1.10' });
  assert.equal(parseEthernet(reply).dst, '02:00:0a:00:01:0a');
  const rarp = arpFrame({ op: ARP_OP.RARP_REQUEST, senderMac: '02:00:0a:00:01:0a', senderIp: '0.0.0.0', targetMac: '02:00:0a:00:01:0a', targetIp: '0.0.0.0' }, 'ff:ff:ff:ff:ff:ff');
  const key = Buffer.alloc(32, 7);
  const lldp = buildLldp({ dpid: '0000000000030001', port: 2, ttlSeconds: 3 }, '02:00:00:00:03:02', { key, sentAtMs: 1_700_000_000_000 });

  const eth = parseEthernet(request);
  assert.deepEqual([eth.dst, eth.src, eth.ethType], ['ff:ff:ff:ff:ff:ff', '02:00:0a:00:01:0a', ETH_TYPE.ARP]);
  assert.equal(parseArp(eth.payload).targetIp, '10.0.1.1');
  assert.equal(parseEthernet(rarp).ethType, ETH_TYPE.RARP);
  const probe = parseLldp(parseEthernet(lldp).payload)!;
  assert.deepEqual([probe.dpid, probe.port, probe.ttlSeconds, probe.signature?.sentAtMs], ['0000000000030001', 2, 3, 1_700_000_000_000]);
  assert.ok(verifyLldp(probe, key, 1_700_000_001_000, 3000));

  const lines = await tshark([request, reply, rarp, lldp]);
  assert.match(lines[0]!, /^ARP\tWho has 10\.0\.1\.1\? Tell 10\.0\.1\.10/);
  assert.match(lines[1]!, /^ARP\t10\.0\.1\.1 is at 02:00:00:00:00:00/);
  assert.match(lines[2]!, /^RARP\tWho is 02:00:0a:00:01:0a\?/);
  // tshark: chassis "LA/" (locally assigned) dpid, port "LA/2", TTL 3.
  assert.match(lines[3]!, /^LLDP\tLA\/dpid:0000000000030001 LA\/2 3/);
  for (const l of lines) assert.doesNotMatch(l, /[Mm]alformed/);
});

test('neighbour discovery and ICMPv6 echo we build are read by tshark as meant, every checksum good (issue 25)', async () => {
  const VM_MAC = '02:00:0a:00:01:0a';
  const GW_MAC = '02:53:56:00:00:01';
  const VM = '2001:db8:1::10';
  const frames = [
    icmpv6Frame({ srcMac: VM_MAC, dstMac: ipv6MulticastMac(solicitedNodeAddress('2001:db8:1::1')), src: VM, dst: solicitedNodeAddress('2001:db8:1::1') }, { kind: 'neighbor-solicit', target: '2001:db8:1::1', options: [{ kind: 'source-lla', mac: VM_MAC }] }),
    icmpv6Frame({ srcMac: GW_MAC, dstMac: VM_MAC, src: '2001:db8:1::1', dst: VM }, { kind: 'neighbor-advert', target: '2001:db8:1::1', router: true, solicited: true, override: false, options: [{ kind: 'target-lla', mac: GW_MAC }] }),
    icmpv6Frame({ srcMac: GW_MAC, dstMac: '33:33:00:00:00:01', src: 'fe80::53:56ff:fe00:1', dst: 'ff02::1' }, {
      kind: 'router-advert', curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTimeMs: 0, retransTimerMs: 0,
      options: [{ kind: 'source-lla', mac: GW_MAC }, { kind: 'mtu', mtu: 1500 }, { kind: 'prefix', prefix: '2001:db8:1::', length: 64, onLink: true, autonomous: false, validLifetime: 86_400, preferredLifetime: 14_400 }],
    }),
    icmpv6Frame({ srcMac: VM_MAC, dstMac: '33:33:00:00:00:02', src: 'fe80::10', dst: 'ff02::2' }, { kind: 'router-solicit', options: [{ kind: 'source-lla', mac: VM_MAC }] }),
    icmpv6Frame({ srcMac: VM_MAC, dstMac: GW_MAC, src: VM, dst: '2001:db8:3::10' }, { kind: 'echo-request', id: 0x1234, seq: 9, data: Buffer.from('abc') }),
  ];
  assert.deepEqual(await tshark(frames, ['icmpv6.checksum.status', 'ipv6.hlim', 'icmpv6.opt.prefix']), [
    'ICMPv6\tNeighbor Solicitation for 2001:db8:1::1 from 02:00:0a:00:01:0a\t\t1\t255\t',
    'ICMPv6\tNeighbor Advertisement 2001:db8:1::1 (rtr, sol) is at 02:53:56:00:00:01\t\t1\t255\t',
    'ICMPv6\tRouter Advertisement from 02:53:56:00:00:01\t\t1\t255\t2001:db8:1::',
    'ICMPv6\tRouter Solicitation from 02:00:0a:00:01:0a\t\t1\t255\t',
    // The last line's empty field goes with the output's trailing whitespace.
    'ICMPv6\tEcho (ping) request id=0x1234, seq=9, hop limit=64\t\t1\t64',
  ]);
});
