import { type Observable, type Subscription, merge } from 'rxjs';
import type { BindingChange } from '../migration/binding-store.js';
import type { MigrationEvent } from '../migration/migration-ledger.js';
import type { TopologyEvent } from '../topology/events.js';

/**
 * The controller's events as server-sent events (GET /api/events): the topology's, the
 * bindings' and the migrations', each as `event: KIND` and one line of JSON, gathered for
 * `flushMs` and handed over as one chunk of text (the HTTP front writes it to every client).
 *
 * Who pulls the trigger: host events come from frames a tenant's VM writes, so a VM churning
 * its addresses could make thousands a second. A window carries at most `maxHostEvents` of
 * them; the rest are counted in one `dropped` event, which tells a client to read /api/hosts
 * again. Everything else (switches, links, bindings, migrations) is the operator's or the
 * fabric's doing and always goes out.
 */

export interface FeedSources {
  topology: Observable<TopologyEvent>;
  bindings: Observable<BindingChange>;
  migrations: Observable<MigrationEvent>;
}

export interface FeedOptions {
  flushMs: number;
  maxHostEvents: number;
}

const DEFAULT_FEED_OPTIONS: FeedOptions = { flushMs: 100, maxHostEvents: 100 };

const HOST_KINDS: ReadonlySet<string> = new Set(['host-added', 'host-moved', 'host-updated', 'host-removed', 'host-refused', 'host-seen-elsewhere']);

/** One event in the wire format of text/event-stream (its JSON has no newline). */
export const sseEvent = (kind: string, data: unknown): string => `event: ${kind}\ndata: ${JSON.stringify(data)}\n\n`;

export class EventFeed {
  private chunk = '';
  private hostEvents = 0;
  private dropped = 0;
  private timer: NodeJS.Timeout | undefined;
  private subscription: Subscription | undefined;

  constructor(
    private readonly publish: (text: string) => void,
    private readonly options: FeedOptions = DEFAULT_FEED_OPTIONS,
  ) {}

  /**
   * Subscribes. The topology's and the bindings' streams first replay what exists, during
   * subscribe(): a client reads that from the REST API instead, so only what follows is sent.
   */
  start(sources: FeedSources): void {
    let live = false;
    this.subscription = merge(sources.topology, sources.bindings, sources.migrations).subscribe((e) => {
      if (live) this.add(e);
    });
    live = true;
    this.timer = setInterval(() => this.flush(), this.options.flushMs);
    this.timer.unref();
  }

  stop(): void {
    this.subscription?.unsubscribe();
    if (this.timer) clearInterval(this.timer);
    this.flush();
  }

  add(e: TopologyEvent | BindingChange | MigrationEvent): void {
    const at = Date.now();
    if (HOST_KINDS.has(e.kind) && ++this.hostEvents > this.options.maxHostEvents) {
      this.dropped++;
      return;
    }
    // A binding change is `binding-set` or `binding-deleted`: its own kind names only the change.
    const kind = e.kind === 'set' || e.kind === 'deleted' ? `binding-${e.kind}` : e.kind;
    this.chunk += sseEvent(kind, { ...e, kind, at });
  }

  /** What the window gathered, as one chunk; nothing when it gathered nothing. */
  flush(): void {
    if (this.dropped > 0) this.chunk += sseEvent('dropped', { kind: 'dropped', hostEvents: this.dropped, at: Date.now(), why: `more than ${this.options.maxHostEvents} host events in ${this.options.flushMs} ms: read /api/hosts again` });
    this.hostEvents = 0;
    this.dropped = 0;
    if (this.chunk === '') return;
    const text = this.chunk;
    this.chunk = '';
    this.publish(text);
  }
}
