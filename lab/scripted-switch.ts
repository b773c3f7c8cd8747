import { connect, type Socket } from 'node:net';
import {
  Framer, MessageType, MultipartType, decodeMessage, encodeMessage, type OfpMessage,
} from '../src/openflow/index.js';

/**
 * A scripted switch over real TCP, for behaviours a healthy OVS will not show on demand:
 * going silent, sending garbage, not reading. It completes the handshake like OVS does.
 */
export class FakeSwitch {
  readonly received: OfpMessage[] = [];
  private readonly framer = new Framer();
  /** When false, requests are left unanswered (a hung switch). */
  answering = true;

  private constructor(readonly socket: Socket, private readonly dpid: bigint) {
    socket.on('data', (chunk) => {
      for (const frame of this.framer.push(chunk)) this.onMessage(decodeMessage(frame));
    });
    socket.on('error', () => {});
  }

  static connect(port: number, dpid: bigint, helloVersions = [4]): Promise<FakeSwitch> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        const sw = new FakeSwitch(socket, dpid);
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
    this.received.push(m);
    if (!this.answering) return;
    switch (m.type) {
      case MessageType.FEATURES_REQUEST:
        return this.send({ type: MessageType.FEATURES_REPLY, xid: m.xid, datapathId: this.dpid, nBuffers: 0, nTables: 1, auxiliaryId: 0, capabilities: 0 });
      case MessageType.MULTIPART_REQUEST:
        if (m.body.mpType === MultipartType.PORT_DESC) {
          return this.send({ type: MessageType.MULTIPART_REPLY, xid: m.xid, flags: 0, body: { mpType: MultipartType.PORT_DESC, ports: [] } });
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
