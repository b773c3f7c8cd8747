import type { Server, Socket } from 'node:net';

/**
 * Connections the API serves at once in all and from one client address (a slow loris from
 * one place leaves room for the rest), and how many connections past a client's limit it
 * holds unread at most (the tarpit).
 */
export const API_CONNECTION_LIMITS = { total: 256, perClient: 32, tarpit: 1024 };

/** What admission did with the connections it saw, since start. */
export interface AdmissionCounts {
  served: number;
  /** Held unread until the request timeout, then closed. */
  heldUnread: number;
  /** Closed at once: over the limit with the tarpit full. */
  closedAtOnce: number;
  /** Connections held unread now. */
  readonly holding: number;
  /** Closes every connection held unread (the server is closing: it would wait for them). */
  releaseHeld(): void;
}

/**
 * Puts admission in front of an HTTP server's own connection handling. A connection within
 * its client's limit goes on to the HTTP parser. One past it is not closed at once: a client
 * told no at once comes back at once (a slow loris reopened as it closes reconnects 20,000
 * times a second, and Node.js 20 builds a socket object for each before anyone can refuse
 * it: 15% of the controller's CPU). It is held for `holdMs` (the request timeout: what a
 * slow request would be given anyway) and then closed; it never reaches the HTTP parser, and
 * what it sends is read and dropped. Past the tarpit's bound it is closed at once, and when
 * its client closes it, so is it. The server's `maxConnections` bounds the file descriptors
 * of both.
 */
export function admitConnections(server: Server, holdMs: number, limits = API_CONNECTION_LIMITS): AdmissionCounts {
  const parser = server.listeners('connection') as Array<(socket: Socket) => void>;
  server.removeAllListeners('connection');
  const perClient = new Map<string, number>();
  const held = new Set<Socket>();
  let total = 0;
  const counts: AdmissionCounts = {
    served: 0, heldUnread: 0, closedAtOnce: 0,
    get holding() { return held.size; },
    releaseHeld: () => { for (const s of held) s.destroy(); },
  };
  server.maxConnections = limits.total + limits.tarpit;
  server.on('connection', (socket: Socket) => {
    const client = socket.remoteAddress ?? '';
    const n = (perClient.get(client) ?? 0) + 1;
    if (n <= limits.perClient && total < limits.total) {
      counts.served++;
      perClient.set(client, n);
      total++;
      socket.once('close', () => {
        total--;
        const left = (perClient.get(client) ?? 1) - 1;
        if (left <= 0) perClient.delete(client);
        else perClient.set(client, left);
      });
      for (const listener of parser) listener.call(server, socket);
      return;
    }
    if (held.size >= limits.tarpit) {
      counts.closedAtOnce++;
      return void socket.destroy();
    }
    counts.heldUnread++;
    held.add(socket);
    const release = setTimeout(() => socket.destroy(), holdMs);
    release.unref();
    socket.on('error', () => undefined);
    socket.resume(); // no listener: what arrives is dropped, and the client's close is seen
    socket.once('end', () => socket.destroy());
    socket.once('close', () => {
      clearTimeout(release);
      held.delete(socket);
    });
  });
  return counts;
}
