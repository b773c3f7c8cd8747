import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { test } from 'node:test';
import { Subject, concat, defer, from } from 'rxjs';
import { EventFeed, sseEvent } from '../../src/api/event-feed.js';
import type { BindingChange } from '../../src/migration/binding-store.js';
import type { MigrationEvent } from '../../src/migration/migration-ledger.js';
import type { TopologyEvent } from '../../src/topology/events.js';
import { DEFAULT_STREAM_LIMITS, EventStreams } from '../../src/api/event-stream.js';
import { migrationRig } from '../../lab/migration-rig.js';
import { until } from '../../lab/wait.js';

/** GET /api/events: the controller's streams as server-sent events, through the HTTP front, and their bounds. */

/** A client of an event stream as EventStreams sees it: its request's socket, and a response that records what it is sent. */
function streamClient(address: string) {
  const socket = Object.assign(new EventEmitter(), { remoteAddress: address, setTimeout: () => undefined });
  const emitter = new EventEmitter();
  const res = Object.assign(emitter, {
    writableLength: 0, written: '', destroyed: false, ended: false, head: {} as Record<string, string>,
    writeHead: (_status: number, headers: Record<string, string>) => {
      res.head = headers;
    },
    write: (text: string) => {
      res.written += text;
      return true;
    },
    destroy: () => {
      res.destroyed = true;
      emitter.emit('close');
    },
    end: () => {
      res.ended = true;
    },
  });
  return { req: { socket } as unknown as IncomingMessage, res, socket };
}

/** Reads a server-sent event stream: the events as they arrive, parsed. */
async function follow(url: string, headers: Record<string, string> = {}): Promise<{ status: number; events: Array<{ event: string; data: Record<string, unknown> }>; stop: () => void; type: string | null }> {
  const abort = new AbortController();
  const res = await fetch(url, { headers, signal: abort.signal });
  const events: Array<{ event: string; data: Record<string, unknown> }> = [];
  if (res.body !== null && res.status === 200) {
    void (async () => {
      let text = '';
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          text += Buffer.from(chunk).toString();
          for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
            const block = text.slice(0, end);
            text = text.slice(end + 2);
            const event = /^event: (.*)$/m.exec(block)?.[1];
            const data = /^data: (.*)$/m.exec(block)?.[1];
            if (event !== undefined && data !== undefined) events.push({ event, data: JSON.parse(data) as Record<string, unknown> });
          }
        }
      } catch {
        // Aborted by stop().
      }
    })();
  }
  return { status: res.status, events, stop: () => abort.abort(), type: res.headers.get('content-type') };
}

test('GET /api/events: a migration prepared, completed and its binding, as events in order; the state before the stream opened is not replayed; the stream outlives the request timeout', async () => {
  const r = await migrationRig(60_000, { apiRequestTimeoutMs: 500 });
  try {
    const before = await r.call('POST', '/api/migrations', { hoa: '10.0.1.10', switch: 'acc3', port: 5 });
    assert.equal(before.status, 201);
    // Events are sent in windows of 100 ms: what happened in the window a stream opens in may still come.
    await new Promise((res) => setTimeout(res, 300));
    const stream = await follow(`http://127.0.0.1:${r.apiPort}/api/events`);
    assert.equal(stream.status, 200);
    assert.match(stream.type ?? '', /^text\/event-stream/);
    await new Promise((res) => setTimeout(res, 700));
    assert.equal(stream.events.length, 0, JSON.stringify(stream.events) + 'nothing replayed, and still open past the 500 ms request timeout');
    const second = await r.call('POST', '/api/migrations', { hoa: '10.0.1.11', switch: 'acc3', port: 6 });
    assert.equal(second.status, 201);
    await r.call('POST', `/api/migrations/${String(second.body.id)}/complete`);
    await until(() => stream.events.some((e) => e.event === 'binding-set'), 'the binding as an event', 5000);
    const migration = stream.events.filter((e) => e.event === 'migration').map((e) => (e.data.migration as { hoa: string; status: string }));
    assert.ok(migration.every((m) => m.hoa === '10.0.1.11'), 'only the second migration: the first was before the stream');
    await until(() => stream.events.some((e) => e.event === 'migration' && (e.data.migration as { status: string }).status === 'completed'), 'completed', 5000);
    const statuses = stream.events.filter((e) => e.event === 'migration').map((e) => (e.data.migration as { status: string }).status);
    assert.equal(statuses[0], 'preparing');
    assert.equal(statuses.at(-1), 'completed', statuses.join(' '));
    const binding = stream.events.find((e) => e.event === 'binding-set')!.data.binding as { hoa: string; coa: string; switch: string };
    assert.deepEqual([binding.hoa, binding.switch], ['10.0.1.11', 'acc3']);
    assert.ok(stream.events.every((e) => typeof e.data.at === 'number' && e.data.kind === e.event), 'each event says its kind and when');
    stream.stop();
  } finally {
    await r.close();
  }
});

test('event streams are bounded: at most 4 from one client address (the fifth gets 429 and a reason); one closed frees its place', async () => {
  const r = await migrationRig(60_000);
  try {
    const url = `http://127.0.0.1:${r.apiPort}/api/events`;
    const open = await Promise.all(Array.from({ length: DEFAULT_STREAM_LIMITS.maxPerClient }, () => follow(url)));
    assert.deepEqual(open.map((s) => s.status), [200, 200, 200, 200]);
    const refused = await fetch(url);
    assert.equal(refused.status, 429);
    assert.match(((await refused.json()) as { error: string }).error, /4 event streams from .* are open already/);
    open[0]!.stop();
    await until(async () => (await fetch(url).then((res) => (res.body?.cancel(), res.status))) === 200, 'a place freed', 3000);
    for (const s of open) s.stop();
  } finally {
    await r.close();
  }
});

test('the feed: host events past the window\'s bound are counted in one "dropped" event; switch, link and migration events always go out; one chunk per window', () => {
  const chunks: string[] = [];
  const feed = new EventFeed((text) => chunks.push(text), { flushMs: 1_000_000, maxHostEvents: 3 });
  const host = { name: undefined, mac: '02:00:00:00:00:01', ip: '10.0.1.99', switch: 'acc1', port: 5, declared: false, seen: true };
  for (let i = 0; i < 10; i++) feed.add({ kind: 'host-added', host });
  feed.add({ kind: 'link-down', link: { a: { switch: 'acc1', port: 1 }, b: { switch: 'agg1', port: 1 }, declared: true, confirmed: false, up: false }, reason: 'port down' });
  feed.flush();
  feed.flush();
  assert.equal(chunks.length, 1, 'an empty window sends nothing');
  const kinds = [...chunks[0]!.matchAll(/^event: (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(kinds, ['host-added', 'host-added', 'host-added', 'link-down', 'dropped']);
  assert.match(chunks[0]!, /"hostEvents":7/);
  assert.equal(sseEvent('x', { a: 'line\nbreak' }), 'event: x\ndata: {"a":"line\\nbreak"}\n\n', 'a newline in a value stays inside its JSON string');
});

test('a stream whose client leaves more than maxUnsentBytes unread is cut at the next chunk (and counted); the others get it; at most maxClients in all', () => {
  const streams = new EventStreams({ maxClients: 2, maxPerClient: 2, maxUnsentBytes: 100, heartbeatMs: 1_000_000 });
  const client = streamClient;
  const slow = client('10.0.0.1');
  const reader = client('10.0.0.2');
  assert.equal(streams.add(slow.req, slow.res as unknown as ServerResponse), undefined);
  assert.equal(streams.add(reader.req, reader.res as unknown as ServerResponse), undefined);
  const third = client('10.0.0.3');
  assert.match(streams.add(third.req, third.res as unknown as ServerResponse)?.error ?? '', /2 event streams are open already/);
  slow.res.writableLength = 101;
  streams.broadcast('event: x\ndata: {}\n\n');
  assert.deepEqual([slow.res.destroyed, streams.cut, streams.open], [true, 1, 1]);
  assert.match(reader.res.written, /event: x/);
  assert.equal(streams.add(third.req, third.res as unknown as ServerResponse), undefined, 'the cut one\'s place is free');
  streams.close();
});

test('GET /api/switches/NAME/entries: planned entries by planner in ovs-ofctl\'s words, with the switch\'s counters; a switch away has none (and says so); an unknown name is 404', async () => {
  const r = await migrationRig(60_000);
  try {
    const acc1 = await r.call('GET', '/api/switches/acc1/entries');
    assert.equal(acc1.status, 200, JSON.stringify(acc1.body));
    const planners = acc1.body.planners as Array<{ planner: string; cookie: string; entries: Array<{ table: number; priority: number; match: string; actions: string; packets: number | null }> }>;
    assert.deepEqual(planners.map((p) => p.planner).sort(), ['discovery', 'portSecurity'].concat(planners.some((p) => p.planner === 'fabric') ? ['fabric'] : []).sort());
    assert.equal(acc1.body.counters, 'read from the switch');
    const planned = r.tables.get('acc1')!.flows.size;
    assert.equal(planners.reduce((n, p) => n + p.entries.length, 0), planned, 'every entry the switch holds of ours, once');
    assert.ok(planners.every((p) => p.entries.every((e) => e.packets === 0)), 'counters as the switch reports them');
    const ps = planners.find((p) => p.planner === 'portSecurity')!;
    assert.equal(ps.cookie, '0x5356000400000000');
    assert.ok(ps.entries.some((e) => e.table === 0 && /in_port=3,eth_src=02:00:0a:00:01:0a/.test(e.match) && /goto_table:1/.test(e.actions)), JSON.stringify(ps.entries.slice(0, 3)));
    const away = await r.call('GET', '/api/switches/acc4/entries');
    assert.equal(away.body.counters, 'not connected');
    assert.ok((away.body.planners as Array<{ entries: Array<{ packets: unknown }> }>).every((p) => p.entries.every((e) => e.packets === null)));
    const unknown = await r.call('GET', '/api/switches/acc9/entries');
    assert.deepEqual([unknown.status, unknown.body.error], [404, 'no switch named "acc9"']);
  } finally {
    await r.close();
  }
});

test('the web view\'s files are served by the HTTP front: / and /api/docs as pages under a Content-Security-Policy of their own files only (Swagger UI\'s page also allows inline styles), the modules as JavaScript; a file not there is 404', async () => {
  const r = await migrationRig(60_000);
  try {
    const get = (path: string) => fetch(`http://127.0.0.1:${r.apiPort}${path}`);
    const page = await get('/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.match(await page.text(), /<script type="module" src="\/web\/app.js">/);
    const policy = page.headers.get('content-security-policy') ?? '';
    assert.match(policy, /default-src 'none'; script-src 'self'; style-src 'self';/);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    const app = await get('/web/app.js');
    assert.match(app.headers.get('content-type') ?? '', /^text\/javascript/);
    const docs = await get('/api/docs');
    assert.match(await docs.text(), /swagger-ui-bundle\.js/);
    assert.match(docs.headers.get('content-security-policy') ?? '', /script-src 'self'; style-src 'self' 'unsafe-inline';/);
    assert.equal((await get('/web/swagger-ui-bundle.js')).status, 200);
    const head = await fetch(`http://127.0.0.1:${r.apiPort}/web/app.js`, { method: 'HEAD' });
    assert.deepEqual([head.status, head.headers.get('content-length'), await head.text()], [200, app.headers.get('content-length'), ''], 'HEAD: the length, no body');
    assert.equal((await get('/web/nothing.js')).status, 404);
    assert.equal((await get('/web/app.js.map')).status, 404, 'only the files the page needs');
  } finally {
    await r.close();
  }
});

test('the feed: what a stream replays when subscribed is not sent (a client reads the state from the REST API); every host kind counts against the bound; a binding change is binding-set or binding-deleted; stop() sends what the window holds and nothing after', () => {
  const chunks: string[] = [];
  const feed = new EventFeed((text) => chunks.push(text), { flushMs: 1_000_000, maxHostEvents: 6 });
  const topology = new Subject<TopologyEvent>();
  const bindings = new Subject<BindingChange>();
  const migrations = new Subject<MigrationEvent>();
  const sw = { name: 'acc1', dpid: '0000000000030001', tier: 'access' as const, connected: true };
  const binding = { hoa: '10.0.1.10', mac: '02:00:0a:00:01:0a', homeSubnet: 'net1', home: { switch: 'acc1', port: 3 }, subnet: 'net3', coa: '10.0.3.200', switch: 'acc3', port: 5, mode: 'optimized' as const, state: 'active' as const, createdAt: 1, updatedAt: 1 };
  feed.start({
    topology: defer(() => concat(from([{ kind: 'switch-up', switch: sw } as TopologyEvent]), topology)),
    bindings: defer(() => concat(from([{ kind: 'set', binding } as BindingChange]), bindings)),
    migrations,
  });
  feed.flush();
  assert.deepEqual(chunks, [], 'the replay on subscribe is not sent');
  const host = { name: undefined, mac: '02:00:00:00:00:01', ip: '10.0.1.99', switch: 'acc1', port: 5, declared: false, seen: true };
  const at = { switch: 'acc1', port: 5 };
  for (const e of [
    { kind: 'host-added', host }, { kind: 'host-moved', host, from: at }, { kind: 'host-updated', host }, { kind: 'host-removed', host, reason: 'gone' },
    { kind: 'host-refused', mac: host.mac, ip: host.ip, at, reason: 'spoof' }, { kind: 'host-seen-elsewhere', mac: host.mac, ip: host.ip, at, from: at, why: 'away' },
    { kind: 'host-added', host },
  ] as TopologyEvent[]) topology.next(e);
  bindings.next({ kind: 'deleted', binding });
  bindings.next({ kind: 'set', binding });
  feed.flush();
  const kinds = [...chunks.join('').matchAll(/^event: (.*)$/gm)].map((m) => m[1]);
  assert.deepEqual(kinds, ['host-added', 'host-moved', 'host-updated', 'host-removed', 'host-refused', 'host-seen-elsewhere', 'binding-deleted', 'binding-set', 'dropped'], 'six host events of any kind, the seventh dropped');
  chunks.length = 0;
  migrations.next({ kind: 'announcement-refused', mac: host.mac, at, reason: 'pending elsewhere' });
  feed.stop();
  assert.equal(chunks.length, 1, 'stop sends what the window held');
  assert.match(chunks[0]!, /^event: announcement-refused\ndata: \{"kind":"announcement-refused",/);
  topology.next({ kind: 'switch-down', switch: sw, reason: 'x' });
  feed.flush();
  assert.equal(chunks.length, 1, 'nothing after stop');
});

test('an event stream is cut only past maxUnsentBytes (at it, it is sent the chunk); a heartbeat comment goes out every heartbeatMs; one client\'s closed streams free its places; close() ends them all', async () => {
  const streams = new EventStreams({ maxClients: 10, maxPerClient: 2, maxUnsentBytes: 100, heartbeatMs: 20 });
  const client = streamClient;
  const a = client('10.0.0.1');
  const b = client('10.0.0.1');
  assert.equal(streams.add(a.req, a.res as unknown as ServerResponse), undefined);
  assert.equal(a.res.head['content-type'], 'text/event-stream; charset=utf-8');
  assert.match(a.res.written, /^: svcswitch events: .*\nretry: 2000\n\n$/);
  assert.equal(streams.add(b.req, b.res as unknown as ServerResponse), undefined);
  a.res.writableLength = 100;
  streams.broadcast('event: x\ndata: {}\n\n');
  assert.deepEqual([a.res.destroyed, streams.cut], [false, 0], 'at the bound, not past it');
  assert.match(a.res.written, /event: x/);
  const third = client('10.0.0.1');
  assert.match(streams.add(third.req, third.res as unknown as ServerResponse)?.error ?? '', /2 event streams from 10.0.0.1/);
  b.socket.emit('end');
  assert.equal(b.res.destroyed, true, 'a client that half-closes is gone');
  assert.equal(streams.add(third.req, third.res as unknown as ServerResponse), undefined, 'its place is free');
  await new Promise((r) => setTimeout(r, 60));
  assert.match(a.res.written, /: still here\n\n/);
  streams.close();
  assert.deepEqual([a.res.ended, third.res.ended], [true, true]);
});
