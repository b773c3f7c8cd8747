import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { API_CONNECTION_LIMITS } from '../../src/api/connection-admission.js';
import { FAILURE_BUDGET } from '../../src/api/failure-budget.js';
import { REQUEST_PACE } from '../../src/api/request-pace.js';
import { migrationRig, type Rig } from '../../lab/migration-rig.js';
import type { ScriptedTables } from '../../lab/scripted-tables.js';
import { until } from '../../lab/wait.js';

/**
 * The migration API under abuse: every kind of bad request a script, a broken client or a
 * web page could send, while two migrations are in flight and net3's pool is exhausted. Each
 * gets its 4xx (or 413, 408, 431) with a JSON error, and afterwards the bindings, the
 * migrations and every switch's flow and group tables are compared with what they were:
 * unchanged, checked rather than assumed.
 */

const H11 = '10.0.1.10';
const H12 = '10.0.1.11';
const H21 = '10.0.2.10';

/** Everything a bad request could have changed. */
function state(r: Rig): string {
  const tables = (t: ScriptedTables): unknown => ({ flows: [...t.flows.keys()].sort(), groups: [...t.groups.values()].map((g) => JSON.stringify(g)).sort(), mods: t.log.filter((l) => l !== 'barrier').length });
  return JSON.stringify({ bindings: r.app.migration.bindings.all(), migrations: r.app.migration.migrations(), free: r.app.migration.coaFree('net3'), tables: Object.fromEntries([...r.tables].map(([n, t]) => [n, tables(t)])) }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Raw bytes to the API (what no HTTP client sends); resolves with the status and the body when the server answers and closes. */
function raw(port: number, chunks: string[], gapMs = 0): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let text = '';
    s.on('data', (d) => (text += d.toString()));
    s.on('error', reject);
    s.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
    void (async () => {
      for (const c of chunks) {
        if (s.destroyed) return;
        s.write(c);
        if (gapMs) await new Promise((r) => setTimeout(r, gapMs));
      }
    })();
  });
}

test('the migration API under abuse: 30 kinds of bad request, each a 4xx with a JSON error, and nothing changes (bindings, migrations, CoAs, every table)', async () => {
  const r = await migrationRig(60_000, { apiRequestTimeoutMs: 500 });
  try {
    // Two migrations in flight take net3's two CoAs.
    const first = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal(first.status, 201);
    assert.equal((await r.call('POST', '/api/migrations', { hoa: H12, switch: 'acc3', port: 6 })).status, 201);
    await r.app.settled();
    const before = state(r);
    const id = String(first.body.id);
    const json = (body: string, type = 'application/json', method = 'POST', path = '/api/migrations') =>
      fetch(`http://127.0.0.1:${r.apiPort}${path}`, { method, body, headers: { 'content-type': type } }).then(async (res) => ({ status: res.status, body: await res.text() }));
    const post = (body: unknown) => json(JSON.stringify(body));
    const cases: Array<[string, Promise<{ status: number; body: string }>, number, RegExp]> = [
      ['malformed JSON', json('{"hoa": "10.0.1.10", '), 400, /JSON/i],
      ['not an object', post([H11, 'acc3', 5]), 400, /object/],
      ['a port that is a word', post({ hoa: H21, switch: 'acc3', port: 'five' }), 400, /port/],
      ['a negative port', post({ hoa: H21, switch: 'acc3', port: -1 }), 400, /port/],
      ['a port past 32 bits', post({ hoa: H21, switch: 'acc3', port: 2 ** 32 }), 400, /port/],
      ['an address that is a number', post({ hoa: 167837962, switch: 'acc3', port: 5 }), 400, /hoa/],
      ['an address that is not one', post({ hoa: '10.0.1.300', switch: 'acc3', port: 5 }), 400, /hoa/],
      ['a field too many', post({ hoa: H21, switch: 'acc3', port: 7, admin: true }), 400, /unknown field "admin"/],
      ['a field missing', post({ hoa: H21, port: 7 }), 400, /switch/],
      ['a mode that does not exist', post({ hoa: H21, switch: 'acc3', port: 7, mode: 'teleport' }), 400, /mode/],
      ['a body of a megabyte', json(JSON.stringify({ hoa: H21, switch: 'acc3', port: 7, pad: 'x'.repeat(1 << 20) })), 413, /large|limit/i],
      ['an unknown HoA', post({ hoa: '10.0.1.99', switch: 'acc3', port: 7 }), 404, /no VM with address 10\.0\.1\.99/],
      ['an unknown switch', post({ hoa: H21, switch: 'acc9', port: 7 }), 404, /no switch named "acc9"/],
      ['a port in its own subnet', post({ hoa: H21, switch: 'acc2', port: 5 }), 409, /already in net2/],
      ['a switch-to-switch port', post({ hoa: H21, switch: 'acc3', port: 1 }), 400, /joins two switches/],
      ['a switch that serves no subnet', post({ hoa: H21, switch: 'agg1', port: 9 }), 400, /serves no subnet/],
      ['an exhausted CoA pool', post({ hoa: H21, switch: 'acc3', port: 7 }), 409, /pool of net3 .* is exhausted/],
      ['a second migration of a VM in flight', post({ hoa: H11, switch: 'acc2', port: 5 }), 409, /already in flight/],
      ['a form (a web page\'s POST)', json(`hoa=${H21}&switch=acc3&port=7`, 'application/x-www-form-urlencoded'), 415, /needs "Content-Type: application\/json"/],
      ['text/plain (a web page\'s simple request)', json(JSON.stringify({ hoa: H21, switch: 'acc3', port: 7 }), 'text/plain'), 415, /needs "Content-Type: application\/json"/],
      ['complete of an unknown migration', json('{}', 'application/json', 'POST', '/api/migrations/999/complete'), 404, /no migration 999/],
      ['delete of an unknown binding', fetch(`http://127.0.0.1:${r.apiPort}/api/bindings/10.0.9.9`, { method: 'DELETE', headers: { 'content-type': 'application/json' } }).then(async (res) => ({ status: res.status, body: await res.text() })), 404, /no binding for 10\.0\.9\.9/],
      ['delete of a binding whose migration is in flight', fetch(`http://127.0.0.1:${r.apiPort}/api/bindings/${H11}`, { method: 'DELETE', headers: { 'content-type': 'application/json' } }).then(async (res) => ({ status: res.status, body: await res.text() })), 409, /in flight; cancel it first/],
      ['a method the resource does not have', json('{}', 'application/json', 'PUT', '/api/migrations'), 405, /PUT not allowed/],
      ['a foreign Host header (DNS rebinding)', raw(r.apiPort, [`POST /api/migrations HTTP/1.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`]), 403, /Host/],
      // A page in the operator's browser may POST with no body and no preflight: it must not switch a migration over.
      ['a bodyless POST (a web page\'s fetch, no Content-Type)', raw(r.apiPort, [`POST /api/migrations/${id}/complete HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`]), 415, /needs "Content-Type: application\/json"/],
      ['a Host that only starts like an IPv6 literal', raw(r.apiPort, [`POST /api/migrations/${id}/complete HTTP/1.1\r\nHost: [::1].evil.example\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`]), 403, /DNS rebinding/],
      ['two Authorization headers', raw(r.apiPort, [`DELETE /api/migrations/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer aaaaaaaaaaaaaaaaaaaa\r\nAuthorization: Bearer bbbbbbbbbbbbbbbbbbbb\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`]), 400, /authorization header appears more than once/],
      ['two Host headers', raw(r.apiPort, [`DELETE /api/migrations/${id} HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\nContent-Type: application/json\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`]), 400, /host header appears more than once/],
      ['headers that never end (slow loris)', raw(r.apiPort, ['POST /api/migrations HTTP/1.1\r\n', 'Host: 127.0.0.1\r\n', 'X-Slow: 1\r\n'], 100), 408, /did not arrive within 500 ms/],
      ['headers of 64 KiB', raw(r.apiPort, [`GET /api/bindings HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'x'.repeat(65_536)}\r\n\r\n`]), 431, /headers are too large/],
    ];
    const results = await Promise.all(cases.map(async ([name, answer, status, error]) => ({ name, status, error, got: await answer })));
    for (const { name, status, error, got } of results) {
      assert.equal(got.status, status, `${name}: ${got.status} ${got.body.slice(0, 200)}`);
      const body = JSON.parse(got.body) as { error?: unknown };
      assert.equal(typeof body.error, 'string', `${name}: a JSON error`);
      assert.match(String(body.error), error, name);
    }
    await r.app.settled();
    assert.equal(state(r), before, 'bindings, migrations, CoAs and every table are as they were');
  } finally {
    await r.close();
  }
});

test('many connections at once from one address: its first 32 are served, the rest held unanswered for the request timeout and then closed (not at once: a client told no at once comes back at once); another address is served meanwhile; nothing changes', async () => {
  const r = await migrationRig(60_000, { apiRequestTimeoutMs: 1500 });
  const sockets: Socket[] = [];
  try {
    const before = state(r);
    const answered = new Set<Socket>();
    const closedAt: number[] = [];
    const opened = Date.now();
    for (let i = 0; i < 400; i++) {
      const s = connect({ port: r.apiPort, host: '127.0.0.1', localAddress: '127.0.0.2' });
      sockets.push(s);
      s.on('error', () => undefined);
      s.once('connect', () => s.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
      s.once('data', () => answered.add(s));
      s.once('close', () => closedAt.push(Date.now() - opened));
    }
    const counts = () => r.app.api.frontCounts!;
    await until(() => counts().served + counts().heldUnread >= 400, 'the server to see all 400');
    const other = await r.call('GET', '/api/health');
    assert.equal(other.status, 200, 'another address is served while one holds its 32 and 368 wait');
    await new Promise((res) => setTimeout(res, 300));
    assert.equal(answered.size, API_CONNECTION_LIMITS.perClient, `${answered.size} of 400 answered: the first ${API_CONNECTION_LIMITS.perClient}`);
    assert.equal(counts().holding, 400 - API_CONNECTION_LIMITS.perClient, 'the rest are held');
    assert.equal(closedAt.length, 0, 'none closed before the request timeout');
    await until(() => closedAt.length >= 400 - API_CONNECTION_LIMITS.perClient, 'the held ones closed at the request timeout', 5000);
    assert.ok(Math.min(...closedAt) >= 1000, `held for the request timeout (first closed after ${Math.min(...closedAt)} ms)`);
    await until(() => counts().holding === 0, 'none held (the front reports its counts every 50 ms)');
    for (const s of sockets) s.destroy();
    assert.equal(state(r), before);
  } finally {
    for (const s of sockets) s.destroy();
    await r.close();
  }
});

test('slow loris from one address (600 connections reopened as fast as they close) leaves the API to everyone else: every request from another address is answered', async () => {
  const r = await migrationRig(60_000);
  let open = 0;
  let stop = false;
  const held = new Set<Socket>();
  // The attacker: 127.0.0.2 keeps 600 connections open, each sending a header line now and then, reopening each one closed.
  const attack = (): void => {
    if (stop) return;
    const s = connect({ port: r.apiPort, host: '127.0.0.1', localAddress: '127.0.0.2' });
    held.add(s);
    open++;
    s.on('error', () => undefined);
    s.once('connect', () => s.write('GET /api/health HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    s.once('close', () => {
      held.delete(s);
      setImmediate(attack);
    });
  };
  try {
    for (let i = 0; i < 600; i++) attack();
    await new Promise((res) => setTimeout(res, 300));
    let served = 0;
    const tries = 60;
    for (let i = 0; i < tries; i++) {
      const res = await r.call('GET', '/api/health').catch(() => undefined);
      if (res?.status === 200) served++;
      await new Promise((res2) => setTimeout(res2, 20));
    }
    process.stdout.write(`# slow loris: ${open} attacker connections opened, ${held.size} held now; another client served ${served} of ${tries}\n`);
    assert.equal(served, tries, 'every request of another address is answered');
    const a = r.app.api.frontCounts!;
    assert.equal(a.holding, 600 - API_CONNECTION_LIMITS.perClient, `the attacker's connections past its ${API_CONNECTION_LIMITS.perClient} are held, not closed (it opened ${open} to keep 600)`);
  } finally {
    stop = true;
    for (const s of held) s.destroy();
    await r.close();
  }
});

test('a client whose requests keep failing: its first failures answered at once, the rest late; its own good requests and another client at once', async () => {
  const r = await migrationRig(60_000);
  try {
    const bad = async (): Promise<number> => {
      const t = Date.now();
      const res = await fetch(`http://127.0.0.1:${r.apiPort}/api/hosts?limit=abc`);
      assert.equal(res.status, 400);
      await res.text();
      return Date.now() - t;
    };
    const burst: number[] = [];
    for (let i = 0; i < FAILURE_BUDGET.burst; i++) burst.push(await bad());
    assert.ok(Math.max(...burst) < FAILURE_BUDGET.delayMs, `the burst answered at once (slowest ${Math.max(...burst)} ms)`);
    // Meanwhile the budget earned some back (20 a second): of 40 more at once, those past it are late.
    const more = await Promise.all(Array.from({ length: 20 }, bad));
    const late = more.filter((ms) => ms >= FAILURE_BUDGET.delayMs - 5).length;
    assert.ok(late >= 12, `past the burst, failures answered ${FAILURE_BUDGET.delayMs} ms late: ${late} of 20 (${more.join(', ')} ms)`);
    await until(() => r.app.api.frontCounts!.slowedFailures === late, `the front to count ${late} slowed answers`);
    const t = Date.now();
    assert.equal((await r.call('GET', '/api/health')).status, 200);
    assert.ok(Date.now() - t < FAILURE_BUDGET.delayMs, 'the same client\'s good request is not slowed');
  } finally {
    await r.close();
  }
});

test('the HTTP front answers what it refuses in its own thread: 150 refused requests reach the controller\'s thread not once; 600 good ones from one client all answered, those past its burst after their turn', async () => {
  const r = await migrationRig(60_000);
  try {
    await until(() => r.app.api.frontCounts !== undefined, 'the front to report its counts');
    const forwarded = (): number => r.app.api.frontCounts!.forwarded;
    const before = forwarded();
    const refused = [
      'GET /api/health HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n',
      'POST /api/migrations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}',
      'GET /api/nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n',
    ];
    for (let round = 0; round < 5; round++) {
      const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => raw(r.apiPort, [refused[i % 3]!])));
      assert.deepEqual([...new Set(answers.map((a) => a.status))].sort(), [403, 404, 415]);
    }
    await new Promise((res) => setTimeout(res, 120));
    assert.equal(forwarded(), before, 'none of the 150 was passed on');
    // 8 connections at once, 600 requests: more than the burst and the 100 a second earned back meanwhile, however slow this machine is.
    const lanes = await Promise.all(Array.from({ length: 8 }, async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 75; i++) statuses.push((await fetch(`http://127.0.0.1:${r.apiPort}/api/health`).then(async (res) => (await res.text(), res.status), (e: Error) => { throw new Error(`fetch: ${String((e.cause as Error | undefined)?.message ?? e.message)}`); })));
      return statuses;
    }));
    assert.deepEqual([...new Set(lanes.flat())], [200], 'every good request answered');
    await until(() => forwarded() === before + 600, 'the front to count the 600 passed on');
    assert.ok(REQUEST_PACE.burst < 600 && r.app.api.frontCounts!.paced > 0, `those past the burst of ${REQUEST_PACE.burst} waited their turn (${r.app.api.frontCounts!.paced} did)`);
  } finally {
    await r.close();
  }
});

test('readiness follows the switches: not ready naming the declared switches away, and one more when a connected one drops', async () => {
  const r = await migrationRig(60_000);
  try {
    await r.app.settled();
    const ready = async () => {
      const res = await fetch(`http://127.0.0.1:${r.apiPort}/api/health/ready`);
      return { status: res.status, body: (await res.json()) as { status: string; problems: string[] } };
    };
    const before = await ready();
    assert.deepEqual(before, { status: 503, body: { status: 'not-ready', problems: ['5 of 8 declared switches not connected: core1, agg1, agg2, acc4, edge1'] } }, 'the rig connects acc1, acc2 and acc3 only');
    r.switches.get('acc3')!.destroy();
    await until(async () => (await ready()).body.problems[0]?.startsWith('6 of 8') === true, 'acc3 counted away');
    assert.deepEqual((await ready()).body.problems, ['6 of 8 declared switches not connected: core1, agg1, agg2, acc3, acc4, edge1']);
    const health = await r.call('GET', '/api/health');
    assert.deepEqual([health.status, health.body.status, health.body.problems], [200, 'degraded', (await ready()).body.problems]);
  } finally {
    await r.close();
  }
});
