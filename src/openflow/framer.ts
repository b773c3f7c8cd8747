import { OFP_HEADER_LEN } from './enums.js';
import { OfpDecodeError } from './errors.js';

/** Receives one whole message: bytes `start` to `end` of `buf`, valid until the visitor returns. */
export type MessageVisitor = (buf: Buffer, start: number, end: number) => void;

/**
 * Splits a TCP byte stream into whole OpenFlow messages. Works on split and coalesced
 * segments alike. Messages are read where they arrived, in the chunk (only a message split
 * across chunks is copied). Memory is bounded: it never holds more than one partial
 * message (at most 65535 bytes) beyond the chunk being processed.
 *
 * After an error, its own or the visitor's, the stream can no longer be trusted to be
 * aligned; the framer refuses further input and the caller should close the connection
 * (what every OpenFlow controller does).
 */
export class Framer {
  private pending: Buffer | null = null;
  private failed = false;

  /** Returns the complete messages in `chunk` (and those completed by it), in order, as views. */
  push(chunk: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.each(chunk, (buf, start, end) => out.push(buf.subarray(start, end)));
    return out;
  }

  /**
   * Calls `visit` for each complete message in `chunk` (and one completed by it), in order,
   * with no Buffer made per message: the packet-in path decodes straight from the chunk.
   */
  each(chunk: Buffer, visit: MessageVisitor): void {
    if (this.failed) throw new OfpDecodeError('bad_length', 'framer used after a framing error');
    try {
      this.split(chunk, visit);
    } catch (e) {
      this.failed = true;
      throw e;
    }
  }

  private split(chunk: Buffer, visit: MessageVisitor): void {
    let at = 0;
    if (this.pending !== null) {
      // Complete the pending message with just the bytes it lacks: the rest of the chunk
      // is framed in place, never copied.
      const pending = this.pending;
      if (pending.length < OFP_HEADER_LEN) {
        const take = Math.min(OFP_HEADER_LEN - pending.length, chunk.length);
        this.pending = Buffer.concat([pending, chunk.subarray(0, take)]);
        at = take;
        if (this.pending.length < OFP_HEADER_LEN) return;
      }
      const head = this.pending;
      const length = this.checkedLength(head, 0);
      const need = length - head.length;
      if (chunk.length - at < need) {
        this.pending = Buffer.concat([head, chunk.subarray(at)]);
        return;
      }
      this.pending = null;
      const whole = Buffer.concat([head, chunk.subarray(at, at + need)]);
      at += need;
      visit(whole, 0, length);
    }
    while (chunk.length - at >= OFP_HEADER_LEN) {
      const length = this.checkedLength(chunk, at);
      if (chunk.length - at < length) break;
      const start = at;
      at += length;
      visit(chunk, start, at);
    }
    if (at < chunk.length) this.pending = Buffer.from(chunk.subarray(at));
  }

  private checkedLength(buf: Buffer, at: number): number {
    const length = (buf[at + 2]! << 8) | buf[at + 3]!;
    if (length < OFP_HEADER_LEN) throw new OfpDecodeError('bad_length', `message length ${length} is below the 8-byte header`, at + 2);
    return length;
  }

  /** Bytes waiting for the rest of their message. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }
}
