import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { ApiServer } from '../../src/api/api-server.js';
import { Metrics } from '../../src/api/metrics.js';
import { FlowManager, PlanStore } from '../../src/controller/flow-manager.js';
import { OpenFlowServer } from '../../src/controller/openflow-server.js';
import { TraceService } from '../../src/fabric/trace-service.js';
import { InMemoryBindingStore } from '../../src/migration/binding-store.js';
import { MigrationService } from '../../src/migration/migration-service.js';
import { loadTopology } from '../../src/topology/loader.js';
import { TopologyService } from '../../src/topology/topology-service.js';
import { memoryLogger } from '../../lab/memory-logger.js';

/**
 * The REST API's details by `inject` (no socket): the OpenAPI document against the one in
 * docs/ (UPDATE_OPENAPI=1 rewrites it: an API change shows in review), health, headers, 404,
 * 405, Host checks, and a handler that fails.
 */

const { logger, lines } = memoryLogger();
const openflow = new OpenFlowServer(logger);
const topology = new TopologyService(openflow, loadTopology('topologies/dc-small.yaml'), logger);
const plans = new PlanStore();
const flows = new FlowManager(openflow, plans, logger);
const migration = new MigrationService(openflow, topology, plans, flows, new InMemoryBindingStore(), logger);
const MADE_AT = Date.now();
const app = new ApiServer(openflow, topology, new TraceService(topology, plans), migration, flows, new Metrics({ openflow, topology, flows, migration, front: () => undefined }), logger).build();

before(() => app.ready());
after(async () => {
  await app.close();
  topology.stop();
  await openflow.close();
});

const get = (url: string, headers: Record<string, string> = { host: '127.0.0.1:8080' }, method: 'GET' | 'POST' | 'PUT' = 'GET') => app.inject({ method, url, headers });

test('the OpenAPI document is the one in docs/openapi.json', async () => {
  const r = await get('/api/openapi.json');
  assert.equal(r.statusCode, 200);
  const served = `${JSON.stringify(r.json(), null, 2)}\n`;
  if (process.env.UPDATE_OPENAPI === '1') writeFileSync('docs/openapi.json', served);
  assert.equal(served, readFileSync('docs/openapi.json', 'utf8'), 'the API changed: review it, then UPDATE_OPENAPI=1 rewrites docs/openapi.json');
});

test('the OpenAPI document is valid OpenAPI 3.1 (the official schema, by @seriousme/openapi-schema-validator); every operation has a unique operationId and a tag; the bearer scheme guards all but liveness and readiness', async () => {
  const doc = (await get('/api/openapi.json')).json() as { security: unknown; components: { securitySchemes: Record<string, { scheme: string }> }; paths: Record<string, Record<string, { operationId: string; tags: string[]; security?: unknown[]; responses: Record<string, unknown> }>> };
  const validator = new Validator();
  const result = await validator.validate(doc as unknown as Parameters<Validator["validate"]>[0]);
  assert.deepEqual([result.valid, validator.version, result.errors], [true, '3.1', undefined]);
  const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, ...op })));
  const ids = operations.map((o) => o.operationId);
  assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
  assert.ok(operations.every((o) => o.tags.length === 1), 'each operation has its tag');
  assert.deepEqual([doc.components.securitySchemes.bearer!.scheme, doc.security], ['bearer', [{ bearer: [] }]]);
  assert.deepEqual(operations.filter((o) => o.security !== undefined).map((o) => o.path).sort(), ['/api/health/live', '/api/health/ready']);
  assert.ok(operations.filter((o) => o.security === undefined).every((o) => o.responses['401'] !== undefined), '401 documented wherever the token may be asked for');
  assert.ok(doc.paths['/api/migrations']!.post!.responses['503'] && doc.paths['/api/health/ready']!.get!.responses['503'], '503 documented where it is answered');
});

test('health: every field, exactly (the uptime within the seconds since the server was made); with no switch connected it is degraded and says why', async () => {
  const r = await get('/api/health');
  const { uptimeSeconds, ...rest } = r.json() as { uptimeSeconds: number };
  assert.ok(Number.isInteger(uptimeSeconds) && uptimeSeconds >= 0 && uptimeSeconds <= Math.ceil((Date.now() - MADE_AT) / 1000), `uptime ${uptimeSeconds} s`);
  assert.deepEqual(rest, {
    status: 'degraded', problems: ['8 of 8 declared switches not connected: core1, agg1, agg2, acc1, acc2, acc3, acc4, edge1'],
    switchesConnected: 0, switchesDeclared: 8, topology: 'topologies/dc-small.yaml',
    tablesInSync: true, flowModsSent: 0, driftRepaired: 0, hostRefusals: {},
  });
});

test('liveness and readiness: live answers while the thread does; not ready (503) while declared switches are away, with the same words as health', async () => {
  const live = await get('/api/health/live');
  assert.deepEqual([live.statusCode, live.json().status], [200, 'live']);
  const ready = await get('/api/health/ready');
  assert.deepEqual([ready.statusCode, ready.json()], [503, { status: 'not-ready', problems: ['8 of 8 declared switches not connected: core1, agg1, agg2, acc1, acc2, acc3, acc4, edge1'] }]);
});

test('every answer says nosniff and no-store; the topology carries its name', async () => {
  for (const url of ['/api/topology', '/api/nope']) {
    const r = await get(url);
    assert.equal(r.headers['x-content-type-options'], 'nosniff', url);
    assert.equal(r.headers['cache-control'], 'no-store', url);
  }
  assert.equal((await get('/api/topology')).json().name, 'dc-small');
});

test('GET /api/cluster of a controller that is no cluster member: 404 saying so', async () => {
  const r = await get('/api/cluster');
  assert.deepEqual([r.statusCode, r.json()], [404, { error: 'not a cluster member (svcswitch run --cluster)' }]);
});

test('an unknown path is 404 with the list of resources; a known one with the wrong method is 405 with Allow', async () => {
  const nope = await get('/api/nope?x=1');
  assert.equal(nope.statusCode, 404);
  assert.deepEqual(nope.json(), {
    error: 'no resource /api/nope',
    resources: ['/api/cluster', '/api/health', '/api/health/live', '/api/health/ready', '/api/topology', '/api/hosts', '/api/paths', '/api/switches', '/api/switches/:name/entries', '/api/trace', '/api/capacity', '/api/bindings', '/api/bindings/:hoa', '/api/bindings/:hoa', '/api/migrations', '/api/migrations/:id', '/api/migrations', '/api/migrations/:id/complete', '/api/migrations/:id', '/api/events', '/api/openapi.json', '/metrics'],
  });
  const put = await get('/api/bindings/10.0.1.10', { host: 'localhost' }, 'PUT');
  assert.equal(put.statusCode, 405);
  assert.equal(put.headers.allow, 'GET, DELETE');
  assert.deepEqual(put.json(), { error: 'PUT not allowed on /api/bindings/10.0.1.10 (GET, DELETE are)' });
  const post = await get('/api/migrations/7', { host: 'localhost' }, 'POST');
  assert.deepEqual([post.statusCode, post.headers.allow], [405, 'GET, DELETE']);
  const long = await get(`/api/${'x'.repeat(300)}`);
  assert.equal(long.json().error, `no resource /api/${'x'.repeat(195)}`, 'the path echoed is cut at 200 characters');
});

test('Host: IP literals of any form and loopback names pass; anything else is refused, quoted (a missing Host is in api.test.ts: inject always sends one)', async () => {
  for (const host of ['127.9.8.7', '127.0.0.1:80', '10.1.2.3:8080', '[::1]', '[fe80::1]:8080', '[::ffff:127.0.0.1]', 'localhost:']) assert.equal((await get('/api/health', { host })).statusCode, 200, host);
  for (const host of ['127.0.0.1x', '1.2.3', 'a127.0.0.1', '[::1', '::1]', 'localhostx', '1.2.3.4.5', '::1']) {
    const r = await get('/api/health', { host });
    assert.equal(r.statusCode, 403, host);
    assert.equal(r.json().error, `Host "${host}" refused: address the API by IP or localhost (DNS rebinding protection)`);
  }
  const huge = await get('/api/health', { host: 'h'.repeat(300) });
  assert.equal(huge.json().error, `Host "${'h'.repeat(100)}" refused: address the API by IP or localhost (DNS rebinding protection)`, 'echoed, cut at 100');
});

test('a handler that fails is a 500 that says where to look, and an error line with the URL; the 4xx of a handler keeps its status', async () => {
  const broken = new ApiServer(openflow, new Proxy(topology, { get: (t, k) => (k === 'switchList' ? () => { throw new Error('boom'); } : Reflect.get(t, k)) }), new TraceService(topology, plans), migration, flows, new Metrics({ openflow, topology, flows, migration, front: () => undefined }), logger).build();
  await broken.ready();
  try {
    const r = await broken.inject({ method: 'GET', url: '/api/topology', headers: { host: 'localhost' } });
    assert.deepEqual([r.statusCode, r.json()], [500, { error: 'internal error; see the controller log' }]);
    assert.ok(lines.some((l) => l.level === 'error' && l.message === 'REST API handler failed' && l.url === '/api/topology' && l.error === 'boom'));
    const paths = await broken.inject({ method: 'GET', url: '/api/paths?from=acc1&to=acc3', headers: { host: 'localhost' } });
    assert.equal(paths.statusCode, 500, 'the same failure on another route');
  } finally {
    await broken.close();
  }
  const unknown = await get('/api/paths?from=acc1&to=nosuch');
  assert.deepEqual([unknown.statusCode, unknown.json()], [404, { error: 'no switch named "nosuch"' }]);
  const bad = await get('/api/paths?from=acc1');
  assert.equal(bad.statusCode, 400);
  assert.match(bad.json().error, / \(for example \/api\/paths\?from=acc1&to=acc3\)$/, 'a validation error shows an example');
  assert.equal(lines.filter((l) => l.level === 'error').length, 2, 'a 4xx is no error line');
});

test('bindings and migrations that do not exist are 404 with their name', async () => {
  assert.deepEqual((await get('/api/bindings/10.0.1.99')).json(), { error: 'no binding for 10.0.1.99' });
  assert.deepEqual((await get('/api/migrations/42')).json(), { error: 'no migration 42' });
});
