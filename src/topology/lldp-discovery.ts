import type { Logger } from '../log/logger.js';
import type { OpenFlowServer } from '../controller/openflow-server.js';
import { MessageType, PortNo, act, type Port } from '../openflow/index.js';
import { buildLldp, parseLldp } from '../packet/lldp.js';
import type { EthernetFrame } from '../packet/ethernet.js';

/** One direction of an adjacency seen by LLDP: a probe sent from `from` arrived at `to`. */
export interface Observation {
  from: { dpid: string; port: number };
  to: { dpid: string; port: number };
}

const obsKey = (o: Observation): string => `${o.from.dpid}:${o.from.port}>${o.to.dpid}:${o.to.port}`;

/**
 * Sends an LLDP probe out of every port of every connected switch each interval, and
 * reports adjacencies as they are first seen and when they expire (no probe for three
 * intervals). Knows nothing of the declared topology: the service compares.
 */
export class LldpDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private readonly lastSeen = new Map<string, { obs: Observation; at: number }>();

  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly log: Logger,
    private readonly intervalMs: number,
    private readonly onSeen: (o: Observation) => void,
    private readonly onExpired: (o: Observation) => void,
  ) {}

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
      if (p.portNo > PortNo.MAX || (p.state & 1) === 1) continue; // reserved ports, or link down
      const frame = buildLldp({ dpid, port: p.portNo, ttlSeconds }, p.hwAddr);
      conn.send({ type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(p.portNo)], data: frame }).catch(() => {});
    }
  }

  /** Called with every LLDP packet-in; returns false for frames that are not our probes. */
  receive(dpid: string, inPort: number, frame: EthernetFrame): boolean {
    const probe = parseLldp(frame.payload);
    if (!probe) return false;
    const obs: Observation = { from: { dpid: probe.dpid, port: probe.port }, to: { dpid, port: inPort } };
    const key = obsKey(obs);
    const isNew = !this.lastSeen.has(key);
    this.lastSeen.set(key, { obs, at: Date.now() });
    if (isNew) this.onSeen(obs);
    return true;
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
