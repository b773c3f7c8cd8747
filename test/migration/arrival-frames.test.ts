import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OpenFlowServer } from '../../src/controller/openflow-server.js';
import { ArrivalFrames } from '../../src/migration/arrival-frames.js';
import type { MigrationRecord } from '../../src/migration/binding-store.js';
import { MigrationLedger } from '../../src/migration/migration-ledger.js';
import { MessageType, PortNo, act, ipv6ToBytes, type PacketIn } from '../../src/openflow/index.js';
import { ETH_TYPE, buildEthernet } from '../../src/packet/ethernet.js';

/** The arrival trigger alone: which frames are the VM at its new port, and that each is sent on through the tables. */

const MAC = '02:00:0a:00:01:0a';
const HOA = '10.0.1.10';
const ACC3 = '0000000000030003';
const HOA6 = '2001:db8:0:1::10';

/** An IPv6 frame from `mac` with source `src` (the fixed header only). */
function ipv6From(mac: string, src: string, bytes = 54): Buffer {
  const ip = Buffer.alloc(bytes - 14);
  ip[0] = 0x60;
  if (bytes >= 38) ipv6ToBytes(src, ip, 8);
  return buildEthernet('33:33:00:00:00:01', mac, ETH_TYPE.IPV6, ip);
}

/** An IPv4 frame from `mac` with source `src` (a minimal header: only what the trigger reads). */
function ipv4From(mac: string, src: string, bytes = 34): Buffer {
  const ip = Buffer.alloc(bytes - 14);
  ip[0] = 0x45;
  Buffer.from(src.split('.').map(Number)).copy(ip, 12);
  return buildEthernet('00:00:5e:00:01:01', mac, ETH_TYPE.IPV4, ip);
}

const packetIn = (data: Buffer, totalLen = data.length): PacketIn => ({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen, reason: 0, tableId: 1, cookie: 0n, match: { in_port: 5 }, data });

function rig() {
  const ledger = new MigrationLedger(8);
  const record: MigrationRecord = {
    id: '1', hoa: HOA, mac: MAC, mode: 'optimized', trigger: 'orchestrated', status: 'prepared', timeline: [],
    from: { switch: 'acc1', port: 3, coa: undefined, subnet: 'net1' }, to: { switch: 'acc3', port: 5, coa: '10.0.3.200', subnet: 'net3' },
  };
  ledger.pend(record, false, 60_000, () => undefined);
  const posted: unknown[] = [];
  const seen: string[] = [];
  const openflow = { connection: (dpid: string) => (dpid === ACC3 ? { post: (m: unknown) => posted.push(m) } : undefined) } as unknown as OpenFlowServer;
  // As the leader wires it: awaited by the ledger, seen only while it is the migration pending.
  const frames = new ArrivalFrames(openflow, (dpid) => ({ [ACC3]: 'acc3', '0000000000030004': 'acc4' })[dpid] ?? dpid, (mac) => ledger.arrivals.get(mac), (r) => {
    if (ledger.pending.get(r.hoa)?.record === r) seen.push(r.hoa);
  }, (hoa) => (hoa === HOA ? HOA6 : undefined));
  return { ledger, record, posted, seen, frames };
}

test('the VM\'s MAC with its HoA at exactly its new port: seen, and the frame sent on from the controller\'s port to the tables', () => {
  const r = rig();
  const frame = ipv4From(MAC, HOA);
  r.frames.packetIn(ACC3, 5, packetIn(frame));
  assert.deepEqual(r.seen, [HOA]);
  assert.deepEqual(r.posted, [{ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(PortNo.TABLE)], data: frame }]);
  assert.equal(r.frames.reinjected, 1);
  r.ledger.close();
});

test('not the VM at its new port: another port, another switch, another MAC, another source, a truncated frame, one shorter than the source field; once no longer pending, sent on but not seen again', () => {
  const r = rig();
  r.frames.packetIn(ACC3, 6, packetIn(ipv4From(MAC, HOA)));
  r.frames.packetIn('0000000000030004', 5, packetIn(ipv4From(MAC, HOA)));
  r.frames.packetIn(ACC3, 5, packetIn(ipv4From('02:00:0a:00:01:0b', HOA)));
  r.frames.packetIn(ACC3, 5, packetIn(ipv4From(MAC, '10.0.1.11')));
  r.frames.packetIn(ACC3, 5, packetIn(ipv4From(MAC, HOA), 200));
  r.frames.packetIn(ACC3, 5, packetIn(ipv4From(MAC, HOA, 29)));
  assert.deepEqual([r.seen, r.posted.length, r.frames.reinjected], [[], 0, 0]);
  r.ledger.unpend(r.ledger.pending.get(HOA)!);
  r.frames.packetIn(ACC3, 5, packetIn(ipv4From(MAC, HOA)));
  assert.deepEqual([r.seen, r.posted.length], [[], 1], 'the switchover was made: the frame still goes on');
  r.ledger.close();
});

test('a dual-stack VM\'s IPv6 frame from its declared IPv6 address (its unsolicited advertisement after a live migration) is the arrival too; another IPv6 source, a link-local one, or a frame cut before its source is not', () => {
  const r = rig();
  r.frames.packetIn(ACC3, 5, packetIn(ipv6From(MAC, '2001:db8:0:1::11')));
  r.frames.packetIn(ACC3, 5, packetIn(ipv6From(MAC, 'fe80::1')));
  r.frames.packetIn(ACC3, 5, packetIn(ipv6From(MAC, HOA6, 37)));
  assert.deepEqual([r.seen, r.posted.length], [[], 0]);
  r.frames.packetIn(ACC3, 5, packetIn(ipv6From(MAC, HOA6)));
  assert.deepEqual([r.seen, r.frames.reinjected], [[HOA], 1]);
  r.ledger.close();
});
