import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BearerToken, parseToken } from '../../src/api/bearer-token.js';
import { refusalOf } from '../../src/api/request-guard.js';
import { OPEN_PATHS } from '../../src/api/routes.js';
import { DEFAULT_CONFIG } from '../../src/app/config.js';
import { buildSvcswitch } from '../../src/app/container.js';
import { loadTopology } from '../../src/topology/loader.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { startSvcswitch } from '../../lab/svcswitch.js';

/** The REST API's bearer token: what needs it, what it answers without it, and that it never leaks. */

const TOKEN = 'k3y-0f-the-0perator-2026';

test('with --api-token-file: changes need the token (401 and a JSON error without it, or with a wrong or malformed one, and nothing changes); reads stay open on loopback; the token is never logged nor echoed', async () => {
  const { logger, lines } = memoryLogger();
  const { app, apiPort } = await startSvcswitch(loadTopology('topologies/dc-small.yaml'), logger, { apiToken: TOKEN });
  const call = async (method: string, path: string, authorization?: string, body: unknown = { hoa: '10.0.1.10', switch: 'acc3', port: 5 }) => {
    const res = await fetch(`http://127.0.0.1:${apiPort}${path}`, {
      method, headers: { ...(method === 'GET' ? {} : { 'content-type': 'application/json' }), ...(authorization === undefined ? {} : { authorization }) }, ...(method === 'GET' ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, text: await res.text(), challenge: res.headers.get('www-authenticate') };
  };
  try {
    const refused = [
      await call('POST', '/api/migrations'),
      await call('POST', '/api/migrations', `Bearer ${TOKEN}x`),
      await call('POST', '/api/migrations', `Bearer ${TOKEN.slice(0, 8)}`),
      await call('POST', '/api/migrations', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`),
      await call('POST', '/api/migrations', `bearer ${TOKEN}`),
      await call('DELETE', '/api/bindings/10.0.1.10'),
      await call('POST', '/api/migrations/1/complete', undefined, {}),
    ];
    assert.deepEqual(refused.map((r) => r.status), [401, 401, 401, 401, 401, 401, 401]);
    assert.deepEqual(refused.map((r) => JSON.parse(r.text).error), [
      'POST needs "Authorization: Bearer <token>" (the controller\'s --api-token-file)',
      'the bearer token is not the right one', 'the bearer token is not the right one',
      'the Authorization header is not "Bearer <token>"', 'the Authorization header is not "Bearer <token>"',
      'DELETE needs "Authorization: Bearer <token>" (the controller\'s --api-token-file)',
      'POST needs "Authorization: Bearer <token>" (the controller\'s --api-token-file)',
    ]);
    assert.ok(refused.every((r) => r.challenge === 'Bearer realm="svcswitch"'), 'each says how to authenticate');
    assert.deepEqual([app.migration.migrations(), app.migration.bindings.all()], [[], []], 'nothing was started');
    const read = await call('GET', '/api/bindings');
    assert.deepEqual([read.status, read.text], [200, '[]'], 'reads need no token on loopback');
    // With the token the request reaches the migration (which then answers for itself: no switch is connected).
    const allowed = await call('POST', '/api/migrations', `Bearer ${TOKEN}`);
    assert.equal(allowed.status, 503);
    assert.match(JSON.parse(allowed.text).error, /rolled back: switch .* is not connected/);
    const everything = JSON.stringify(lines) + refused.map((r) => r.text).join('') + allowed.text;
    assert.equal(everything.includes(TOKEN.slice(0, 8)), false, 'no log line and no answer holds the token or a part of it');
  } finally {
    await app.stop();
  }
});

test('off loopback: reads need the token too, and without a token the API refuses to listen at all', async () => {
  const token = BearerToken.of(TOKEN);
  assert.equal(token.refusal('GET', undefined, true), undefined);
  assert.equal(token.refusal('HEAD', undefined, true), undefined);
  assert.equal(token.refusal('GET', undefined, false), 'GET needs "Authorization: Bearer <token>" (the controller\'s --api-token-file)');
  assert.equal(token.refusal('GET', `Bearer ${TOKEN}`, false), undefined);
  assert.equal(token.refusal('OPTIONS', undefined, true), 'OPTIONS needs "Authorization: Bearer <token>" (the controller\'s --api-token-file)');
  // Without a token, listening off loopback is refused before the API's socket is opened.
  const app = buildSvcswitch(DEFAULT_CONFIG, undefined, memoryLogger().logger);
  await assert.rejects(app.start({ host: '127.0.0.1', port: 0 }, { host: '0.0.0.0', port: 0 }), {
    message: 'the REST API on 0.0.0.0 (not loopback) needs --api-token-file: anyone who reaches it could migrate VMs',
  });
});

test('off loopback, liveness and readiness need no token (what a load balancer probes; nothing secret in them); health and everything else do', () => {
  const token = BearerToken.of(TOKEN);
  const request = (_path: string, open: boolean) => ({ method: 'GET', rawHeaders: ['Host', '10.1.2.3:8080'], host: '10.1.2.3:8080', contentType: undefined, authorization: undefined, routed: true, open });
  for (const path of ['/api/health/live', '/api/health/ready']) {
    assert.ok(OPEN_PATHS.has(path), path);
    assert.equal(refusalOf(request(path, OPEN_PATHS.has(path)), token, false), undefined, path);
  }
  for (const path of ['/api/health', '/api/bindings', '/api/topology']) {
    assert.equal(OPEN_PATHS.has(path), false, path);
    assert.equal(refusalOf(request(path, false), token, false)?.status, 401, path);
  }
});

test('a token file: one line of 16 to 4096 printable characters', () => {
  assert.equal(parseToken('t', `  ${TOKEN}\n`), TOKEN);
  for (const bad of ['', 'short-token', `${TOKEN} ${TOKEN}`, `${TOKEN}\n${TOKEN}`, 'x'.repeat(4097), `${TOKEN}\u00e9`]) {
    assert.throws(() => parseToken('/etc/svcswitch/token', bad), { message: '/etc/svcswitch/token: the API token must be one line of 16 to 4096 printable characters, without spaces' }, JSON.stringify(bad));
  }
});
