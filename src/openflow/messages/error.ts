import { ErrorType, errorName } from '../error-codes.js';
import { MessageType } from '../enums.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** OFPT_ERROR (§7.4.4). `data` holds at least 64 bytes of the request that failed. */
export type ErrorMsg =
  | { type: MessageType.ERROR; xid: number; errType: Exclude<ErrorType, ErrorType.EXPERIMENTER> | number; code: number; data: Buffer }
  | { type: MessageType.ERROR; xid: number; errType: ErrorType.EXPERIMENTER; expType: number; experimenter: number; data: Buffer };

export function writeError(w: Writer, m: ErrorMsg): void {
  w.u16(m.errType);
  if ('experimenter' in m) w.u16(m.expType).u32(m.experimenter);
  else w.u16(m.code);
  w.bytes(m.data);
}

export function readError(r: Reader, xid: number): ErrorMsg {
  const errType = r.u16('error type');
  if (errType === ErrorType.EXPERIMENTER) {
    const expType = r.u16();
    return { type: MessageType.ERROR, xid, errType, expType, experimenter: r.u32(), data: r.rest() };
  }
  return { type: MessageType.ERROR, xid, errType, code: r.u16('error code'), data: r.rest() };
}

/** "BAD_MATCH/BAD_PREREQ", or "EXPERIMENTER(0x2320)/5". */
export function describeError(m: ErrorMsg): string {
  if ('experimenter' in m) return `EXPERIMENTER(0x${m.experimenter.toString(16)})/${m.expType}`;
  return errorName(m.errType, m.code);
}
