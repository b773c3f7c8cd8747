import { MessageType, OFP_HEADER_LEN, OFP_MAX_MESSAGE_LEN, OFP_VERSION } from './enums.js';
import { OfpDecodeError, OfpEncodeError } from './errors.js';
import { readError, writeError, type ErrorMsg } from './messages/error.js';
import { readFlowMod, readFlowRemoved, writeFlowMod, writeFlowRemoved, type FlowMod, type FlowRemoved } from './messages/flow.js';
import { readGroupMod, writeGroupMod, type GroupMod } from './messages/group.js';
import { readMeterMod, writeMeterMod, type MeterMod } from './messages/meter.js';
import { readMultipartReply, readMultipartRequest, writeMultipartReply, writeMultipartRequest, type MultipartReply, type MultipartRequest } from './messages/multipart.js';
import { readPacketIn, readPacketOut, writePacketIn, writePacketOut, type PacketIn, type PacketOut } from './messages/packet.js';
import { readPortMod, readPortStatus, writePortMod, writePortStatus, type PortMod, type PortStatus } from './messages/port.js';
import { readQueueGetConfigReply, readQueueGetConfigRequest, writeQueueGetConfigReply, writeQueueGetConfigRequest, type QueueGetConfigReply, type QueueGetConfigRequest } from './messages/queue.js';
import {
  readAsyncConfig, readFeaturesReply, readRole, readSwitchConfig, readTableMod,
  writeAsyncConfig, writeFeaturesReply, writeRole, writeSwitchConfig, writeTableMod,
  type AsyncConfig, type FeaturesReply, type Role, type SwitchConfig, type TableMod,
} from './messages/switch-config.js';
import { readExperimenter, readHello, writeExperimenter, writeHello, type EchoReply, type EchoRequest, type EmptyMessage, type Experimenter, type Hello } from './messages/symmetric.js';
import { Reader } from './reader.js';
import { Writer } from './writer.js';

/** Every OpenFlow 1.3 message, discriminated by `type`. */
export type OfpMessage =
  | Hello
  | ErrorMsg
  | EchoRequest
  | EchoReply
  | Experimenter
  | EmptyMessage
  | FeaturesReply
  | SwitchConfig
  | PacketIn
  | FlowRemoved
  | PortStatus
  | PacketOut
  | FlowMod
  | GroupMod
  | PortMod
  | TableMod
  | MultipartRequest
  | MultipartReply
  | QueueGetConfigRequest
  | QueueGetConfigReply
  | Role
  | AsyncConfig
  | MeterMod;

/** The message of one type: `MessageOf<MessageType.FLOW_MOD>` is `FlowMod`. */
export type MessageOf<T extends MessageType> = Extract<OfpMessage, { type: T }>;

type BodyCodec<T extends MessageType> = {
  write: (w: Writer, m: MessageOf<T>) => void;
  read: (r: Reader, xid: number, version: number) => MessageOf<T>;
};

const empty = <T extends MessageType>(type: T): BodyCodec<T> => ({
  write: () => {},
  read: (_r, xid) => ({ type, xid }) as MessageOf<T>,
});
const opaque = <T extends MessageType.ECHO_REQUEST | MessageType.ECHO_REPLY>(type: T): BodyCodec<T> => ({
  write: (w, m) => void w.bytes((m as EchoRequest | EchoReply).data),
  read: (r, xid) => ({ type, xid, data: r.rest() }) as MessageOf<T>,
});

/** One entry per message type: the compiler rejects a missing one. */
const CODECS: { [T in MessageType]: BodyCodec<T> } = {
  [MessageType.HELLO]: { write: writeHello, read: (r, xid, version) => readHello(r, xid, version) },
  [MessageType.ERROR]: { write: writeError, read: readError },
  [MessageType.ECHO_REQUEST]: opaque(MessageType.ECHO_REQUEST),
  [MessageType.ECHO_REPLY]: opaque(MessageType.ECHO_REPLY),
  [MessageType.EXPERIMENTER]: { write: writeExperimenter, read: readExperimenter },
  [MessageType.FEATURES_REQUEST]: empty(MessageType.FEATURES_REQUEST),
  [MessageType.FEATURES_REPLY]: { write: writeFeaturesReply, read: readFeaturesReply },
  [MessageType.GET_CONFIG_REQUEST]: empty(MessageType.GET_CONFIG_REQUEST),
  [MessageType.GET_CONFIG_REPLY]: { write: writeSwitchConfig, read: (r, xid) => readSwitchConfig(r, xid, MessageType.GET_CONFIG_REPLY) as MessageOf<MessageType.GET_CONFIG_REPLY> },
  [MessageType.SET_CONFIG]: { write: writeSwitchConfig, read: (r, xid) => readSwitchConfig(r, xid, MessageType.SET_CONFIG) as MessageOf<MessageType.SET_CONFIG> },
  [MessageType.PACKET_IN]: { write: writePacketIn, read: readPacketIn },
  [MessageType.FLOW_REMOVED]: { write: writeFlowRemoved, read: readFlowRemoved },
  [MessageType.PORT_STATUS]: { write: writePortStatus, read: readPortStatus },
  [MessageType.PACKET_OUT]: { write: writePacketOut, read: readPacketOut },
  [MessageType.FLOW_MOD]: { write: writeFlowMod, read: readFlowMod },
  [MessageType.GROUP_MOD]: { write: writeGroupMod, read: readGroupMod },
  [MessageType.PORT_MOD]: { write: writePortMod, read: readPortMod },
  [MessageType.TABLE_MOD]: { write: writeTableMod, read: readTableMod },
  [MessageType.MULTIPART_REQUEST]: { write: writeMultipartRequest, read: readMultipartRequest },
  [MessageType.MULTIPART_REPLY]: { write: writeMultipartReply, read: readMultipartReply },
  [MessageType.BARRIER_REQUEST]: empty(MessageType.BARRIER_REQUEST),
  [MessageType.BARRIER_REPLY]: empty(MessageType.BARRIER_REPLY),
  [MessageType.QUEUE_GET_CONFIG_REQUEST]: { write: writeQueueGetConfigRequest, read: readQueueGetConfigRequest },
  [MessageType.QUEUE_GET_CONFIG_REPLY]: { write: writeQueueGetConfigReply, read: readQueueGetConfigReply },
  [MessageType.ROLE_REQUEST]: { write: writeRole, read: (r, xid) => readRole(r, xid, MessageType.ROLE_REQUEST) as MessageOf<MessageType.ROLE_REQUEST> },
  [MessageType.ROLE_REPLY]: { write: writeRole, read: (r, xid) => readRole(r, xid, MessageType.ROLE_REPLY) as MessageOf<MessageType.ROLE_REPLY> },
  [MessageType.GET_ASYNC_REQUEST]: empty(MessageType.GET_ASYNC_REQUEST),
  [MessageType.GET_ASYNC_REPLY]: { write: writeAsyncConfig, read: (r, xid) => readAsyncConfig(r, xid, MessageType.GET_ASYNC_REPLY) as MessageOf<MessageType.GET_ASYNC_REPLY> },
  [MessageType.SET_ASYNC]: { write: writeAsyncConfig, read: (r, xid) => readAsyncConfig(r, xid, MessageType.SET_ASYNC) as MessageOf<MessageType.SET_ASYNC> },
  [MessageType.METER_MOD]: { write: writeMeterMod, read: readMeterMod },
};

/** Appends one complete message (header included) to `w`. */
export function writeMessage(w: Writer, m: OfpMessage): void {
  const start = w.offset;
  const codec = CODECS[m.type] as BodyCodec<MessageType> | undefined;
  if (codec === undefined) throw new OfpEncodeError(`unknown message type ${String(m.type)}`);
  const version = m.type === MessageType.HELLO ? (m.version ?? OFP_VERSION) : OFP_VERSION;
  w.u8(version).u8(m.type).u16(0).u32(m.xid);
  codec.write(w, m);
  const length = w.offset - start;
  if (length > OFP_MAX_MESSAGE_LEN) {
    throw new OfpEncodeError(`${MessageType[m.type]} is ${length} bytes, over the 65535 an OpenFlow message can hold`);
  }
  w.patchU16(start + 2, length);
}

/** Encodes one message into a new Buffer. */
export function encodeMessage(m: OfpMessage): Buffer {
  const w = new Writer(m.type === MessageType.FLOW_MOD || m.type === MessageType.PACKET_OUT ? 256 : 64);
  writeMessage(w, m);
  return w.finish();
}

/**
 * Decodes exactly one message: `buf` from `start` to `end` holds it whole (as the framer
 * delivers). Any defect raises OfpDecodeError, its offset counted from `start`; nothing
 * else is thrown for any input.
 */
export function decodeMessage(buf: Buffer, start = 0, end = buf.length): OfpMessage {
  const size = end - start;
  if (size < OFP_HEADER_LEN) throw new OfpDecodeError('truncated', `message of ${size} bytes is shorter than the header`, 0);
  const version = buf[start]!;
  const type = buf[start + 1]!;
  const length = buf.readUInt16BE(start + 2);
  const xid = buf.readUInt32BE(start + 4);
  if (length !== size) throw new OfpDecodeError('bad_length', `header length ${length} but ${size} bytes given`, 2);
  // HELLO is read whatever its version: it is how a switch of another version tells us so.
  if (version !== OFP_VERSION && type !== MessageType.HELLO) {
    throw new OfpDecodeError('bad_version', `version 0x${version.toString(16)} is not OpenFlow 1.3`, 0);
  }
  const codec = CODECS[type as MessageType] as BodyCodec<MessageType> | undefined;
  if (codec === undefined) throw new OfpDecodeError('bad_type', `unknown message type ${type}`, 1);
  const r = new Reader(buf, start + OFP_HEADER_LEN, end, start);
  try {
    return codec.read(r, xid, version);
  } catch (e) {
    if (e instanceof OfpDecodeError) throw e;
    // A defect in a body reader (not in the input) must still reach the caller typed.
    throw new OfpDecodeError('bad_value', `${MessageType[type]}: ${(e as Error).message}`);
  }
}

/** Name of a message type for logs: "FLOW_MOD". */
export function messageTypeName(type: number): string {
  return MessageType[type] ?? `TYPE_${type}`;
}
