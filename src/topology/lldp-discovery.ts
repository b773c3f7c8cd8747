import type { Logger } from '../log/logger.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import { MessageType, PortNo, act, type Port } from '../openflow/index.js';
import { randomBytes } from 'node:crypto';
import { buildLldp, parseLldp, verifyLldp } from '../packet/lldp.js';
import type { EthernetFrame } from '../packet/ethernet.js';

/** One direction of an adjacency seen by LLDP: a probe sent from `from` arrived at `to`. */
export interface Observation {
  from: { dpid: string; port: number };
  to: { dpid: string; port: number };
}

const obsKey = (o: Observation): string => `${o.from.dpid}:${o.from.port}>${o.to.dpid}:${o.to.port}`;

/** Why a received LLDP frame was not taken as evidence of a link. */
export type LldpVerdict = 'accepted' | 'foreign' | 'forged' | 'table-full';

/**
 * Sends a signed LLDP probe out of each port the service allows (every port, or with a
 * topology file only the declared switch-to-switch ones) of every connected switch each
 * interval, and reports adjacencies as they are first seen and when they expire (no probe
 * for three intervals). Only probes signed by this controller within those three intervals
 * count. Knows nothing of the declared topology: the service compares.
 */
export class LldpDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private readonly lastSeen = new Map<string, { obs: Observation; at: number }>();
  /**
   * The secret probes are signed with: new at every start, so a probe outlives no controller;
   * in a cluster, the one every member shares (useKey), so that a probe one member sent is
   * recognized by the member that masters the switch it arrives at.
   */
  private key: Buffer = randomBytes(32);

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly onSeen: (o: Observation) => void,
    private readonly onExpired: (o: Observation) => void,
    /** Ports a probe goes out of. */
    private readonly probes: (dpid: string, port: number) => boolean = () => true,
    /** Adjacencies remembered at most: beyond that, new ones are refused. */
    private readonly maxObservations = 16_384,
  ) {}

  /** Signs and verifies with `key` from now on (32 bytes or more). */
  useKey(key: Buffer): void {
    if (key.length < 32) throw new RangeError(`an LLDP key of ${key.length} bytes is too short (32 at least)`);
    this.key = key;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Probes one switch now (on connect and on port up, so discovery does not wait a whole interval). */
  probe(dpid: string, ports: readonly Port[]): void {
    const conn = this.openflow.connection(dpid);
    if (!conn) return;
    const ttlSeconds = Math.max(1, Math.ceil((3 * this.intervalMs) / 1000));
    for (const p of ports) {
      if (p.portNo > PortNo.MAX || (p.state & 1) === 1 || !this.probes(dpid, p.portNo)) continue; // reserved ports, link down, or a host port
      const frame = buildLldp({ dpid, port: p.portNo, ttlSeconds }, p.hwAddr, { key: this.key, sentAtMs: Date.now() });
      conn.send({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(p.portNo)], data: frame }).catch(() => {});
    }
  }

  /** Called with every LLDP packet-in the service lets through; says what became of it. */
  receive(dpid: string, inPort: number, frame: EthernetFrame): LldpVerdict {
    const probe = parseLldp(frame.payload);
    if (!probe) return 'foreign';
    const now = Date.now();
    if (!verifyLldp(probe, this.key, now, 3 * this.intervalMs)) return 'forged';
    const obs: Observation = { from: { dpid: probe.dpid, port: probe.port }, to: { dpid, port: inPort } };
    const key = obsKey(obs);
    const seen = this.lastSeen.get(key);
    if (seen !== undefined) {
      seen.at = now;
      return 'accepted';
    }
    if (this.lastSeen.size >= this.maxObservations) return 'table-full';
    this.lastSeen.set(key, { obs, at: now });
    this.onSeen(obs);
    return 'accepted';
  }

  /** Forgets every observation touching a port (port down) or a switch (port undefined). */
  forget(dpid: string, port?: number): void {
    for (const [key, { obs }] of this.lastSeen) {
      const touches = (e: { dpid: string; port: number }): boolean => e.dpid === dpid && (port === undefined || e.port === port);
      if (touches(obs.from) || touches(obs.to)) {
        this.lastSeen.delete(key);
        this.onExpired(obs);
      }
    }
  }

  private tick(): void {
    const now = Date.now();
    for (const [key, { obs, at }] of this.lastSeen) {
      if (now - at > 3 * this.intervalMs) {
        this.lastSeen.delete(key);
        this.log.debug('LLDP adjacency expired', { from: obs.from, to: obs.to });
        this.onExpired(obs);
      }
    }
    for (const [dpid, conn] of this.openflow.connected) this.probe(dpid, conn.ports);
  }
}
