import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostTracker, type HostChange } from '../../src/topology/host-tracker.js';

test('a declared host seen where the file says is not an event; seen elsewhere it has moved', () => {
  const t = new HostTracker(50, () => {});
  t.declare({ name: 'h11', mac: '02:00:00:00:00:01', ip: '10.0.1.10', switch: 'acc1', port: 3 });
  assert.equal(t.learn('02:00:00:00:00:01', '10.0.1.10', { switch: 'acc1', port: 3 }), undefined);
  assert.equal(t.byMac('02:00:00:00:00:01')?.seen, true);
  const c = t.learn('02:00:00:00:00:01', undefined, { switch: 'acc2', port: 5 });
  assert.deepEqual(c && c.kind === 'moved' && [c.from, c.host.switch, c.host.port, c.host.ip], [{ switch: 'acc1', port: 3 }, 'acc2', 5, '10.0.1.10']);
  t.stop();
});

test('an unknown MAC is added, with its IP when the packet tells it', () => {
  const t = new HostTracker(50, () => {});
  const c = t.learn('02:00:00:00:00:09', '10.0.1.99', { switch: 'acc1', port: 7 });
  assert.equal(c?.kind, 'added');
  assert.deepEqual(t.all().map((h) => [h.mac, h.ip, h.declared]), [['02:00:00:00:00:09', '10.0.1.99', false]]);
  t.stop();
});

test('a host whose port went away is removed after the grace period, unless it reappears first', async () => {
  const removed: HostChange[] = [];
  const t = new HostTracker(50, (c) => removed.push(c));
  t.learn('02:00:00:00:00:01', '10.0.1.10', { switch: 'acc1', port: 3 });
  t.learn('02:00:00:00:00:02', '10.0.1.11', { switch: 'acc1', port: 4 });
  t.portGone({ switch: 'acc1', port: 3 }, 'port deleted');
  t.portGone({ switch: 'acc1', port: 4 }, 'port deleted');
  // Host 2 is live-migrated: it shows up on acc2 within the grace period.
  assert.equal(t.learn('02:00:00:00:00:02', undefined, { switch: 'acc2', port: 5 })?.kind, 'moved');
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(removed.map((c) => c.kind === 'removed' && [c.host.mac, c.reason]), [['02:00:00:00:00:01', 'port deleted']]);
  assert.deepEqual(t.all().map((h) => h.mac), ['02:00:00:00:00:02']);
  t.stop();
});

test('an IP taken over by another MAC leaves its previous holder', () => {
  const t = new HostTracker(50, () => {});
  t.declare({ name: 'h12', mac: '02:00:00:00:00:0b', ip: '10.0.1.11', switch: 'acc1', port: 4 });
  assert.equal(t.learn('02:00:00:00:00:99', '10.0.1.11', { switch: 'acc1', port: 4 })?.kind, 'added');
  assert.deepEqual(t.all().map((h) => [h.mac, h.ip]), [['02:00:00:00:00:0b', undefined], ['02:00:00:00:00:99', '10.0.1.11']]);
  t.stop();
});

test('the version moves with every change, and stays put when a sighting changes nothing', () => {
  const t = new HostTracker(50, () => {});
  const at = { switch: 'acc1', port: 3 };
  t.learn('02:00:00:00:00:01', '10.0.1.10', at);
  const v = t.version;
  t.learn('02:00:00:00:00:01', '10.0.1.10', at);
  t.learn('02:00:00:00:00:01', undefined, at);
  assert.equal(t.version, v, 'the same sighting again');
  t.learn('02:00:00:00:00:01', '10.0.1.12', at);
  assert.equal(t.version > v, true, 'a new address');
  const w = t.version;
  t.learn('02:00:00:00:00:02', '10.0.1.12', { switch: 'acc1', port: 4 });
  assert.equal(t.version > w, true, 'the address taken over by another MAC');
  const x = t.version;
  t.portGone(at, 'port down');
  assert.equal(t.version > x, true, 'a port gone (its host waits to be removed)');
  t.stop();
});
