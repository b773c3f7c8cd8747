import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { Framer, MessageType, MultipartType, encodeMessage, type OfpMessage } from '../../src/openflow/index.js';
import { decodeMessage } from '../../src/openflow/index.js';
import { port } from '../../lab/scripted-switch.js';

/**
 * A cbench-like load generator: N emulated switches over TCP, each keeping a window of
 * PACKET_INs in flight. Switch i (datapath id 0xcb0000 + i) is the access switch of
 * 10.1.i.0/24 (bench/topologies/access-64.yaml); its hosts (64, --hosts), 10.1.i.100 and up, each with a MAC
 * of its own, take turns asking for the gateway 10.1.i.1. Counts only valid replies (a
 * PACKET_OUT carrying an ARP reply from that gateway to the requester); in echo mode the
 * PACKET_IN itself coming back counts. Counting starts once every switch is ready and the
 * warm-up is over: it prints {"measuring":true} then, and one JSON line with the result at the end.
 *
 * Access switches report ports 1-3 (hosts) and 64 (uplink) live. --core also emulates the core
 * switch (0xcb0100, ports 1-64, no load of its own), so that the fabric between the access
 * switches is up and a migration has a path.
 *
 * --ports P1,P2,P3 connects every switch to each of several controllers (a cluster's members);
 * with --roles a switch plays OpenFlow 1.3 roles as Open vSwitch does: it answers each
 * ROLE_REQUEST with the role asked, and sends its PACKET_INs to its MASTER only (a switch is
 * ready once it has one).
 *
 *   node dist/bench/lib/cbench.js --port P --switches 16 --window 32 --seconds 4 [--echo] [--core]
 *   node dist/bench/lib/cbench.js --ports P1,P2,P3 --roles --switches 64 ...
 */

const { values } = parseArgs({
  options: {
    port: { type: 'string' }, ports: { type: 'string' }, roles: { type: 'boolean', default: false }, switches: { type: 'string', default: '1' }, window: { type: 'string', default: '32' },
    seconds: { type: 'string', default: '4' }, warmup: { type: 'string', default: '1' }, echo: { type: 'boolean', default: false },
    core: { type: 'boolean', default: false },
    hosts: { type: 'string', default: '64' },
  },
});
const PORTS = (values.ports ?? values.port ?? '').split(',').map(Number);
const ROLES = values.roles;
const SWITCHES = Number(values.switches);
const WINDOW = Number(values.window);
const ECHO = values.echo;
const FIRST_IP = 100;
/**
 * Requesters per switch, 10.1.i.100 and up. 64 by default, the controller's limit of hosts
 * per port: with more, the others are refused at every packet and the run measures the MAC
 * flood defence (--hosts 100 does, on purpose), not the gateway path.
 */
const IPS = Number(values.hosts);
if (!(IPS >= 1 && IPS <= 100)) throw new Error('--hosts: 1 to 100');
if (SWITCHES > 256) throw new Error('at most 256 switches: switch i serves 10.1.i.0/24');

interface Template {
  buf: Buffer;
  /** Where the requester's last MAC byte (Ethernet source, ARP sender) and last IP byte sit. */
  ethMacAt: number;
  arpMacAt: number;
  ipAt: number;
}

/** PACKET_IN with in_port=1 and a 42-byte ARP request of switch `sw`'s subnet; the requester is patched per request. */
function template(sw: number): Template {
  const mac = [0x02, 0xaa, 0x00, sw, 0x00, 0x00];
  const arp = Buffer.from([
    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, ...mac, 0x08, 0x06,
    0x00, 0x01, 0x08, 0x00, 6, 4, 0x00, 0x01, ...mac, 10, 1, sw, 0, 0, 0, 0, 0, 0, 0, 10, 1, sw, 1,
  ]);
  const buf = encodeMessage({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: arp.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: 1 }, data: arp });
  const at = buf.length - arp.length;
  return { buf, ethMacAt: at + 11, arpMacAt: at + 27, ipAt: at + 31 };
}

const CORE = -1;
/** OFPCR_ROLE_MASTER. */
const ROLE_MASTER = 2;
const ACCESS_PORTS = [1, 2, 3, 64];
const CORE_PORTS = Array.from({ length: 64 }, (_, i) => i + 1);

interface Emulated {
  /** i for access switch i, CORE for the core. */
  id: number;
  /** One channel to each controller. */
  sockets: Socket[];
  /** Where PACKET_INs go: the only channel, or with --roles the one a ROLE_REQUEST made MASTER. */
  socket: Socket | undefined;
  /** Channels that have asked for the port list (their handshake done). */
  described: Set<Socket>;
  tpl: Template;
  sentAt: Float64Array;
  next: number;
  ready: boolean;
  corked: boolean;
}

let measuring = false;
/** How long the switches may take to be ready before the run starts without the late ones (counted as not ready). */
const READY_MS = 30_000;
let replies = 0;
let invalid = 0;
const latencies: number[] = [];

function send(sw: Emulated): void {
  const socket = sw.socket;
  if (!socket) return;
  if (!sw.corked) {
    sw.corked = true;
    socket.cork();
    process.nextTick(() => {
      sw.corked = false;
      socket.uncork();
    });
  }
  const k = sw.next++ % IPS;
  const buf = Buffer.from(sw.tpl.buf);
  buf[sw.tpl.ethMacAt] = k;
  buf[sw.tpl.arpMacAt] = k;
  buf[sw.tpl.ipAt] = FIRST_IP + k;
  sw.sentAt[k] = performance.now();
  socket.write(buf);
}

function answerControl(sw: Emulated, channel: Socket, m: OfpMessage): void {
  switch (m.type) {
    case MessageType.FEATURES_REQUEST:
      channel.write(encodeMessage({ type: MessageType.FEATURES_REPLY, xid: m.xid, datapathId: BigInt(sw.id === CORE ? 0xcb0100 : 0xcb0000 + sw.id), nBuffers: 0, nTables: 1, auxiliaryId: 0, capabilities: 0 }));
      return;
    case MessageType.MULTIPART_REQUEST: {
      const mp = m.body.mpType;
      const body = mp === MultipartType.FLOW ? { mpType: mp, flows: [] } : mp === MultipartType.GROUP_DESC ? { mpType: mp, groups: [] } : { mpType: MultipartType.PORT_DESC, ports: (sw.id === CORE ? CORE_PORTS : ACCESS_PORTS).map((p) => port(p)) };
      channel.write(encodeMessage({ type: MessageType.MULTIPART_REPLY, xid: m.xid, flags: 0, body } as OfpMessage));
      if (mp === MultipartType.PORT_DESC) {
        sw.described.add(channel);
        markReady(sw);
      }
      return;
    }
    case MessageType.ROLE_REQUEST: {
      // Open vSwitch's rules, as far as the load needs them: one master; a new master demotes the old one.
      channel.write(encodeMessage({ type: MessageType.ROLE_REPLY, xid: m.xid, role: m.role, generationId: m.generationId }));
      if (m.role === ROLE_MASTER) sw.socket = channel;
      else if (sw.socket === channel) sw.socket = undefined;
      markReady(sw);
      return;
    }
    case MessageType.BARRIER_REQUEST:
      channel.write(encodeMessage({ type: MessageType.BARRIER_REPLY, xid: m.xid }));
      return;
    case MessageType.ECHO_REQUEST:
      channel.write(encodeMessage({ type: MessageType.ECHO_REPLY, xid: m.xid, data: m.data }));
      return;
    case MessageType.GET_CONFIG_REQUEST:
      channel.write(encodeMessage({ type: MessageType.GET_CONFIG_REPLY, xid: m.xid, flags: 0, missSendLen: 0xffff }));
      return;
    default:
  }
}

function markReady(sw: Emulated): void {
  if (sw.ready || sw.described.size < sw.sockets.length || !sw.socket) return;
  sw.ready = true;
  if (sw.id === CORE) return;
  // Let the controller finish its own set-up (flows, barrier) before the load starts.
  setTimeout(() => {
    for (let i = 0; i < WINDOW; i++) send(sw);
  }, 300);
}

function onFrame(sw: Emulated, channel: Socket, frame: Buffer): void {
  const type = frame[1];
  let ip = -1;
  if (ECHO && type === MessageType.PACKET_IN) {
    ip = frame[frame.length - 42 + 31]!;
  } else if (type === MessageType.PACKET_OUT) {
    const data = 24 + frame.readUInt16BE(16);
    // An LLDP probe of the fabric (the links to the core): not an answer, not a mistake.
    if (frame.length >= data + 14 && frame.readUInt16BE(data + 12) === 0x88cc) return;
    const arp = data + 14;
    const ok = frame.length >= arp + 28 && frame.readUInt16BE(data + 12) === 0x0806 && frame.readUInt16BE(arp + 6) === 2 &&
      frame[arp + 14] === 10 && frame[arp + 15] === 1 && frame[arp + 16] === sw.id && frame[arp + 17] === 1 &&
      frame[arp + 18 + 5] === frame[arp + 27]! - FIRST_IP;
    if (!ok) {
      invalid++;
      return;
    }
    ip = frame[arp + 27]!;
  } else {
    answerControl(sw, channel, decodeMessage(frame));
    return;
  }
  const k = ip - FIRST_IP;
  if (k < 0 || k >= IPS) {
    invalid++;
    return;
  }
  if (measuring) {
    replies++;
    latencies.push(performance.now() - sw.sentAt[k]!);
  }
  send(sw);
}

async function main(): Promise<void> {
  const switches: Emulated[] = [];
  for (const i of [...(values.core ? [CORE] : []), ...Array.from({ length: SWITCHES }, (_, k) => k)]) {
    const sockets = await Promise.all(PORTS.map((port) => new Promise<Socket>((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(s));
      s.once('error', reject);
    })));
    // Without roles a switch has one controller (EQUAL), which gets its PACKET_INs.
    const sw: Emulated = { id: i, sockets, socket: ROLES ? undefined : sockets[0], described: new Set(), tpl: template(Math.max(i, 0)), sentAt: new Float64Array(IPS), next: 0, ready: false, corked: false };
    for (const socket of sockets) {
      socket.setNoDelay(true);
      const framer = new Framer();
      socket.on('data', (chunk: Buffer) => {
        for (const f of framer.push(chunk)) onFrame(sw, socket, f);
      });
      socket.on('error', () => {});
      if (ECHO) sw.described.add(socket);
      else socket.write(encodeMessage({ type: MessageType.HELLO, xid: 1, versions: [4] }));
    }
    if (ECHO) markReady(sw);
    switches.push(sw);
  }
  // Steady state is what is measured: every switch past its handshake (at most READY_MS), then the warm-up under load.
  const began = performance.now();
  while (switches.some((s) => !s.ready) && performance.now() - began < READY_MS) await new Promise((r) => setTimeout(r, 20));
  const readyMs = Math.round(performance.now() - began);
  const notReady = switches.filter((s) => !s.ready).length;
  await new Promise((r) => setTimeout(r, Number(values.warmup) * 1000));
  // The caller samples the peer's CPU between this line and the result.
  process.stdout.write(`${JSON.stringify({ measuring: true })}\n`);
  measuring = true;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, Number(values.seconds) * 1000));
  measuring = false;
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  process.stdout.write(JSON.stringify({ switches: SWITCHES, window: WINDOW, repliesPerSecond: replies / elapsed, p50Ms: q(0.5), p99Ms: q(0.99), invalid, notReady, readyMs }) + '\n');
  for (const s of switches) for (const socket of s.sockets) socket.destroy();
}

void main();
