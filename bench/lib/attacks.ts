import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { flowKey, type FlowEntry } from '../../src/controller/flow-tables.js';
import { ErrorType, FlowModFailedCode, MessageType, MultipartType, PortReason, act, inst } from '../../src/openflow/index.js';
import { ScriptedTables } from '../../lab/scripted-tables.js';
import { ARP_OP, arpFrame, buildEthernet, buildLldp } from '../../src/packet/index.js';
import { ScriptedSwitch, endlessPortDesc, port } from '../../lab/scripted-switch.js';

/**
 * Every attack of the hostile-input issue at once, against a controller running dc-small, for
 * a bounded time (make soak runs this in a process of its own beside a well-behaved switch).
 * Prints one JSON line of what it sent.
 *
 *   node dist/bench/lib/attacks.js --of PORT --api PORT --seconds 30
 */

const { values } = parseArgs({ options: { of: { type: 'string' }, api: { type: 'string' }, seconds: { type: 'string', default: '30' } } });
const OF = Number(values.of);
const API = Number(values.api);
const END = Date.now() + Number(values.seconds) * 1000;
const sent: Record<string, number> = {};
const count = (what: string, n = 1): void => {
  sent[what] = (sent[what] ?? 0) + n;
};
const live = (): boolean => Date.now() < END;
const every = (ms: number, fn: () => void): Promise<void> =>
  new Promise((resolve) => {
    const t = setInterval(() => {
      if (!live()) {
        clearInterval(t);
        resolve();
      } else fn();
    }, ms);
  });

const packetIn = (sw: ScriptedSwitch, inPort: number, data: Buffer): void =>
  sw.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: data.length, reason: 0, tableId: 0, cookie: 0n, match: { in_port: inPort }, data });
const rnd = (bytes: number): string => Array.from({ length: bytes }, () => Math.floor(Math.random() * 256).toString(16).padStart(2, '0')).join(':');
const declared = (dpid: bigint, ports: number[]): Promise<ScriptedSwitch> => ScriptedSwitch.connect(OF, dpid, [4], (s) => (s.ports = ports.map((p) => port(p))));

/** A raw HTTP request; the answer is read and dropped. */
function http(request: string): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(API, '127.0.0.1');
    s.on('error', () => resolve());
    s.on('data', () => {});
    s.on('close', () => resolve());
    s.end(request);
  });
}

async function httpAttacks(): Promise<void> {
  const targets = ['//[', '//a:b', '//x:99999/', '/%', '/api/hosts?limit=abc'];
  const loop = async (i: number): Promise<void> => {
    while (live()) {
      const kind = i % 5;
      if (kind === 0) await http(`GET ${targets[Math.floor(Math.random() * targets.length)]} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      else if (kind === 1) await http('GET /api/hosts HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
      else if (kind === 2) await http('GET /api/hosts?limit=10000 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      // Round two: a web page's bodyless POST (no preflight), and header tricks.
      else if (kind === 3) await http('POST /api/migrations/1/complete HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      else await http('DELETE /api/migrations/1 HTTP/1.1\r\nHost: [::1].evil.example\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n');
      count('http');
    }
  };
  await Promise.all(Array.from({ length: 10 }, (_, i) => loop(i)));
}

/** Round two: 600 connections from 127.0.0.2 that never finish a request, each reopened as soon as it closes. */
async function slowLoris(): Promise<void> {
  const held = new Set<ReturnType<typeof connect>>();
  const open = (): void => {
    if (!live()) return;
    const s = connect({ port: API, host: '127.0.0.1', localAddress: '127.0.0.2' });
    held.add(s);
    count('slow loris connections');
    s.on('error', () => undefined);
    s.once('connect', () => s.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    s.once('close', () => {
      held.delete(s);
      setTimeout(open, 1);
    });
  };
  for (let i = 0; i < 600; i++) open();
  await every(1000, () => undefined);
  for (const s of held) s.destroy();
}

async function tenantAttacks(): Promise<void> {
  // acc2 (declared): its host ports send what a VM can.
  const acc2 = await declared(0x30002n, [1, 2, 3, 4]);
  await Promise.all([
    every(500, () => {
      for (const p of [1, 2]) packetIn(acc2, 3, buildLldp({ dpid: '0000000000020001', port: p, ttlSeconds: 3 }, '02:00:0a:00:02:0a'));
      count('lldp spoof', 2);
    }),
    every(10, () => {
      for (let i = 0; i < 10; i++) packetIn(acc2, 1, buildLldp({ dpid: rnd(8).replace(/:/g, ''), port: i, ttlSeconds: 3 }, '02:00:00:00:00:01'));
      count('lldp flood', 10);
    }),
    every(10, () => {
      for (let i = 0; i < 10; i++) packetIn(acc2, 4, buildEthernet('ff:ff:ff:ff:ff:ff', `02:${rnd(5)}`, 0x88b5, Buffer.alloc(46)));
      count('random MACs', 10);
    }),
    every(100, () => {
      for (const ip of ['10.0.3.10', '10.0.1.1', '10.0.2.11']) packetIn(acc2, 3, arpFrame({ op: ARP_OP.REQUEST, senderMac: '02:00:0a:00:02:0a', senderIp: ip, targetMac: '00:00:00:00:00:00', targetIp: ip }));
      count('address claims', 3);
    }),
    // Round two: a gratuitous ARP from the anycast gateway MAC (and the all-zero MAC) for a free address.
    every(100, () => {
      for (const mac of ['02:53:56:00:00:01', '00:00:00:00:00:00']) packetIn(acc2, 3, arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp: '10.0.2.77', targetMac: '00:00:00:00:00:00', targetIp: '10.0.2.77' }));
      count('gateway-MAC claims', 2);
    }),
    // Round two: one VM, 64 MACs, a random address of its subnet each, about 9k ARPs a second.
    every(10, () => {
      for (let i = 0; i < 90; i++) {
        const mac = `02:00:00:00:64:${(Math.floor(Math.random() * 64)).toString(16).padStart(2, '0')}`;
        packetIn(acc2, 4, arpFrame({ op: ARP_OP.REQUEST, senderMac: mac, senderIp: `10.0.2.${20 + Math.floor(Math.random() * 170)}`, targetMac: '00:00:00:00:00:00', targetIp: '10.0.2.1' }));
      }
      count('address churn', 90);
    }),
  ]);
  acc2.destroy();
}

async function switchAttacks(): Promise<void> {
  // acc3 stops reading and asks for its gateway as fast as it can: every answer piles up unsent.
  const acc3 = await declared(0x30003n, [1, 2, 3]);
  acc3.socket.pause();
  const ask = arpFrame({ op: ARP_OP.REQUEST, senderMac: '02:00:0a:00:03:0a', senderIp: '10.0.3.10', targetMac: '00:00:00:00:00:00', targetIp: '10.0.3.1' });
  // acc4 adds ports without end; edge1 reports errors without end.
  const acc4 = await declared(0x30004n, [1, 2, 3]);
  const edge1 = await declared(0x40001n, [1, 2]);
  let nextPort = 100;
  await Promise.all([
    every(10, () => {
      if (!acc3.socket.destroyed) for (let i = 0; i < 50; i++) packetIn(acc3, 3, ask);
      count('unread gateway ARPs', 50);
    }),
    every(10, () => {
      for (let i = 0; i < 20; i++) acc4.send({ type: MessageType.PORT_STATUS, xid: 0, reason: PortReason.ADD, port: port(nextPort++ % 0xffff00) });
      count('port adds', 20);
    }),
    every(10, () => {
      for (let i = 0; i < 50; i++) edge1.send({ type: MessageType.ERROR, xid: i, errType: ErrorType.FLOW_MOD_FAILED, code: FlowModFailedCode.TABLE_FULL, data: Buffer.alloc(0) });
      count('errors', 50);
    }),
  ]);
  for (const s of [acc3, acc4, edge1]) s.destroy();
}

/** Round two: agg1 reports 50,000 flows with our cookie that nobody planned, at every audit (they come back after each). */
async function auditFlood(): Promise<void> {
  const intruders = Array.from({ length: 50_000 }, (_, i): FlowEntry => ({
    tableId: 1, priority: 600 + (i % 100), cookie: 0x5356000200000000n, match: { in_port: 1000 + Math.floor(i / 100) }, instructions: [inst.apply([act.output(1)])],
  }));
  const tables = new ScriptedTables(200, false);
  const agg1 = await ScriptedSwitch.connect(OF, 0x20001n, [4], (s) => (s.ports = [1, 2, 3, 4, 5].map((p) => port(p))));
  tables.install(agg1);
  const answer = agg1.script!;
  agg1.script = (m, sw) => {
    if (m.type === MessageType.MULTIPART_REQUEST && m.body.mpType === MultipartType.FLOW) {
      for (const f of intruders) tables.flows.set(flowKey(f), f);
      count('flows reported to an audit', intruders.length);
    }
    return answer(m, sw);
  };
  await every(1000, () => undefined);
  agg1.destroy();
}

async function connectionAttacks(): Promise<void> {
  const open = new Set<ScriptedSwitch>();
  const attempt = async (make: () => Promise<ScriptedSwitch>, what: string): Promise<void> => {
    try {
      const s = await make();
      open.add(s);
      count(what);
      void s.closed.then(() => open.delete(s));
      setTimeout(() => s.destroy(), 2000).unref();
    } catch {
      count(`${what} (refused at connect)`);
    }
  };
  const which = new Set((process.env.CONNECTION_ATTACKS ?? 'handshakes,impostors,portdesc').split(','));
  const skip = (): Promise<void> => Promise.resolve();
  await Promise.all([
    // Made-up dpids, one handshake every 5 ms.
    which.has('handshakes') ? every(5, () => void attempt(() => ScriptedSwitch.connect(OF, BigInt(0x900000 + Math.floor(Math.random() * 1e6))), 'undeclared handshakes')) : skip(),
    // Impostors of acc1 (the well-behaved switch).
    which.has('impostors') ? every(100, () => void attempt(() => ScriptedSwitch.connect(OF, 0x30001n), 'acc1 impostors')) : skip(),
    // Endless PORT_DESC parts.
    !which.has('portdesc') ? skip() : every(500, () =>
      void attempt(
        () =>
          ScriptedSwitch.connect(OF, 0x777n, [4], (s) => (s.script = endlessPortDesc(200, undefined, { ms: 5, more: live }))),
        'endless PORT_DESC',
      ),
    ),
  ]);
  for (const s of open) s.destroy();
}

// ATTACKS=http,tenant,switch,connection,audit,loris picks some (all by default), to see which costs what.
const chosen = new Set((process.env.ATTACKS ?? 'http,tenant,switch,connection,audit,loris').split(','));
const all: Record<string, () => Promise<void>> = { http: httpAttacks, tenant: tenantAttacks, switch: switchAttacks, connection: connectionAttacks, audit: auditFlood, loris: slowLoris };
await Promise.all(Object.entries(all).filter(([k]) => chosen.has(k)).map(([, run]) => run()));
process.stdout.write(JSON.stringify(sent) + '\n');
process.exit(0);
