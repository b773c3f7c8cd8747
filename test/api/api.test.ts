import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ApiServer } from '../../src/api/api-server.js';
import { OpenFlowServer } from '../../src/controller/openflow-server.js';
import { loadTopology } from '../../src/topology/loader.js';
import { TopologyService } from '../../src/topology/topology-service.js';
import { memoryLogger } from '../../lab/memory-logger.js';

let base = '';
const { logger } = memoryLogger();
const openflow = new OpenFlowServer(logger);
const topology = new TopologyService(openflow, loadTopology('topologies/dc-small.yaml'), logger);
const api = new ApiServer(openflow, topology, logger);

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
  const res = await fetch(base + path, { method });
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
  const health = await get('/api/health');
  assert.deepEqual([health.status, health.body.status, health.body.switchesDeclared, health.body.switchesConnected], [200, 'ok', 8, 0]);
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
