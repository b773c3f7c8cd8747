import { OFP_HEADER_LEN } from './enums.js';
import { OfpDecodeError } from './errors.js';

/**
 * Splits a TCP byte stream into whole OpenFlow messages. Works on split and coalesced
 * segments alike. Messages are views into the chunk they arrived in (only a message split
 * across chunks is copied). Memory is bounded: it never holds more than one partial
 * message (at most 65535 bytes) beyond the chunk being processed.
 *
 * After an error the stream can no longer be trusted to be aligned; the caller should
 * close the connection (what every OpenFlow controller does).
 */
export class Framer {
  private pending: Buffer | null = null;
  private failed = false;

  /** Returns the complete messages in `chunk` (and those completed by it), in order. */
  push(chunk: Buffer): Buffer[] {
    if (this.failed) throw new OfpDecodeError('bad_length', 'framer used after a framing error');
    const out: Buffer[] = [];
    let at = 0;
    if (this.pending !== null) {
      // Complete the pending message with just the bytes it lacks: the rest of the chunk
      // is framed in place, never copied.
      const pending = this.pending;
      if (pending.length < OFP_HEADER_LEN) {
        const take = Math.min(OFP_HEADER_LEN - pending.length, chunk.length);
        this.pending = Buffer.concat([pending, chunk.subarray(0, take)]);
        at = take;
        if (this.pending.length < OFP_HEADER_LEN) return out;
      }
      const head = this.pending;
      const length = this.checkedLength(head, 0);
      const need = length - head.length;
      if (chunk.length - at < need) {
        this.pending = Buffer.concat([head, chunk.subarray(at)]);
        return out;
      }
      out.push(Buffer.concat([head, chunk.subarray(at, at + need)]));
      at += need;
      this.pending = null;
    }
    while (chunk.length - at >= OFP_HEADER_LEN) {
      const length = this.checkedLength(chunk, at);
      if (chunk.length - at < length) break;
      out.push(chunk.subarray(at, at + length));
      at += length;
    }
    if (at < chunk.length) this.pending = Buffer.from(chunk.subarray(at));
    return out;
  }

  private checkedLength(buf: Buffer, at: number): number {
    const length = buf.readUInt16BE(at + 2);
    if (length < OFP_HEADER_LEN) {
      this.failed = true;
      throw new OfpDecodeError('bad_length', `message length ${length} is below the 8-byte header`, at + 2);
    }
    return length;
  }

  /** Bytes waiting for the rest of their message. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }
}
