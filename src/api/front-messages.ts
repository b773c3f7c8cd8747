/** The messages between the REST API's HTTP front (its own thread) and the controller's thread. */

/** What the front is started with (its `workerData`). */
export interface FrontOptions {
  host: string;
  port: number;
  requestTimeoutMs: number;
  bodyLimit: number;
  /** SHA-256 of the API token, when there is one. */
  tokenDigest?: Uint8Array;
  /** Reads need no token (the API is on loopback). */
  readsOpen: boolean;
}

/** What the front did with the connections and requests it saw, since it started. */
export interface FrontCounts {
  served: number;
  /** Held unread until the request timeout, then closed (the tarpit). */
  heldUnread: number;
  /** Closed at once: over the limit with the tarpit full. */
  closedAtOnce: number;
  /** Connections held unread now. */
  holding: number;
  /** Refused requests answered late (past their client's failure budget). */
  slowedFailures: number;
  /** Requests passed on to the controller's thread. */
  forwarded: number;
  /** Requests that waited for their turn (past their client's burst). */
  paced: number;
  /** Event streams (GET /api/events) open now, and those cut since for leaving too much unread. */
  eventStreams: number;
  eventStreamsCut: number;
}

export type FromFront =
  | { type: 'listening'; address: string; family: string; port: number }
  | { type: 'error'; message: string; code?: string }
  | { type: 'request'; id: number; method: string; url: string; headers: Record<string, string>; remoteAddress: string; body?: string }
  | { type: 'counts'; counts: FrontCounts }
  | { type: 'closed' };

export type ToFront =
  | { type: 'response'; id: number; status: number; headers: Record<string, string>; body: string }
  /** Server-sent events for every open stream, already in the text/event-stream format. */
  | { type: 'events'; text: string }
  | { type: 'close' };
