import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_CONFIG, parseListen } from '../../src/app/config.js';
import { buildSvcswitch } from '../../src/app/container.js';
import { openflowConnectionLimit } from '../../src/controller/openflow-server.js';
import { threeTier } from '../../src/topology/generator.js';
import { parseTopology } from '../../src/topology/loader.js';
import { memoryLogger } from '../../lab/memory-logger.js';

/** The controller's defaults and the HOST:PORT form every listen flag takes. */

test('HOST:PORT, :PORT and PORT; IPv6 in brackets; the default host when none is given', () => {
  assert.deepEqual(parseListen('--of-listen', '127.0.0.1:6653'), { host: '127.0.0.1', port: 6653 });
  assert.deepEqual(parseListen('--of-listen', '0.0.0.0:0'), { host: '0.0.0.0', port: 0 });
  assert.deepEqual(parseListen('--of-listen', ':6633'), { host: '127.0.0.1', port: 6633 });
  assert.deepEqual(parseListen('--of-listen', '65535'), { host: '127.0.0.1', port: 65535 });
  assert.deepEqual(parseListen('--api-listen', '8080', '::1'), { host: '::1', port: 8080 });
  assert.deepEqual(parseListen('--api-listen', '[::1]:8080'), { host: '::1', port: 8080 });
  assert.deepEqual(parseListen('--api-listen', 'localhost:1'), { host: 'localhost', port: 1 });
});

test('anything else names the flag and shows the form', () => {
  for (const bad of ['65536', '127.0.0.1:', '127.0.0.1:123456', 'host:port', '::1:80', '', '1.2.3.4:-1', ' 80', '80 ']) {
    assert.throws(() => parseListen('--of-listen', bad), { message: `--of-listen: "${bad}" is not HOST:PORT (for example 127.0.0.1:6653)` }, bad);
  }
});

test('the defaults: loopback, the IANA OpenFlow port, no API, and the timings the docs give', () => {
  assert.deepEqual(
    [DEFAULT_CONFIG.ofHost, DEFAULT_CONFIG.ofPort, DEFAULT_CONFIG.api, DEFAULT_CONFIG.logLevel, DEFAULT_CONFIG.echoIntervalMs, DEFAULT_CONFIG.lldpIntervalMs, DEFAULT_CONFIG.auditIntervalMs, DEFAULT_CONFIG.acceptUndeclaredSwitches, DEFAULT_CONFIG.stateDir, DEFAULT_CONFIG.topologyFile],
    ['127.0.0.1', 6653, undefined, 'info', 5000, 1000, 10000, false, undefined, undefined],
  );
  assert.deepEqual(DEFAULT_CONFIG.holdDown, { startupMs: 5000, maxMs: 5000 });
  assert.equal(DEFAULT_CONFIG.logFormat, process.stderr.isTTY ? 'pretty' : 'json');
});

test('the OpenFlow listener takes every declared switch twice over, and never fewer than 4,096 connections: a 10,000-switch datacenter must not stop at 4,096', () => {
  assert.equal(openflowConnectionLimit(0), 4096);
  assert.equal(openflowConnectionLimit(2048), 4096);
  assert.equal(openflowConnectionLimit(10_017), 20_034);
  const small = buildSvcswitch(DEFAULT_CONFIG, undefined, memoryLogger().logger);
  assert.equal(small.openflow.connectionLimit, 4096);
  const t = parseTopology(threeTier({ cores: 2, aggregations: 21, accessPerAggregation: 100, hostsPerAccess: 1 }), 'three-tier');
  const big = buildSvcswitch(DEFAULT_CONFIG, t, memoryLogger().logger);
  assert.equal(big.openflow.connectionLimit, 2 * t.switches.length, `${t.switches.length} switches declared`);
});
