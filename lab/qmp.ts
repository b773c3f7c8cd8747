import { connect, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import { until } from './wait.js';

/** QMP, QEMU's JSON control protocol, over its unix socket: commands in order, events kept with their arrival time. */
export class Qmp {
  private readonly pending: Array<{ resolve: (v: unknown) => void; reject: (e: Error) => void; command: string }> = [];
  /** Events as they came (name, ms since the epoch). */
  readonly events: Array<{ event: string; at: number }> = [];
  private greeted = false;

  private constructor(private readonly socket: Socket) {
    createInterface({ input: socket }).on('line', (line) => {
      const msg = JSON.parse(line) as { QMP?: unknown; event?: string; return?: unknown; error?: { desc: string } };
      if (msg.QMP) this.greeted = true;
      else if (msg.event) this.events.push({ event: msg.event, at: Date.now() });
      else {
        const p = this.pending.shift();
        if (msg.error) p?.reject(new Error(`QMP ${p.command}: ${msg.error.desc}`));
        else p?.resolve(msg.return);
      }
    });
    socket.on('error', (e) => {
      for (const p of this.pending.splice(0)) p.reject(e);
    });
    // QEMU gone (a guest that panicked with -no-reboot exits): no answer will come.
    socket.on('close', () => {
      for (const p of this.pending.splice(0)) p.reject(new Error(`QMP ${p.command}: QEMU closed its QMP socket (it exited)`));
    });
  }

  /** Connects once QEMU has made the socket, and negotiates capabilities. */
  static async open(path: string, timeoutMs = 20_000): Promise<Qmp> {
    let qmp: Qmp | undefined;
    await until(async () => {
      qmp = await new Promise<Qmp | undefined>((resolve) => {
        const s = connect(path);
        s.once('connect', () => resolve(new Qmp(s)));
        s.once('error', () => resolve(undefined));
      });
      return qmp !== undefined;
    }, `QEMU's QMP socket ${path}`, timeoutMs, 50);
    await until(() => qmp!.greeted, 'the QMP greeting', timeoutMs, 10);
    await qmp!.execute('qmp_capabilities');
    return qmp!;
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.socket.destroyed) return Promise.reject(new Error(`QMP ${command}: QEMU closed its QMP socket (it exited)`));
    return new Promise((resolve, reject) => {
      this.pending.push({ resolve, reject, command });
      this.socket.write(`${JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}) })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
