import { Writer, writeMessage, type OfpMessage } from '../openflow/index.js';

/**
 * The messages one channel has still to send, encoded straight into one reusable buffer and
 * handed to the socket in one write per event-loop tick, or as soon as `flushBytes` wait.
 * A burst of replies to packet-ins thus costs no Buffer per message and one syscall per
 * burst, which is what bounds a controller's packet-in throughput on a single core.
 */
export class Outbox {
  private readonly writer = new Writer(16 * 1024);
  private scheduled = false;
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    /** Receives the bytes of each flush; they are the sink's to keep. */
    private readonly sink: (bytes: Buffer) => void,
    private readonly flushBytes = 64 * 1024,
  ) {}

  /**
   * Appends `m` with the given xid. An encoding error throws here and leaves nothing of the
   * message behind, so what was queued before it still goes out intact.
   */
  add(m: OfpMessage, xid: number): void {
    const start = this.writer.offset;
    try {
      writeMessage(this.writer, m);
    } catch (e) {
      this.writer.rewind(start);
      throw e;
    }
    this.writer.patchU32(start + 4, xid);
    this.queued();
  }

  /** Sends what is queued now, in one write. */
  flush(): void {
    const bytes = this.take();
    if (bytes !== undefined) this.sink(bytes);
  }

  /** Hands over what is queued instead of sending it (for a channel's last write), and empties the outbox. */
  take(): Buffer | undefined {
    return this.writer.offset > 0 ? this.writer.take() : undefined;
  }

  private queued(): void {
    if (this.writer.offset >= this.flushBytes) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      process.nextTick(this.flushSoon);
    }
  }
}
