import type { IncomingMessage, ServerResponse } from 'node:http';
import { SAFE_HEADERS } from './request-guard.js';

/**
 * The clients of GET /api/events, in the HTTP front's thread: each gets every chunk the
 * controller's thread publishes (src/api/event-feed.ts). Every client costs a connection and
 * a buffer, so both are bounded: at most `maxClients` in all and `maxPerClient` from one
 * address (a 429 past them), and a client that leaves more than `maxUnsentBytes` unread is
 * cut (it reconnects, and reads the state again from the REST API).
 */

export interface StreamLimits {
  maxClients: number;
  maxPerClient: number;
  maxUnsentBytes: number;
  /** A comment line this often keeps proxies and dead-peer detection honest. */
  heartbeatMs: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = { maxClients: 64, maxPerClient: 4, maxUnsentBytes: 1024 * 1024, heartbeatMs: 15_000 };

/** What a refused client is told. */
export interface StreamRefusal {
  status: 429;
  error: string;
}

export class EventStreams {
  private readonly clients = new Set<ServerResponse>();
  /** Streams open per client address: an entry lives only while one is open, so the map is bounded by maxClients. */
  private readonly perClient = new Map<string, number>();
  private readonly heartbeat: NodeJS.Timeout;
  /** Clients cut for not reading, since the front started. */
  cut = 0;

  constructor(private readonly limits: StreamLimits = DEFAULT_STREAM_LIMITS) {
    this.heartbeat = setInterval(() => this.broadcast(': still here\n\n'), limits.heartbeatMs);
    this.heartbeat.unref();
  }

  get open(): number {
    return this.clients.size;
  }

  /** Takes `res` as a client, or says why not. */
  add(req: IncomingMessage, res: ServerResponse): StreamRefusal | undefined {
    const address = req.socket.remoteAddress ?? '';
    const mine = this.perClient.get(address) ?? 0;
    if (this.clients.size >= this.limits.maxClients) return { status: 429, error: `${this.limits.maxClients} event streams are open already: close one` };
    if (mine >= this.limits.maxPerClient) return { status: 429, error: `${this.limits.maxPerClient} event streams from ${address} are open already: close one` };
    this.perClient.set(address, mine + 1);
    this.clients.add(res);
    // The request timeout is for requests; a stream stays open as long as its client reads.
    req.socket.setTimeout(0);
    // The front lets a client half-close after its request (httpAllowHalfOpen); a stream's client that ends has gone.
    req.socket.once('end', () => res.destroy());
    res.once('close', () => {
      this.clients.delete(res);
      const left = (this.perClient.get(address) ?? 1) - 1;
      if (left === 0) this.perClient.delete(address);
      else this.perClient.set(address, left);
    });
    res.writeHead(200, { ...SAFE_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', 'x-accel-buffering': 'no' });
    res.write(': svcswitch events: switch-*, link-*, host-*, discrepancy, binding-*, migration, announcement-refused, dropped\nretry: 2000\n\n');
    return undefined;
  }

  broadcast(text: string): void {
    for (const res of this.clients) {
      if (res.writableLength > this.limits.maxUnsentBytes) {
        this.cut++;
        res.destroy();
        continue;
      }
      res.write(text);
    }
  }

  close(): void {
    clearInterval(this.heartbeat);
    for (const res of this.clients) res.end();
  }
}
