import { OFP_HEADER_LEN } from './enums.js';
import { OfpDecodeError } from './errors.js';

/**
 * Splits a TCP byte stream into whole OpenFlow messages. Works on split and coalesced
 * segments alike. Memory is bounded: it never holds more than one partial message
 * (at most 65535 bytes) beyond the chunk being processed.
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
    let buf = chunk;
    if (this.pending !== null) {
      buf = Buffer.concat([this.pending, chunk]);
      this.pending = null;
    }
    const out: Buffer[] = [];
    let at = 0;
    while (buf.length - at >= OFP_HEADER_LEN) {
      const length = buf.readUInt16BE(at + 2);
      if (length < OFP_HEADER_LEN) {
        this.failed = true;
        throw new OfpDecodeError('bad_length', `message length ${length} is below the 8-byte header`, at + 2);
      }
      if (buf.length - at < length) break;
      out.push(buf.subarray(at, at + length));
      at += length;
    }
    if (at < buf.length) this.pending = Buffer.from(buf.subarray(at));
    return out;
  }

  /** Bytes waiting for the rest of their message. */
  get buffered(): number {
    return this.pending?.length ?? 0;
  }
}
