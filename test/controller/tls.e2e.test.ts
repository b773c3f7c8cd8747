import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadTopology } from '../../src/topology/loader.js';
import { memoryLogger } from '../../lab/memory-logger.js';
import { MininetDc } from '../../lab/mininet.js';
import { bridgeName, requireOvs, sh, vsctl } from '../../lab/ovs.js';
import { startSvcswitch } from '../../lab/svcswitch.js';
import { until } from '../../lab/wait.js';

/**
 * OpenFlow over TLS, end to end: certificates made here with openssl (a CA, the controller's,
 * a switch's, and a rogue CA's switch), Open vSwitch given its certificate with
 * `ovs-vsctl set-ssl`, dc-small in Mininet connecting with ssl:; a switch whose certificate
 * another CA signed, and a client with no certificate at all, never get in.
 */

const dir = mkdtempSync(join(tmpdir(), 'svcswitch-tls-'));
const pem = (name: string): string => join(dir, `${name}.pem`);
const openssl = (...args: string[]): Promise<string> => sh('openssl', args);

/** A key and a certificate signed by `ca` (self-signed when `ca` is undefined). */
async function certificate(name: string, cn: string, ca?: string): Promise<void> {
  await openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', pem(`${name}-key`), '-subj', `/CN=${cn}`, ...(ca ? ['-out', pem(`${name}-req`)] : ['-x509', '-days', '2', '-out', pem(`${name}-cert`)]));
  if (ca) await openssl('x509', '-req', '-in', pem(`${name}-req`), '-CA', pem(`${ca}-cert`), '-CAkey', pem(`${ca}-key`), '-CAcreateserial', '-days', '2', '-out', pem(`${name}-cert`));
}

before(async () => {
  await requireOvs();
  await certificate('ca', 'svcswitch test CA');
  await certificate('controller', 'svcswitch', 'ca');
  await certificate('switch', 'dc-small switches', 'ca');
  await certificate('rogue-ca', 'somebody else');
  await certificate('rogue', 'rogue switch', 'rogue-ca');
  await certificate('acc1', 'dpid:0000000000030001', 'ca');
});
after(async () => {
  // set-ssl is Open vSwitch's global setting: leave it as it was.
  await vsctl('del-ssl').catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

test('dc-small over TLS: every switch connects with its CA-signed certificate and all pairs reach each other; a switch signed by another CA and a client without a certificate are refused and logged', async () => {
  const { logger, lines } = memoryLogger();
  const tls = { key: readFileSync(pem('controller-key')), cert: readFileSync(pem('controller-cert')), ca: readFileSync(pem('ca-cert')) };
  const { app, port } = await startSvcswitch(loadTopology('topologies/dc-small.yaml'), logger, { ofTls: tls, lldpIntervalMs: 500, acceptUndeclaredSwitches: true });
  let dc: MininetDc | undefined;
  const rogue = bridgeName();
  try {
    await vsctl('set-ssl', pem('switch-key'), pem('switch-cert'), pem('ca-cert'));
    dc = await MininetDc.start('topologies/dc-small.yaml', port, { protocol: 'ssl' });
    await until(() => app.topology.switchList().every((s) => s.connected), 'every switch connected over TLS', 60_000);
    await until(() => app.topology.linkList().every((l) => l.up), 'every link up', 30_000);
    await app.settled();
    const connections = await vsctl('--columns=target,is_connected', 'list', 'controller');
    assert.equal((connections.match(/target\s*: "ssl:127\.0\.0\.1:\d+"/g) ?? []).length, 8, 'all eight switches use ssl:');
    const pingall = await dc.do({ op: 'pingall' }, 120_000);
    assert.deepEqual(pingall.failed, [], 'every pair of hosts reaches each other');
    await dc.stop();
    dc = undefined;

    // A switch whose certificate another CA signed: it never gets past TLS.
    await vsctl('set-ssl', pem('rogue-key'), pem('rogue-cert'), pem('ca-cert'));
    const refused = (): Array<Record<string, unknown>> => lines.filter((l) => l.message === 'switch refused by TLS');
    await vsctl('add-br', rogue, '--', 'set', 'bridge', rogue, 'datapath_type=netdev', 'protocols=OpenFlow13', 'fail_mode=secure', 'other-config:datapath-id=000000000000bad0',
      '--', 'set-controller', rogue, `ssl:127.0.0.1:${port}`);
    await until(() => refused().some((l) => /certificate not accepted/.test(String(l.error))), 'the rogue switch refused for its certificate', 15_000);
    // And a plain TCP client with no certificate: the TLS handshake fails, no OpenFlow is read.
    const plain = connect(port, '127.0.0.1');
    plain.write(Buffer.from('040000080000000a', 'hex')); // an OFPT_HELLO in clear
    await new Promise((r) => plain.once('close', r));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(app.openflow.connected.has('000000000000bad0'), false, 'the rogue switch never connected');
    const refusals = refused();
    process.stdout.write(`# TLS refusals: ${[...new Set(refusals.map((l) => String(l.error).split(':')[0] === 'certificate not accepted' ? String(l.error) : String(l.error).replace(/^.*SSL routines:[^:]*:([^:]*):.*$/s, '$1')))].join('; ')}\n`);
    assert.ok(refusals.every((l) => l.level === 'warn' && typeof l.error === 'string'), 'each refusal is a warn line with the reason');
    assert.ok(refusals.some((l) => /wrong version number/.test(String(l.error))), `the clear-text client's refusal says so: ${JSON.stringify(refusals.map((l) => l.error))}`);
  } finally {
    await dc?.stop();
    await vsctl('--if-exists', 'del-br', rogue).catch(() => undefined);
    await app.stop();
  }
});

test('TLS connections that never start the handshake are cut at the handshake timeout, and a switch with a valid certificate connects while they come', async () => {
  const { logger } = memoryLogger();
  const tls = { key: readFileSync(pem('controller-key')), cert: readFileSync(pem('controller-cert')), ca: readFileSync(pem('ca-cert')) };
  const { app, port } = await startSvcswitch(loadTopology('topologies/dc-small.yaml'), logger, { ofTls: tls, handshakeTimeoutMs: 1000 });
  const br = bridgeName();
  const stalled: Socket[] = [];
  try {
    let closed = 0;
    for (let i = 0; i < 300; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.once('close', () => closed++);
      stalled.push(s);
    }
    const t0 = Date.now();
    await until(() => closed === 300, 'every stalled connection closed by the controller', 10_000);
    const cutAfter = Date.now() - t0;
    process.stdout.write(`# 300 stalled TLS connections cut after ${cutAfter} ms (handshake timeout 1000 ms)\n`);
    await vsctl('set-ssl', pem('switch-key'), pem('switch-cert'), pem('ca-cert'));
    await vsctl('add-br', br, '--', 'set', 'bridge', br, 'datapath_type=netdev', 'protocols=OpenFlow13', 'fail_mode=secure', 'other-config:datapath-id=0000000000030001',
      '--', 'set-controller', br, `ssl:127.0.0.1:${port}`);
    await until(() => app.openflow.connected.has('0000000000030001'), 'the valid switch connected', 20_000);
  } finally {
    for (const s of stalled) s.destroy();
    await vsctl('--if-exists', 'del-br', br).catch(() => undefined);
    await vsctl('del-ssl').catch(() => undefined);
    await app.stop();
  }
});

test('--of-tls-bind-dpid: a certificate naming acc1 connects acc1 only; the same certificate on acc2 is refused naming both; the controller\'s own certificate is no switch\'s', async () => {
  const { logger, lines } = memoryLogger();
  const tls = { key: readFileSync(pem('controller-key')), cert: readFileSync(pem('controller-cert')), ca: readFileSync(pem('ca-cert')), bindDpid: true };
  const { app, port } = await startSvcswitch(loadTopology('topologies/dc-small.yaml'), logger, { ofTls: tls });
  const acc1 = bridgeName();
  const acc2 = bridgeName();
  const add = (br: string, dpid: string) => vsctl('add-br', br, '--', 'set', 'bridge', br, 'datapath_type=netdev', 'protocols=OpenFlow13', 'fail_mode=secure', `other-config:datapath-id=${dpid}`,
    '--', 'set-controller', br, `ssl:127.0.0.1:${port}`);
  try {
    // set-ssl is one setting for every bridge of Open vSwitch: both present the certificate that names acc1.
    await vsctl('set-ssl', pem('acc1-key'), pem('acc1-cert'), pem('ca-cert'));
    await add(acc1, '0000000000030001');
    await add(acc2, '0000000000030002');
    await until(() => app.openflow.connected.has('0000000000030001'), 'acc1 connected with its certificate', 20_000);
    await until(() => lines.some((l) => l.message === 'switch refused' && l.dpid === '0000000000030002'), 'acc2 refused', 20_000);
    const refusal = lines.find((l) => l.message === 'switch refused' && l.dpid === '0000000000030002');
    assert.equal(refusal?.reason, 'its certificate names datapath 0000000000030001, not 0000000000030002');
    assert.equal(app.openflow.connected.has('0000000000030002'), false);
    // The controller's own certificate and key, presented by a switch.
    await vsctl('--if-exists', 'del-br', acc1);
    await vsctl('set-ssl', pem('controller-key'), pem('controller-cert'), pem('ca-cert'));
    await until(() => lines.some((l) => l.message === 'switch refused by TLS' && l.error === 'the certificate is the controller\'s own'), 'the controller\'s certificate refused', 20_000);
    assert.equal(app.openflow.connected.has('0000000000030002'), false);
  } finally {
    await vsctl('--if-exists', 'del-br', acc1).catch(() => undefined);
    await vsctl('--if-exists', 'del-br', acc2).catch(() => undefined);
    await vsctl('del-ssl').catch(() => undefined);
    await app.stop();
  }
});
