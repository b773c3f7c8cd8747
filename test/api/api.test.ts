import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { ApiServer } from '../../src/api/api-server.js';
import { Metrics } from '../../src/api/metrics.js';
import { FlowManager, PlanStore } from '../../src/controller/flow-manager.js';
import { InMemoryBindingStore } from '../../src/migration/binding-store.js';
import { MigrationService } from '../../src/migration/migration-service.js';
import { TraceService } from '../../src/fabric/trace-service.js';
import { OpenFlowServer } from '../../src/controller/openflow-server.js';
import { loadTopology } from '../../src/topology/loader.js';
import { TopologyService } from '../../src/topology/topology-service.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { ScriptedSwitch, port } from '../../lab/scripted-switch.js';
import { until } from '../../lab/wait.js';

let base = '';
const { logger } = memoryLogger();
const openflow = new OpenFlowServer(logger);
const topology = new TopologyService(openflow, loadTopology('topologies/dc-small.yaml'), logger);
const plans = new PlanStore();
const flows = new FlowManager(openflow, plans, logger);
const migration = new MigrationService(openflow, topology, plans, flows, new InMemoryBindingStore(), logger);
const api = new ApiServer(openflow, topology, new TraceService(topology, plans), migration, flows, new Metrics({ openflow, topology, flows, migration, front: () => undefined }), logger);

before(async () => {
  const addr = await api.listen('127.0.0.1', 0);
  base = `http://127.0.0.1:${addr.port}`;
});
after(async () => {
  await api.close();
  topology.stop();
  await openflow.close();
});

const get = async (path: string, method = 'GET'): Promise<{ status: number; body: Record<string, unknown> & unknown[] }> => {
  const res = await fetch(base + path, { method, headers: method === 'GET' ? {} : { 'content-type': 'application/json' } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & unknown[] };
};

test('GET /api/topology lists the declared switches and links, none connected yet', async () => {
  const { status, body } = await get('/api/topology');
  assert.equal(status, 200);
  const switches = body.switches as Array<{ name: string; connected: boolean; tier: string }>;
  assert.equal(switches.length, 8);
  assert.ok(switches.every((s) => !s.connected));
  assert.equal(switches.find((s) => s.name === 'edge1')?.tier, 'edge');
  assert.equal((body.links as unknown[]).length, 11);
});

test('GET /api/hosts and /api/health', async () => {
  const hosts = await get('/api/hosts');
  assert.equal(hosts.body.length, 9);
  // By MAC, as a cloud manager's hook knows its VM: one host or none; a MAC that is not one is 400.
  const one = await get('/api/hosts?mac=02:00:0a:00:01:0a');
  assert.deepEqual([one.status, (one.body as Array<{ ip: string }>).map((h) => h.ip)], [200, ['10.0.1.10']]);
  assert.deepEqual((await get('/api/hosts?mac=02:00:0a:00:01:99')).body, []);
  assert.equal((await get('/api/hosts?mac=nope')).status, 400);
  // By a declared name, as the CLI looks up `migrate h11`: that host only (not a page of them all).
  const named = await get('/api/hosts?name=h31');
  assert.deepEqual([named.status, (named.body as Array<{ ip: string }>).map((h) => h.ip)], [200, ['10.0.3.10']]);
  assert.deepEqual((await get('/api/hosts?name=h99')).body, []);
  const health = await get('/api/health');
  assert.deepEqual([health.status, health.body.status, health.body.switchesDeclared, health.body.switchesConnected], [200, 'degraded', 8, 0]);
});

test('bad requests get a 4xx with a message', async () => {
  const noParams = await get('/api/paths');
  assert.equal(noParams.status, 400);
  assert.match(String(noParams.body.error), /from=acc1&to=acc3/);
  const unknown = await get('/api/paths?from=acc1&to=acc9');
  assert.equal(unknown.status, 404);
  assert.match(String(unknown.body.error), /no switch named "acc9"/);
  const post = await get('/api/topology', 'POST');
  assert.equal(post.status, 405);
  const missing = await get('/api/nothing');
  assert.equal(missing.status, 404);
  assert.ok((missing.body.resources as string[]).includes('/api/topology'));
});

test('GET /api/paths answers from the current link state (no switch up: no path)', async () => {
  const { status, body } = await get('/api/paths?from=acc1&to=acc3');
  assert.equal(status, 200);
  assert.deepEqual(body.paths, []);
});

/** Sends raw bytes (what no HTTP client would) and returns the status line and body. */
async function raw(request: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(base);
  const socket = connect(Number(port), '127.0.0.1');
  socket.end(request);
  let text = '';
  for await (const chunk of socket) text += String(chunk);
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  return { status, body: text.slice(text.indexOf('\r\n\r\n') + 4) };
}

test('request targets that made new URL() throw get a 4xx, and the server keeps serving', async () => {
  for (const target of ['//[', '//a:b', '//x:99999/', '/%', '/api/hosts?limit=%zz', `/${'a'.repeat(5000)}`]) {
    const r = await raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    assert.ok(r.status >= 400 && r.status < 500, `${target.slice(0, 20)}: ${r.status} ${r.body}`);
  }
  assert.equal((await get('/api/health')).status, 200);
});

test('a Host header that is a name (DNS rebinding) is refused; IP literals and localhost are served', async () => {
  const request = (host: string): string => `GET /api/health HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
  for (const host of ['evil.example:80', 'evil.example', '127.0.0.1.evil.example', 'localhost.evil.example:8080']) {
    const r = await raw(request(host));
    assert.equal(r.status, 403, host);
    assert.match(r.body, /DNS rebinding/);
  }
  for (const host of ['localhost', '127.0.0.1:1234', '[::1]:8080']) assert.equal((await raw(request(host))).status, 200, host);
  const noHost = await raw('GET /api/health HTTP/1.0\r\n\r\n');
  assert.equal(noHost.status, 403, 'no Host header');
  assert.match(noHost.body, /"a Host header is required"/);
});

test('no CORS allowance is ever sent, not even to a preflight', async () => {
  const simple = await fetch(base + '/api/topology', { headers: { origin: 'http://evil.example' } });
  assert.equal(simple.headers.get('access-control-allow-origin'), null);
  const preflight = await fetch(base + '/api/topology', { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'GET' } });
  assert.equal(preflight.status, 405);
  assert.equal(preflight.headers.get('access-control-allow-origin'), null);
  assert.equal(preflight.headers.get('access-control-allow-methods'), null);
});

test('/api/hosts pages: limit and offset are validated, the total is a header', async () => {
  const page = await fetch(base + '/api/hosts?limit=3&offset=2');
  assert.equal(page.status, 200);
  assert.equal(page.headers.get('x-total-count'), '9');
  assert.deepEqual(((await page.json()) as Array<{ name: string }>).map((h) => h.name), ['h21', 'h22', 'h31']);
  for (const q of ['limit=0', 'limit=10001', 'limit=abc', 'offset=-1', 'foo=1']) {
    const r = await get(`/api/hosts?${q}`);
    assert.equal(r.status, 400, q);
    assert.equal(typeof r.body.error, 'string');
  }
});

test('/api/openapi.json documents every route with its query schema', async () => {
  const { status, body } = await get('/api/openapi.json');
  assert.equal(status, 200);
  const doc = body as unknown as { openapi: string; paths: Record<string, { get: { parameters: Array<{ name: string; required: boolean }> } }> };
  assert.equal(doc.openapi, '3.1.0', 'TypeBox writes JSON Schema 2020-12 (const, type null): OpenAPI 3.1, not 3.0');
  assert.deepEqual(Object.keys(doc.paths).sort(), [
    '/api/bindings', '/api/bindings/{hoa}', '/api/capacity', '/api/cluster', '/api/events', '/api/health', '/api/health/live', '/api/health/ready', '/api/hosts', '/api/migrations', '/api/migrations/{id}', '/api/migrations/{id}/complete',
    '/api/openapi.json', '/api/paths', '/api/switches', '/api/switches/{name}/entries', '/api/topology', '/api/trace', '/metrics',
  ]);
  const migrations = doc.paths['/api/migrations'] as unknown as { get: unknown; post: { requestBody: { content: Record<string, { schema: { required: string[] } }> }; responses: Record<string, unknown> } };
  assert.deepEqual(migrations.post.requestBody.content['application/json']!.schema.required, ['hoa', 'switch', 'port']);
  assert.ok(migrations.post.responses['201'] && migrations.get);
  assert.deepEqual(Object.keys(doc.paths['/api/bindings/{hoa}']!).sort(), ['delete', 'get']);
  assert.deepEqual(doc.paths['/api/paths']!.get.parameters.map((p) => [p.name, p.required]), [['from', true], ['to', true]]);
  assert.deepEqual(doc.paths['/api/hosts']!.get.parameters.map((p) => [p.name, p.required]), [['limit', false], ['offset', false], ['mac', false], ['name', false]]);
});

test('/api/switches lists connected switches by name, with their ports (scripted switch)', async () => {
  const addr = await openflow.listen('127.0.0.1', 0);
  const sw = await ScriptedSwitch.connect(addr.port, 0x30001n, [4], (s) => (s.ports = [port(3, 'acc1-eth3', '02:00:00:00:03:03')]));
  try {
    await until(() => openflow.connected.size === 1, 'the switch connected', 5000);
    const { body } = await get('/api/switches');
    assert.deepEqual((body as Array<{ dpid: string; name: string; tables: number; ports: unknown[] }>).map((s) => [s.dpid, s.name, s.tables, s.ports]), [
      ['0000000000030001', 'acc1', 1, [{ portNo: 3, name: 'acc1-eth3', hwAddr: '02:00:00:00:03:03', linkDown: false }]],
    ]);
  } finally {
    sw.destroy();
  }
});

test('/api/trace answers from the live plans and links; bad or unknown hosts are 4xx', async () => {
  // No switch is connected: h11's packet to h31 finds no tables planned for acc1 yet.
  const r = await get('/api/trace?from=h11&to=10.0.3.10');
  assert.equal(r.status, 200);
  assert.equal(r.body.result, 'dropped');
  assert.deepEqual(r.body.at, { switch: 'acc1', port: 3 });
  assert.equal((await get('/api/trace?from=h99&to=10.0.3.10')).status, 404);
  assert.equal((await get('/api/trace?from=h11&to=10.0.3')).status, 400);
  assert.equal((await get('/api/trace?from=h11&to=10.0.3.10&proto=sctp')).status, 400);
});

const send = async (path: string, method: string, body: string, type = 'application/json'): Promise<{ status: number; body: Record<string, unknown> }> => {
  const res = await fetch(base + path, { method, body, headers: { 'content-type': type } });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

test('POST /api/migrations: every bad request gets its 4xx and a message, and nothing is stored', async () => {
  const cases: Array<[string, number, RegExp]> = [
    ['{"hoa":"10.0.1.99","switch":"acc3","port":5}', 404, /no VM with address 10\.0\.1\.99/],
    ['{"hoa":"10.0.1.10","switch":"acc9","port":5}', 404, /no switch named "acc9"/],
    ['{"hoa":"10.0.1.10","switch":"acc3","port":1}', 400, /acc3:1 joins two switches/],
    ['{"hoa":"10.0.1.10","switch":"agg1","port":9}', 400, /agg1 serves no subnet/],
    ['{"hoa":"10.0.1.10","switch":"acc1","port":3}', 409, /already at acc1:3/],
    ['{"hoa":"10.0.1.10","switch":"acc1","port":7}', 409, /already in net1/],
    // Schema errors in the operator's words: the field, the value, what it should be (no regular expression, no validator's jargon).
    ['{"hoa":"10.0.1.10","switch":"acc3","port":5,"mode":"teleport"}', 400, /^the body: mode: "teleport" is not one of mobile-ip, optimized, first-hop$/],
    ['{"hoa":"h11","switch":"acc3","port":5}', 400, /^the body: hoa: "h11" is not an IPv4 address \(a VM's address, such as 10\.0\.1\.10; the CLI takes names too\)/],
    ['{"hoa":"10.0.1.10","switch":"acc3"}', 400, /^the body: port is required/],
    ['{"hoa":"10.0.1.10","switch":"acc3","port":"five"}', 400, /^the body: port: "five" is not a whole number/],
    ['{"hoa":"10.0.1.10","switch":"acc3","port":5,"extra":1}', 400, /^the body: unknown field "extra" \(expected hoa, switch, port, mode, timeoutMs\)/],
    ['{"hoa":"10.0.1.10",', 400, /JSON/],
    // Nothing is connected here: the tables cannot be confirmed, the migration is rolled back.
    ['{"hoa":"10.0.1.10","switch":"acc3","port":5}', 503, /rolled back: switch acc1 is not connected/],
  ];
  for (const [body, status, error] of cases) {
    const r = await send('/api/migrations', 'POST', body);
    assert.equal(r.status, status, body);
    assert.match(String(r.body.error), error, body);
  }
  assert.deepEqual(migration.bindings.all(), [], 'no binding left behind');
  assert.deepEqual([...plans.plan('0000000000030003').partNames()], [], 'no entry left planned on acc3');
  const history = (await get('/api/migrations')).body as unknown as Array<{ status: string; reason: string }>;
  assert.deepEqual(history.map((m) => m.status), ['failed']);
});

test('a web page cannot start a migration: a form or text/plain body is refused, DELETE needs a preflight that is never allowed', async () => {
  const form = await send('/api/migrations', 'POST', 'hoa=10.0.1.10&switch=acc3&port=5', 'application/x-www-form-urlencoded');
  assert.equal(form.status, 415);
  const text = await send('/api/migrations', 'POST', '{"hoa":"10.0.1.10","switch":"acc3","port":5}', 'text/plain');
  assert.equal(text.status, 415);
  const preflight = await fetch(base + '/api/bindings/10.0.1.10', { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'DELETE' } });
  assert.equal(preflight.headers.get('access-control-allow-origin'), null);
});

test('bindings and migrations: unknown ones are 404, malformed ids 400, a finished migration cannot be completed', async () => {
  assert.equal((await get('/api/bindings/10.0.1.10')).status, 404);
  assert.equal((await get('/api/bindings/10.0.1.10', 'DELETE')).status, 404);
  assert.equal((await get('/api/bindings/not-an-ip')).status, 400);
  assert.equal((await get('/api/migrations/999')).status, 404);
  assert.equal((await get('/api/migrations/abc')).status, 400);
  const done = await send('/api/migrations/1/complete', 'POST', '{}');
  assert.equal(done.status, 409);
  assert.match(String(done.body.error), /migration 1 is failed, not pending/);
  assert.equal((await get('/api/migrations/1', 'DELETE')).status, 409);
  const put = await get('/api/migrations', 'PUT');
  assert.equal(put.status, 405);
});
