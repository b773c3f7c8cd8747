import assert from 'node:assert/strict';
import { test } from 'node:test';
import { migrationRig, type Rig } from '../../lab/migration-rig.js';
import { until } from '../../lab/wait.js';
import { icmpEchoFrame } from '../../lab/frames.js';
import { MessageType } from '../../src/openflow/index.js';
import { PIPELINE } from '../../src/controller/pipeline.js';

/**
 * The migration when its state cannot be written (a full disk, a read-only file): a request
 * the caller waits for is refused with 503 and changes nothing; what nobody waits for (a
 * timeout's rollback, the VM's own frame) goes on in memory or waits for the next try, and
 * says so in the log. Scripted switches, in-memory store made to fail.
 */

const H11 = '10.0.1.10';
const H11_MAC = '02:00:0a:00:01:0a';

/** Makes the rig's store refuse every write while `failing()` says so. */
function breakable(r: Rig): { fail: (on: boolean) => void } {
  const store = r.app.migration.bindings;
  const write = store.transaction.bind(store);
  let failing = false;
  store.transaction = <T>(fn: () => T): T => {
    if (failing) throw new Error('disk full');
    return write(fn);
  };
  return { fail: (on) => (failing = on) };
}

const errorsLogged = (r: Rig, message: RegExp): unknown[] => r.lines.filter((l) => l.level === 'error' && message.test(String(l.message))).map((l) => l.message);

test('a complete, a cancel and a binding delete that cannot be saved: 503 naming why, and the migration or binding exactly as before; once writable, each goes through', async () => {
  const r = await migrationRig(60_000);
  try {
    const store = breakable(r);
    const m = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    assert.equal(m.status, 201);
    const id = m.body.id as string;
    store.fail(true);
    for (const [method, path] of [['POST', `/api/migrations/${id}/complete`], ['DELETE', `/api/migrations/${id}`]] as const) {
      const refused = await r.call(method, path, method === 'POST' ? {} : undefined);
      assert.equal(refused.status, 503, `${method} ${path}`);
      assert.equal(refused.body.error, 'migration state could not be saved, nothing changed: disk full');
      assert.equal(r.app.migration.migration(id)!.status, 'prepared');
    }
    assert.equal(r.app.migration.bicastGroupsInUse, 1, 'its bicast pair still held');
    store.fail(false);
    assert.equal((await r.call('POST', `/api/migrations/${id}/complete`, {})).status, 200);
    await until(() => r.app.migration.migration(id)!.timeline.some((s) => s.step === 'old entries removed'), 'switched over');
    store.fail(true);
    const del = await r.call('DELETE', `/api/bindings/${H11}`);
    assert.deepEqual([del.status, del.body.error], [503, 'migration state could not be saved, nothing changed: disk full']);
    assert.equal(r.app.migration.bindings.get(H11)?.state, 'active');
    assert.equal(r.app.migration.coaFree('net3'), 1, 'its CoA still held');
    store.fail(false);
    assert.equal((await r.call('DELETE', `/api/bindings/${H11}`)).status, 200);
    assert.equal(r.app.migration.coaFree('net3'), 2, 'released');
  } finally {
    await r.close();
  }
});

test('a timeout that cannot be saved still rolls the migration back in memory (its CoA, bicast and entries given back), with an error logged', async () => {
  const r = await migrationRig(60_000);
  try {
    const store = breakable(r);
    const m = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5, timeoutMs: 1000 });
    assert.equal(m.status, 201);
    store.fail(true);
    await until(() => r.app.migration.migration(m.body.id as string)!.status === 'rolled-back', 'rolled back');
    assert.deepEqual(errorsLogged(r, /^migration state not saved$/), ['migration state not saved']);
    assert.deepEqual([r.app.migration.bicastGroupsInUse, r.app.migration.coaFree('net3')], [0, 2]);
    await r.app.settled();
    assert.equal([...r.tables.get('acc3')!.flows.values()].filter((f) => f.cookie === PIPELINE.migration.cookie).length, 0, 'the Foreign entries removed');
  } finally {
    await r.close();
  }
});

test('the VM\'s first frame at its new port when the switchover cannot be saved: postponed with an error, the migration still prepared; its next frame, once writable, switches over', async () => {
  const r = await migrationRig(60_000);
  try {
    const store = breakable(r);
    const m = await r.call('POST', '/api/migrations', { hoa: H11, switch: 'acc3', port: 5 });
    const id = m.body.id as string;
    const frame = icmpEchoFrame(H11_MAC, H11, '10.0.1.11');
    const send = (): void => r.switches.get('acc3')!.send({ type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: frame.length, reason: 1, tableId: 1, cookie: PIPELINE.migration.cookie, match: { in_port: 5 }, data: frame });
    store.fail(true);
    send();
    await until(() => r.lines.some((l) => l.level === 'error' && /^switchover of 10\.0\.1\.10 postponed: migration state could not be saved/.test(String(l.message))), 'the postponement logged');
    assert.equal(r.app.migration.migration(id)!.status, 'prepared');
    store.fail(false);
    send();
    await until(() => r.app.migration.migration(id)!.status === 'completed', 'switched over on the next frame');
  } finally {
    await r.close();
  }
});
