import { MessageType, QueueProperty } from '../enums.js';
import { OfpDecodeError } from '../errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** QUEUE_GET_CONFIG request and reply (§7.3.6). */

export type QueuePropertyValue =
  | { property: QueueProperty.MIN_RATE | QueueProperty.MAX_RATE; rate: number }
  | { property: QueueProperty.EXPERIMENTER; experimenter: number; data: Buffer };

export interface PacketQueue {
  queueId: number;
  port: number;
  properties: QueuePropertyValue[];
}

export interface QueueGetConfigRequest {
  type: MessageType.QUEUE_GET_CONFIG_REQUEST;
  xid: number;
  port: number;
}

export interface QueueGetConfigReply {
  type: MessageType.QUEUE_GET_CONFIG_REPLY;
  xid: number;
  port: number;
  queues: PacketQueue[];
}

export function writeQueueGetConfigRequest(w: Writer, m: QueueGetConfigRequest): void {
  w.u32(m.port).zeros(4);
}

export function readQueueGetConfigRequest(r: Reader, xid: number): QueueGetConfigRequest {
  const port = r.u32();
  r.skip(4);
  return { type: MessageType.QUEUE_GET_CONFIG_REQUEST, xid, port };
}

export function writeQueueGetConfigReply(w: Writer, m: QueueGetConfigReply): void {
  w.u32(m.port).zeros(4);
  for (const q of m.queues) {
    const start = w.offset;
    w.u32(q.queueId).u32(q.port).u16(0).zeros(6);
    for (const p of q.properties) {
      const pStart = w.offset;
      w.u16(p.property).u16(0).zeros(4);
      if (p.property === QueueProperty.EXPERIMENTER) w.u32(p.experimenter).zeros(4).bytes(p.data).padTo(8, pStart);
      else w.u16(p.rate).zeros(6);
      w.patchU16(pStart + 2, w.offset - pStart);
    }
    w.patchU16(start + 8, w.offset - start);
  }
}

export function readQueueGetConfigReply(r: Reader, xid: number): QueueGetConfigReply {
  const port = r.u32();
  r.skip(4);
  const queues: PacketQueue[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const queueId = r.u32();
    const qPort = r.u32();
    const len = r.u16();
    if (len < 16) throw new OfpDecodeError('bad_length', `queue length ${len}`, at);
    r.skip(6);
    const body = r.sub(len - 16, 'queue properties');
    const properties: QueuePropertyValue[] = [];
    while (body.remaining > 0) {
      const pAt = body.offset;
      const property = body.u16();
      const pLen = body.u16();
      if (pLen < 8) throw new OfpDecodeError('bad_length', `queue property length ${pLen}`, pAt);
      const p = body.sub(pLen - 4, 'queue property');
      p.skip(4);
      if (property === QueueProperty.MIN_RATE || property === QueueProperty.MAX_RATE) {
        properties.push({ property, rate: p.u16() });
      } else if (property === QueueProperty.EXPERIMENTER) {
        const experimenter = p.u32();
        p.skip(4);
        properties.push({ property, experimenter, data: p.rest() });
      } else {
        throw new OfpDecodeError('bad_type', `unknown queue property ${property}`, pAt);
      }
    }
    queues.push({ queueId, port: qPort, properties });
  }
  return { type: MessageType.QUEUE_GET_CONFIG_REPLY, xid, port, queues };
}
