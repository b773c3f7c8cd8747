import type { Logger } from '../log/logger.js';
import type { PacketIn } from '../openflow/index.js';
import type { Dpid } from './dpid.js';

/** Handles one packet-in, synchronously. `message.data` is a view into the receive buffer: copy what you keep. */
export type PacketProcessor = (dpid: Dpid, message: PacketIn) => void;

interface Entry {
  name: string;
  priority: number;
  process: PacketProcessor;
}

/**
 * The applications that see packet-ins, called one after another in order of priority
 * (lower first), as ONOS calls its PacketProcessors. The packet-in path is the one place
 * where svcswitch calls handlers directly rather than through an rxjs Subject: at several
 * hundred thousand packet-ins a second, a Subject's layers cost about a tenth of the
 * controller's CPU (make bench-throughput). `OpenFlowServer.packetIn$` still offers them as
 * an Observable to code off that path. A processor that throws is logged; the others run.
 */
export class PacketProcessors {
  /** Sorted by priority; replaced, never mutated, so that adding or removing during a dispatch is safe. */
  private entries: readonly Entry[] = [];

  constructor(private readonly log: Logger) {}

  /** Adds a processor; returns the function that removes it. */
  add(name: string, priority: number, process: PacketProcessor): () => void {
    const entry: Entry = { name, priority, process };
    this.entries = [...this.entries, entry].sort((a, b) => a.priority - b.priority);
    return () => {
      this.entries = this.entries.filter((e) => e !== entry);
    };
  }

  dispatch(dpid: Dpid, message: PacketIn): void {
    const entries = this.entries;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i]!;
      try {
        entry.process(dpid, message);
      } catch (e) {
        this.log.error('packet processor failed', { processor: entry.name, dpid, error: (e as Error).stack });
      }
    }
  }
}
