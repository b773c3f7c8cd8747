import type { OpenFlowServer } from '../controller/openflow-server.js';
import { MessageType, PortNo, act, macFromBytes, type PacketOut } from '../openflow/index.js';
import { ARP_AT, ARP_OP, arpFrame, arpOpAt } from '../packet/arp.js';
import { u32At } from '../packet/bytes.js';
import { ETH_TYPE } from '../packet/ethernet.js';
import { ipToInt } from '../topology/cidr.js';
import type { SwitchRef } from '../topology/events.js';
import { GATEWAY_MAC } from '../topology/model.js';
import type { TopologyService } from '../topology/topology-service.js';

/**
 * How long a VM has to answer at its old port, and how often it is asked meanwhile. A running
 * guest answers an ARP within a few milliseconds (the QEMU test VM, emulated by TCG on a
 * loaded 2-core machine, answers pings through OVS in 2-4 ms); a live-migrated one is paused
 * at its source and never does. Every millisecond here is one a transparent migration's
 * correspondents wait, so the window is short: docs/security.md weighs it.
 */
const PROBE_TIMING = { timeoutMs: 12, repeatMs: 4 };

/**
 * What asking a VM at its old place told: it answered (it runs there), it stayed silent (its
 * port is down or gone, or it does not answer: paused, crashed, moved), or it could not be
 * asked: its switch's control channel is down (`unreachable`), or, in a cluster, another
 * member masters that switch (`not-mastered`): a standby's packet-out is refused and the
 * reply would reach the master only, so silence there would prove nothing.
 */
export type ProbeAnswer = 'answered' | 'silent' | 'unreachable' | 'not-mastered';

/**
 * Asks a VM at its old port whether it still runs there: ARP requests for its address, from
 * the gateway, out of that port only, and a wait for its reply there (with its MAC and its
 * address as sender; port security lets nothing else claim them at that port). Holds nothing
 * between probes but the subscription of the probes in flight.
 */
export class LivenessProbe {
  constructor(
    private readonly openflow: OpenFlowServer,
    private readonly topology: TopologyService,
    private readonly timing = PROBE_TIMING,
  ) {}

  check(at: SwitchRef, mac: string, ip: string, gateway: string): Promise<ProbeAnswer> {
    const sw = this.topology.switchList().find((s) => s.name === at.switch);
    const conn = sw?.connected ? this.openflow.connection(sw.dpid) : undefined;
    if (!sw || !conn) return Promise.resolve('unreachable');
    if (conn.role === 'slave') return Promise.resolve('not-mastered');
    if (!this.topology.portLive(at)) return Promise.resolve('silent');
    const want = ipToInt(ip);
    // Unicast to the VM's MAC, as a host re-checks a neighbour it knows.
    const ask = arpFrame({ op: ARP_OP.REQUEST, senderMac: GATEWAY_MAC, senderIp: gateway, targetMac: mac, targetIp: ip }, mac);
    const request: PacketOut = { type: MessageType.PACKET_OUT, xid: 0, inPort: PortNo.CONTROLLER, actions: [act.output(at.port)], data: ask };
    return new Promise((resolve) => {
      const done = (answer: ProbeAnswer): void => {
        clearInterval(again);
        clearTimeout(timeout);
        subscription.unsubscribe();
        resolve(answer);
      };
      const subscription = this.openflow.packetIn$.subscribe(({ dpid, message: m }) => {
        const d = m.data;
        if (dpid !== sw.dpid || m.match.in_port !== at.port || d.length < ARP_AT.END || d.readUInt16BE(12) !== ETH_TYPE.ARP) return;
        if (arpOpAt(d) !== ARP_OP.REPLY || u32At(d, ARP_AT.SENDER_IP) !== want) return;
        if (macFromBytes(d, ARP_AT.SENDER_MAC) === mac) done('answered');
      });
      const send = (): void => void conn.post(request);
      const again = setInterval(send, this.timing.repeatMs);
      const timeout = setTimeout(() => done('silent'), this.timing.timeoutMs);
      send();
    });
  }
}
