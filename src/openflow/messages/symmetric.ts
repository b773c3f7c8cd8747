import { HelloElemType, MessageType, OFP_VERSION } from '../enums.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** Messages with no body, or only opaque data, and HELLO (§7.5.1, §7.5.2, §7.3.7). */

export interface Hello {
  type: MessageType.HELLO;
  xid: number;
  /** Header version. A switch that does not speak 1.3 says so here. */
  version?: number;
  /** Versions from the VERSIONBITMAP element; empty when the switch sent none. */
  versions: number[];
}

export interface EchoRequest {
  type: MessageType.ECHO_REQUEST;
  xid: number;
  data: Buffer;
}

export interface EchoReply {
  type: MessageType.ECHO_REPLY;
  xid: number;
  data: Buffer;
}

export interface Experimenter {
  type: MessageType.EXPERIMENTER;
  xid: number;
  experimenter: number;
  expType: number;
  data: Buffer;
}

/** Requests and replies whose whole content is the header. */
export type EmptyMessageType =
  | MessageType.FEATURES_REQUEST
  | MessageType.GET_CONFIG_REQUEST
  | MessageType.BARRIER_REQUEST
  | MessageType.BARRIER_REPLY
  | MessageType.GET_ASYNC_REQUEST;

export interface EmptyMessage<T extends EmptyMessageType = EmptyMessageType> {
  type: T;
  xid: number;
}

export function writeHello(w: Writer, m: Hello): void {
  const versions = m.versions.length > 0 ? m.versions : [OFP_VERSION];
  const words = Math.floor(Math.max(...versions) / 32) + 1;
  w.u16(HelloElemType.VERSIONBITMAP).u16(4 + 4 * words);
  for (let word = 0; word < words; word++) {
    let bits = 0;
    for (const v of versions) if (Math.floor(v / 32) === word) bits |= 1 << v % 32;
    w.u32(bits);
  }
  w.padTo(8);
}

export function readHello(r: Reader, xid: number, version: number): Hello {
  const versions: number[] = [];
  // Elements are optional and unknown ones are skipped (§7.5.1); a short trailer is ignored
  // so that switches sending a bare header interoperate.
  while (r.remaining >= 4) {
    const type = r.u16('hello element type');
    const len = r.u16('hello element length');
    if (len < 4) break;
    const body = r.sub(Math.min(len - 4, r.remaining), 'hello element');
    if (type === HelloElemType.VERSIONBITMAP) {
      for (let word = 0; body.remaining >= 4; word++) {
        const bits = body.u32();
        for (let bit = 0; bit < 32; bit++) if (bits & (1 << bit)) versions.push(word * 32 + bit);
      }
    }
    r.skip(Math.min((8 - (len % 8)) % 8, r.remaining));
  }
  return { type: MessageType.HELLO, xid, version, versions };
}

export function writeExperimenter(w: Writer, m: Experimenter): void {
  w.u32(m.experimenter).u32(m.expType).bytes(m.data);
}

export function readExperimenter(r: Reader, xid: number): Experimenter {
  return { type: MessageType.EXPERIMENTER, xid, experimenter: r.u32(), expType: r.u32(), data: r.rest() };
}
