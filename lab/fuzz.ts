import Transport from 'winston-transport';
import winston from 'winston';
import type { Svcswitch } from '../src/app/svcswitch.js';
import { MessageType, OfpDecodeError, PacketInReason, decodeMessage, encodeMessage, type OfpMessage } from '../src/openflow/index.js';
import { ARP_OP, arpFrame } from '../src/packet/arp.js';
import { ETH_TYPE, buildEthernet } from '../src/packet/ethernet.js';
import { icmpv6Frame } from '../src/packet/icmpv6.js';
import { loadTopology } from '../src/topology/loader.js';
import { CORPUS } from './openflow-corpus.js';
import { ScriptedSwitch } from './scripted-switch.js';
import { ScriptedTables } from './scripted-tables.js';
import { startSvcswitch } from './svcswitch.js';
import { next } from './wait.js';

/**
 * Fuzzing at scale (make fuzz, and a smaller run in make test): valid messages mutated in
 * every way a hostile or broken switch could (bytes flipped, cut, extended, spliced, length
 * fields that lie, types and versions that do not exist, plain noise), through the decoder
 * alone and through a whole live controller over TCP. Deterministic from a seed.
 */

/** xorshift32: a failure names a reproducible seed. */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s;
  };
}

/** The messages mutations start from: the codec corpus (every message family) and packet-ins that reach every packet processor. */
function fuzzSeeds(): Buffer[] {
  const packetIn = (inPort: number, data: Buffer): OfpMessage => ({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: PacketInReason.NO_MATCH, tableId: 0, cookie: 0n, match: { in_port: inPort }, data });
  const frames = [
    arpFrame({ op: ARP_OP.REQUEST, senderMac: '02:00:0a:00:01:0a', senderIp: '10.0.1.10', targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.1' }),
    arpFrame({ op: ARP_OP.REQUEST, senderMac: '02:00:0a:00:01:0a', senderIp: '10.0.1.10', targetMac: '00:00:00:00:00:00', targetIp: '10.0.1.10' }),
    arpFrame({ op: ARP_OP.REPLY, senderMac: '02:00:0a:00:02:0a', senderIp: '10.0.2.10', targetMac: '02:00:0a:00:01:0a', targetIp: '10.0.1.10' }),
    buildEthernet('ff:ff:ff:ff:ff:ff', '02:00:0a:00:01:0a', ETH_TYPE.RARP, Buffer.alloc(28)),
    buildEthernet('01:80:c2:00:00:0e', '02:00:00:00:00:01', ETH_TYPE.LLDP, Buffer.alloc(40)),
    buildEthernet('02:00:00:00:00:01', '02:00:0a:00:01:0a', ETH_TYPE.IPV4, Buffer.from('4500001c000000004001000000000a0001000a0003000800f7ff00000000', 'hex')),
    // IPv6 neighbour discovery, as a tenant sends it (issue 25): a solicitation, an unsolicited advertisement, a router advertisement.
    icmpv6Frame({ srcMac: '02:00:0a:00:01:0a', dstMac: '33:33:ff:00:00:01', src: '2001:db8:1::10', dst: 'ff02::1:ff00:1' }, { kind: 'neighbor-solicit', target: '2001:db8:1::1', options: [{ kind: 'source-lla', mac: '02:00:0a:00:01:0a' }] }),
    icmpv6Frame({ srcMac: '02:00:0a:00:01:0a', dstMac: '33:33:00:00:00:01', src: '2001:db8:1::10', dst: 'ff02::1' }, { kind: 'neighbor-advert', target: '2001:db8:1::10', router: false, solicited: false, override: true, options: [{ kind: 'target-lla', mac: '02:00:0a:00:01:0a' }] }),
    icmpv6Frame({ srcMac: '02:00:0a:00:01:0a', dstMac: '33:33:00:00:00:01', src: 'fe80::10', dst: 'ff02::1' }, { kind: 'router-advert', curHopLimit: 64, managed: false, other: false, routerLifetime: 1800, reachableTimeMs: 0, retransTimerMs: 0, options: [{ kind: 'prefix', prefix: '2001:db8:9::', length: 64, onLink: true, autonomous: true, validLifetime: 600, preferredLifetime: 600 }] }),
  ];
  return [...CORPUS.map((e) => encodeMessage(e.message)), ...frames.flatMap((f) => [1, 3, 5].map((p) => encodeMessage(packetIn(p, f))))];
}

/** One mutated message (an OpenFlow header, then whatever the mutation left). */
function mutate(seeds: readonly Buffer[], random: () => number): Buffer {
  const base = seeds[random() % seeds.length]!;
  const kind = random() % 10;
  let buf: Buffer;
  if (kind === 0) {
    // Noise behind a plausible header.
    buf = Buffer.alloc(8 + (random() % 120));
    for (let i = 0; i < buf.length; i++) buf[i] = random() & 0xff;
    buf[0] = 4;
    buf[1] = random() % 32;
  } else if (kind === 1) {
    // Spliced: the head of one message, the tail of another.
    const other = seeds[random() % seeds.length]!;
    buf = Buffer.concat([base.subarray(0, 8 + (random() % Math.max(1, base.length - 8))), other.subarray(8 + (random() % Math.max(1, other.length - 8)))]);
  } else {
    buf = Buffer.from(base);
    for (let f = 1 + (random() % 4); f > 0; f--) {
      const at = 8 + (random() % Math.max(1, buf.length - 8));
      if (at < buf.length) buf[at] = random() & 0xff;
    }
    if (kind === 2) buf = Buffer.from(buf.subarray(0, Math.max(8, buf.length - 1 - (random() % 24))));
    if (kind === 3) buf = Buffer.concat([buf, Buffer.alloc(random() % 32, random() & 0xff)]);
    if (kind === 4) buf[1] = random() & 0xff; // a type that may not exist
  }
  buf.writeUInt16BE(Math.min(buf.length, 0xffff), 2);
  // A length that lies (the stream then frames what follows as part of it), or a version we do not speak, now and then.
  if (kind === 5) buf.writeUInt16BE(random() & 0xffff, 2);
  if (kind === 6 && random() % 8 === 0) buf[0] = random() & 0xff;
  return buf;
}

export interface DecoderReport {
  cases: number;
  decoded: number;
  typedErrors: number;
  /** Anything but an OfpDecodeError: a bug, with the input that made it (the first 10). */
  untyped: string[];
  ms: number;
}

/** `cases` mutated messages through decodeMessage: each must decode, or fail with an OfpDecodeError. */
export function fuzzDecoder(cases: number, seed: number, progress: (done: number) => void = () => {}): DecoderReport {
  const random = rng(seed);
  const seeds = fuzzSeeds();
  const report: DecoderReport = { cases, decoded: 0, typedErrors: 0, untyped: [], ms: 0 };
  const started = performance.now();
  for (let i = 0; i < cases; i++) {
    const buf = mutate(seeds, random);
    try {
      decodeMessage(buf.subarray(0, Math.min(buf.length, buf.readUInt16BE(2))));
      report.decoded++;
    } catch (e) {
      if (e instanceof OfpDecodeError) report.typedErrors++;
      else if (report.untyped.push(`${(e as Error).name}: ${(e as Error).message} for ${buf.toString('hex')}`) > 10) report.untyped.length = 10;
    }
    if (i % 100_000 === 0) progress(i);
  }
  report.ms = Math.round(performance.now() - started);
  return report;
}

/** Counts log lines by level and message; keeps a few examples of each error. Bounded, so a million cases do not fill memory with lines. */
class CountingTransport extends Transport {
  readonly counts = new Map<string, number>();
  readonly errors: string[] = [];
  override log(info: Record<string, unknown>, done: () => void): void {
    const key = `${String(info.level)} ${String(info.message)}`;
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (info.level === 'error' && this.errors.length < 10) this.errors.push(JSON.stringify(info));
    done();
  }
}

export interface LiveReport {
  cases: number;
  connections: number;
  /** Connections the controller closed (a malformed message, a protocol violation), each with a logged reason. */
  closedByController: number;
  /** Connections still answering an echo after their batch. */
  survived: number;
  /** Connections neither closed nor answering 50 ms after their batch: a length that lied, the controller waiting for the rest (its echo interval ends those). */
  waiting: number;
  /** Exceptions that escaped to the process (a crash, were it not for this harness). */
  crashes: string[];
  /** Error-level log lines (a handler that failed), the first 10. */
  errorLines: string[];
  /** The well-behaved switch connected throughout still answers (echo) and stayed connected. */
  healthyStillUp: boolean;
  heapMb: { start: number; end: number; max: number };
  logCounts: Record<string, number>;
  ms: number;
}

const heapMb = (): number => {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round(process.memoryUsage().heapUsed / 1e5) / 10;
};

/**
 * `cases` mutated messages, 1 to `maxBatch` at a time on one connection, into a whole svcswitch
 * (dc-small, switches it does not declare let in so that the fuzzing switches get past
 * admission) while a well-behaved switch stays connected. Most connections finish the
 * handshake first; one in ten sends its batch straight away (the handshake is fuzzed too).
 */
export async function fuzzLive(cases: number, seed: number, progress: (done: number) => void = () => {}, maxBatch = 100): Promise<LiveReport> {
  const random = rng(seed);
  const seeds = fuzzSeeds();
  const transport = new CountingTransport();
  const logger = winston.createLogger({ level: 'debug', transports: [transport] });
  const crashes: string[] = [];
  const onCrash = (e: unknown): void => void (crashes.length < 10 && crashes.push(String((e as Error)?.stack ?? e)));
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  const { app, port } = await startSvcswitch(loadTopology('topologies/dc-small.yaml'), logger, { acceptUndeclaredSwitches: true, echoIntervalMs: 60_000 });
  const healthy = await connectedSwitch(app, port, 0x5eed00n, (sw) => new ScriptedTables(4).install(sw));
  const report: LiveReport = { cases, connections: 0, closedByController: 0, survived: 0, waiting: 0, crashes, errorLines: transport.errors, healthyStillUp: false, heapMb: { start: heapMb(), end: 0, max: 0 }, logCounts: {}, ms: 0 };
  report.heapMb.max = report.heapMb.start;
  const started = performance.now();
  try {
    for (let sent = 0, batch = 0; sent < cases; sent += batch) {
      // 1 to maxBatch messages: short batches often come through whole, long ones rarely do.
      batch = Math.min(1 + (random() % maxBatch), cases - sent);
      const dpid = 0x100000n + BigInt(report.connections % 1000);
      const sw = random() % 10 === 0 ? await ScriptedSwitch.connect(port, dpid) : await connectedSwitch(app, port, dpid);
      report.connections++;
      const messages = Array.from({ length: batch }, () => mutate(seeds, random));
      const xid = 0x7e000000 + report.connections;
      sw.socket.write(Buffer.concat([...messages, encodeMessage({ type: MessageType.ECHO_REQUEST, xid, data: Buffer.alloc(0) })]));
      const answered = await Promise.race([
        sw.closed.then(() => false),
        new Promise<boolean>((resolve) => {
          const poll = setInterval(() => sw.received.some((m) => m.type === MessageType.ECHO_REPLY && m.xid === xid) && (clearInterval(poll), resolve(true)), 2);
          setTimeout(() => (clearInterval(poll), resolve(false)), 50);
        }),
      ]);
      if (answered) report.survived++;
      else if (sw.socket.destroyed) report.closedByController++;
      else report.waiting++;
      sw.destroy();
      if (report.connections % 1000 === 0) {
        report.heapMb.max = Math.max(report.heapMb.max, heapMb());
        progress(sent + batch);
      }
    }
    healthy.send({ type: MessageType.ECHO_REQUEST, xid: 0x5eed, data: Buffer.alloc(0) });
    await new Promise((r) => setTimeout(r, 100));
    report.healthyStillUp = !healthy.socket.destroyed && app.openflow.connected.has('00000000005eed00') && healthy.received.some((m) => m.type === MessageType.ECHO_REPLY && m.xid === 0x5eed);
  } finally {
    report.ms = Math.round(performance.now() - started);
    healthy.destroy();
    await app.stop();
    await new Promise((r) => setTimeout(r, 50));
    report.heapMb.end = heapMb();
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
    report.logCounts = Object.fromEntries(transport.counts);
  }
  return report;
}

/** A scripted switch past the controller's handshake (switch-up seen). */
async function connectedSwitch(app: Svcswitch, port: number, dpid: bigint, setup?: (sw: ScriptedSwitch) => void): Promise<ScriptedSwitch> {
  const hex = dpid.toString(16).padStart(16, '0');
  const up = next(app.openflow.switchUp$, `switch ${hex} up`, 5000, (u) => u.dpid === hex);
  const sw = await ScriptedSwitch.connect(port, dpid, [4], setup);
  await up;
  return sw;
}
