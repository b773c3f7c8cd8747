import { connect, type Socket } from 'node:net';
import {
  Framer, MessageType, MultipartFlags, MultipartType, decodeMessage, encodeMessage, type OfpMessage, type Port,
} from '../src/openflow/index.js';

/** A port as the scripted switch reports it: live, with defaults for what tests do not care about. */
const macOf = (n: number): string => `02:00:00:${[n >>> 16, n >>> 8, n].map((b) => (b & 255).toString(16).padStart(2, '0')).join(':')}`;
export const port = (portNo: number, name = `p${portNo}`, hwAddr = macOf(portNo)): Port => ({
  portNo, hwAddr, name, config: 0, state: 0, curr: 0, advertised: 0, supported: 0, peer: 0, currSpeed: 0, maxSpeed: 0,
});

/**
 * A scripted switch over real TCP, for behaviours a healthy OVS will not show on demand:
 * going silent, sending garbage, not reading. It completes the handshake like OVS does.
 */
export class ScriptedSwitch {
  readonly received: OfpMessage[] = [];
  /** Whether every message is kept in `received` (a switch of a benchmark's farm keeps none). */
  keepReceived = true;
  private readonly framer = new Framer();
  /** When false, requests are left unanswered (a hung switch). */
  answering = true;
  /** Ports reported in PORT_DESC. */
  ports: Port[] = [];
  /** Sees each message first; returning true means it answered (or chose not to), and the default is skipped. */
  script: ((m: OfpMessage, sw: ScriptedSwitch) => boolean) | undefined;

  private constructor(readonly socket: Socket, private readonly dpid: bigint) {
    socket.on('data', (chunk) => {
      for (const frame of this.framer.push(chunk)) this.onMessage(decodeMessage(frame));
    });
    socket.on('error', () => {});
  }

  static connect(tcpPort: number, dpid: bigint, helloVersions = [4], setup?: (sw: ScriptedSwitch) => void): Promise<ScriptedSwitch> {
    return new Promise((resolve, reject) => {
      const socket = connect(tcpPort, '127.0.0.1', () => {
        // As OVS does: without it, Nagle holds a packet-in behind an unacknowledged echo reply for a delayed ACK (40 ms).
        socket.setNoDelay(true);
        const sw = new ScriptedSwitch(socket, dpid);
        setup?.(sw);
        sw.send({ type: MessageType.HELLO, xid: 1, versions: helloVersions });
        resolve(sw);
      });
      socket.once('error', reject);
    });
  }

  send(m: OfpMessage): void {
    this.socket.write(encodeMessage(m));
  }

  get closed(): Promise<void> {
    return new Promise((resolve) => (this.socket.destroyed ? resolve() : this.socket.once('close', () => resolve())));
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onMessage(m: OfpMessage): void {
    if (this.keepReceived) this.received.push(m);
    if (!this.answering || this.script?.(m, this) === true) return;
    switch (m.type) {
      case MessageType.FEATURES_REQUEST:
        return this.send({ type: MessageType.FEATURES_REPLY, xid: m.xid, datapathId: this.dpid, nBuffers: 0, nTables: 1, auxiliaryId: 0, capabilities: 0 });
      case MessageType.MULTIPART_REQUEST:
        if (m.body.mpType === MultipartType.PORT_DESC) {
          return this.send({ type: MessageType.MULTIPART_REPLY, xid: m.xid, flags: 0, body: { mpType: MultipartType.PORT_DESC, ports: this.ports } });
        }
        return;
      case MessageType.ECHO_REQUEST:
        return this.send({ type: MessageType.ECHO_REPLY, xid: m.xid, data: m.data });
      case MessageType.BARRIER_REQUEST:
        return this.send({ type: MessageType.BARRIER_REPLY, xid: m.xid });
      default:
    }
  }
}

/**
 * A switch gone wrong: it answers PORT_DESC with `parts` replies that all say more follows
 * (`ports(i)` in the i-th), and again every `againMs` while `more()` holds. Set as its script.
 */
export function endlessPortDesc(parts: number, ports: (i: number) => Port[] = (i) => [port(i + 1)], again?: { ms: number; more: () => boolean }): ScriptedSwitch['script'] {
  return (m, sw) => {
    if (m.type !== MessageType.MULTIPART_REQUEST || m.body.mpType !== MultipartType.PORT_DESC) return false;
    const pump = (): void => {
      for (let i = 0; i < parts && !sw.socket.destroyed; i++) {
        sw.send({ type: MessageType.MULTIPART_REPLY, xid: m.xid, flags: MultipartFlags.REPLY_MORE, body: { mpType: MultipartType.PORT_DESC, ports: ports(i) } });
      }
      if (again && !sw.socket.destroyed && again.more()) setTimeout(pump, again.ms);
    };
    pump();
    return true;
  };
}

/** Holds a scripted switch's barrier replies until the returned function is called: what it was sent is applied, not yet confirmed. */
export function holdBarriers(sw: ScriptedSwitch): () => void {
  const held: number[] = [];
  const script = sw.script;
  sw.script = (m, s) => {
    if (m.type !== MessageType.BARRIER_REQUEST) return script?.(m, s) ?? false;
    held.push(m.xid);
    return true;
  };
  return () => {
    sw.script = script;
    for (const xid of held) sw.send({ type: MessageType.BARRIER_REPLY, xid });
  };
}
