import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostPolicy } from '../../src/topology/host-policy.js';
import type { HostChange } from '../../src/topology/host-store.js';
import { DEFAULT_HOST_LIMITS, HostTracker, type HostLimits } from '../../src/topology/host-tracker.js';
import { loadTopology } from '../../src/topology/loader.js';

const dcSmall = loadTopology('topologies/dc-small.yaml');
const open = new HostPolicy(undefined);
const tracker = (limits: Partial<HostLimits> = {}, policy = open, onChange: (c: HostChange) => void = () => {}, now?: () => number): HostTracker => {
  const t = new HostTracker(policy, { ...DEFAULT_HOST_LIMITS, graceMs: 50, ...limits }, now);
  t.changes$.subscribe(onChange);
  return t;
};
const H11 = { name: 'h11', mac: '02:00:00:00:00:01', ip: '10.0.1.10', switch: 'acc1', port: 3 };

test('a declared host seen where the file says is not an event; seen at another port, even of its own switch, it is refused: the file says where it is', () => {
  const t = tracker();
  t.declare(H11);
  assert.equal(t.learn(H11.mac, H11.ip, { switch: 'acc1', port: 3 }), undefined);
  assert.equal(t.byIp(H11.ip)?.seen, true);
  const c = t.learn(H11.mac, undefined, { switch: 'acc1', port: 5 });
  assert.deepEqual(c, { kind: 'refused', mac: H11.mac, ip: undefined, at: { switch: 'acc1', port: 5 }, rule: 'declared-elsewhere', reason: 'h11 is declared at acc1:3; it moves only by a migration' });
  assert.equal(t.byMac(H11.mac)?.port, 3, 'still where the file says');
  // A migration lets it roam to another switch; home again, its declared place takes it back.
  t.roam(H11.mac, { switch: 'acc3', port: 9, ip: H11.ip });
  assert.equal(t.learn(H11.mac, H11.ip, { switch: 'acc3', port: 9 })?.kind, 'moved');
  // At another port of its Foreign switch it is refused too: the migration judges that move (a tenant there may be forging it).
  const elsewhere = t.learn(H11.mac, H11.ip, { switch: 'acc3', port: 10 });
  assert.deepEqual(elsewhere?.kind === 'refused' ? [elsewhere.rule, elsewhere.crossSubnet] : elsewhere, ['roaming', { from: { switch: 'acc3', port: 9 }, ip: H11.ip }]);
  assert.equal(t.byMac(H11.mac)?.port, 9);
  t.roam(H11.mac, undefined);
  assert.equal(t.learn(H11.mac, H11.ip, { switch: 'acc1', port: 3 })?.kind, 'moved');
  t.stop();
});

test('reserved MACs are never learned, from any frame: the anycast gateway, all-zero, broadcast and multicast', () => {
  const t = tracker({}, new HostPolicy(dcSmall));
  for (const mac of ['02:53:56:00:00:01', '00:00:00:00:00:00', 'ff:ff:ff:ff:ff:ff', '01:00:5e:00:00:01', '33:33:00:00:00:01']) {
    for (const ip of ['10.0.1.77', undefined]) {
      const c = t.learn(mac, ip, { switch: 'acc1', port: 7 });
      assert.equal(c?.kind === 'refused' && c.rule, 'reserved-mac', `${mac} ${ip ?? ''}`);
    }
  }
  assert.equal(t.size, 0);
  t.stop();
});

test('a Care-of Address is never learned: the controller hands those out', () => {
  const t = tracker({}, new HostPolicy(dcSmall));
  const c = t.learn('02:66:66:66:66:66', '10.0.3.200', { switch: 'acc3', port: 7 });
  assert.equal(c?.kind === 'refused' && c.reason, '10.0.3.200 is in the Care-of Address pool of net3: handed out by the controller, never learned');
  assert.equal(t.learn('02:66:66:66:66:66', '10.0.3.199', { switch: 'acc3', port: 7 })?.kind, 'added', 'just below the pool is an address like any');
  t.stop();
});

test('a learned host that moves keeps its address: its MAC elsewhere with another address is refused, and it stays where it is', () => {
  const t = tracker({}, new HostPolicy(dcSmall));
  const vm = '02:00:00:00:0a:01';
  assert.equal(t.learn(vm, '10.0.1.50', { switch: 'acc1', port: 7 })?.kind, 'added');
  // An attacker on acc2 sends a frame with the VM's MAC and an address of its own subnet.
  const c = t.learn(vm, '10.0.2.66', { switch: 'acc2', port: 5 });
  assert.equal(c?.kind === 'refused' && c.rule, 'new-address-elsewhere');
  assert.deepEqual([t.byMac(vm)?.switch, t.byMac(vm)?.port, t.byMac(vm)?.ip], ['acc1', 7, '10.0.1.50']);
  assert.equal(t.byIp('10.0.2.66'), undefined);
  t.stop();
});

test('a declared host whose port is down for longer than the grace keeps its record, address and place (unseen); nobody else can take its address, and it is seen again when it speaks', async () => {
  const changes: HostChange[] = [];
  const t = tracker({}, new HostPolicy(dcSmall), (c) => changes.push(c));
  const h11 = dcSmall.hosts.find((h) => h.name === 'h11')!;
  t.declare(h11);
  t.learn(h11.mac, h11.ip, { switch: 'acc1', port: h11.port });
  t.portGone({ switch: 'acc1', port: h11.port }, 'port down');
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(changes.map((c) => [c.kind, c.host.mac, c.host.seen]), [['updated', h11.mac, false]], 'updated to unseen, never removed');
  assert.deepEqual([t.byIp(h11.ip)?.mac, t.byIp(h11.ip)?.declared, t.byIp(h11.ip)?.port], [h11.mac, true, h11.port]);
  const neighbour = t.learn('02:66:66:66:66:66', h11.ip, { switch: 'acc1', port: 4 });
  assert.equal(neighbour?.kind === 'refused' && neighbour.rule, 'address-taken');
  const elsewhere = t.learn(h11.mac, h11.ip, { switch: 'acc1', port: 9 });
  assert.equal(elsewhere?.kind === 'refused' && elsewhere.rule, 'declared-elsewhere');
  t.learn(h11.mac, h11.ip, { switch: 'acc1', port: h11.port });
  assert.equal(t.byIp(h11.ip)?.seen, true);
  t.stop();
});

test('an unknown MAC is added, with its IP when the packet tells it', () => {
  const t = tracker();
  const c = t.learn('02:00:00:00:00:09', '10.0.1.99', { switch: 'acc1', port: 7 });
  assert.deepEqual(c, { kind: 'added', host: { name: undefined, mac: '02:00:00:00:00:09', ip: '10.0.1.99', switch: 'acc1', port: 7, declared: false, seen: true } });
  assert.deepEqual(t.all().map((h) => [h.mac, h.ip, h.declared]), [['02:00:00:00:00:09', '10.0.1.99', false]]);
  t.stop();
});

test('a new IP at the same place updates the host, not its place; the IP index follows', () => {
  const t = tracker();
  const at = { switch: 'acc1', port: 7 };
  t.learn('02:00:00:00:00:09', '10.0.1.99', at);
  assert.deepEqual(t.learn('02:00:00:00:00:09', '10.0.1.98', at), {
    kind: 'updated', host: { name: undefined, mac: '02:00:00:00:00:09', ip: '10.0.1.98', switch: 'acc1', port: 7, declared: false, seen: true },
  });
  assert.equal(t.byIp('10.0.1.99'), undefined);
  assert.equal(t.byIp('10.0.1.98')?.mac, '02:00:00:00:00:09');
  t.stop();
});

test('a host whose port went away is removed after the grace period, unless it reappears first', async () => {
  const removed: HostChange[] = [];
  const t = tracker({}, open, (c) => removed.push(c));
  t.learn('02:00:00:00:00:01', '10.0.1.10', { switch: 'acc1', port: 3 });
  t.learn('02:00:00:00:00:02', '10.0.1.11', { switch: 'acc1', port: 4 });
  t.portGone({ switch: 'acc1', port: 3 }, 'port deleted');
  t.portGone({ switch: 'acc1', port: 4 }, 'port deleted');
  // Host 2 is live-migrated: it shows up on acc2 within the grace period.
  assert.equal(t.learn('02:00:00:00:00:02', undefined, { switch: 'acc2', port: 5 })?.kind, 'moved');
  await new Promise((r) => setTimeout(r, 120));
  assert.deepEqual(removed.filter((c) => c.kind === 'removed').map((c) => c.kind === 'removed' && [c.host.mac, c.reason]), [['02:00:00:00:00:01', 'port deleted']]);
  assert.deepEqual(t.all().map((h) => h.mac), ['02:00:00:00:00:02']);
  assert.equal(t.byIp('10.0.1.10'), undefined, 'the removed host frees its address');
  t.stop();
});

test('an IP taken over by another MAC leaves its previous (learned) holder, which is told as updated', () => {
  const changes: HostChange[] = [];
  const t = tracker({}, open, (c) => changes.push(c));
  t.learn('02:00:00:00:00:0b', '10.0.1.11', { switch: 'acc1', port: 4 });
  assert.equal(t.learn('02:00:00:00:00:99', '10.0.1.11', { switch: 'acc1', port: 4 })?.kind, 'added');
  assert.deepEqual(t.all().map((h) => [h.mac, h.ip]), [['02:00:00:00:00:0b', undefined], ['02:00:00:00:00:99', '10.0.1.11']]);
  assert.deepEqual(changes.map((c) => [c.kind, c.host.mac, c.host.ip]), [['added', '02:00:00:00:00:0b', '10.0.1.11'], ['updated', '02:00:00:00:00:0b', undefined], ['added', '02:00:00:00:00:99', '10.0.1.11']]);
  t.stop();
});

test('the version moves with every change, and stays put when a sighting changes nothing', () => {
  const t = tracker();
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

// ---- what a tenant may not do (issue: hostile input, items 6 and 7) -------------------

const policy = new HostPolicy(dcSmall);
const h31 = dcSmall.hosts.find((h) => h.name === 'h31')!;

test('a declared host\'s address belongs to its declared MAC: a gratuitous ARP from elsewhere is refused', () => {
  const t = tracker({}, policy);
  for (const h of dcSmall.hosts) t.declare(h);
  const before = t.all();
  // h31 (10.0.3.10) lives on acc3; an attacker on acc3 claims its address with another MAC.
  const c = t.learn('02:66:66:66:66:66', h31.ip, { switch: h31.switch, port: 9 });
  assert.deepEqual(c, { kind: 'refused', mac: '02:66:66:66:66:66', ip: h31.ip, at: { switch: h31.switch, port: 9 }, rule: 'address-taken', reason: `${h31.ip} is declared for h31 (${h31.mac})` });
  assert.deepEqual(t.all(), before, 'nothing changed');
  assert.equal(t.byIp(h31.ip)?.mac, h31.mac);
  t.stop();
});

test('an address outside the port\'s subnets is not learned (crossing subnets is the migration\'s job)', () => {
  const t = tracker({}, policy);
  for (const h of dcSmall.hosts) t.declare(h);
  const v = t.version;
  // From acc1 (10.0.1.0/24), claiming an acc3 address that nobody declared.
  const c = t.learn('02:66:66:66:66:66', '10.0.3.77', { switch: 'acc1', port: 4 });
  assert.equal(c?.kind === 'refused' && c.reason, '10.0.3.77 is outside the subnets of acc1');
  assert.equal(t.version, v);
  assert.equal(t.byIp('10.0.3.77'), undefined);
  t.stop();
});

test('a gateway address is never learned', () => {
  const t = tracker({}, policy);
  for (const gw of ['10.0.1.1', '10.0.4.1']) {
    const sw = gw === '10.0.1.1' ? 'acc1' : 'acc4';
    const c = t.learn('02:66:66:66:66:66', gw, { switch: sw, port: 4 });
    assert.equal(c?.kind === 'refused' && c.reason, `${gw} is a gateway address`);
  }
  assert.equal(t.size, 0);
  t.stop();
});

test('a declared host claiming another address of its subnet is refused; its own still works', () => {
  const t = tracker({}, policy);
  const h11 = dcSmall.hosts.find((h) => h.name === 'h11')!;
  t.declare(h11);
  const c = t.learn(h11.mac, '10.0.1.100', { switch: 'acc1', port: h11.port });
  assert.equal(c?.kind === 'refused' && c.reason, `h11 is declared with ${h11.ip}, not 10.0.1.100`);
  assert.equal(t.learn(h11.mac, h11.ip, { switch: 'acc1', port: h11.port }), undefined);
  t.stop();
});

test('a RARP from a known MAC at a switch of another subnet does not move it (migration), one at another port of its own switch does', () => {
  const t = tracker({}, policy);
  const vm = '02:00:00:00:0a:02';
  t.learn(vm, '10.0.1.10', { switch: 'acc1', port: 3 });
  const c = t.learn(vm, undefined, { switch: 'acc3', port: 9 });
  assert.equal(c?.kind, 'refused');
  assert.match(c?.kind === 'refused' ? c.reason : '', /holds 10\.0\.1\.10: 10\.0\.1\.10 is outside the subnets of acc3; a move to another subnet is a migration/);
  assert.equal(t.byIp('10.0.1.10')?.switch, 'acc1');
  assert.equal(t.learn(vm, undefined, { switch: 'acc1', port: 9 })?.kind, 'moved');
  t.stop();
});

test('hosts per port are bounded: the 4th new MAC at a port of limit 3 is refused, other ports still learn', () => {
  const t = tracker({ perPort: 3 });
  const at = { switch: 'acc1', port: 4 };
  for (let i = 0; i < 3; i++) assert.equal(t.learn(`02:00:00:00:01:0${i}`, undefined, at)?.kind, 'added');
  const c = t.learn('02:00:00:00:01:09', undefined, at);
  assert.equal(c?.kind === 'refused' && c.reason, 'port acc1:4 already has 3 hosts');
  assert.equal(t.learn('02:00:00:00:01:09', undefined, { switch: 'acc1', port: 5 })?.kind, 'added');
  // A known host moving onto the full port is refused too; one leaving frees a place.
  assert.equal(t.learn('02:00:00:00:01:09', undefined, at)?.kind, 'refused');
  assert.equal(t.learn('02:00:00:00:01:00', undefined, { switch: 'acc1', port: 6 })?.kind, 'moved');
  assert.equal(t.learn('02:00:00:00:01:09', undefined, at)?.kind, 'moved');
  t.stop();
});

test('the host table is bounded in all', () => {
  const t = tracker({ total: 5 });
  for (let i = 0; i < 5; i++) t.learn(`02:00:00:00:02:0${i}`, undefined, { switch: 'acc1', port: 10 + i });
  const c = t.learn('02:00:00:00:02:09', undefined, { switch: 'acc1', port: 20 });
  assert.equal(c?.kind === 'refused' && c.reason, 'host table full (5 hosts)');
  assert.equal(t.size, 5);
  // A known host still moves when the table is full.
  assert.equal(t.learn('02:00:00:00:02:00', undefined, { switch: 'acc1', port: 21 })?.kind, 'moved');
  t.stop();
});

test('learned hosts idle for longer than the limit age out; declared hosts and recently seen ones stay', () => {
  let now = 1_000_000;
  const removed: HostChange[] = [];
  const t = tracker({ idleMs: 1000 }, open, (c) => removed.push(c), () => now);
  t.declare(H11);
  t.learn('02:00:00:00:03:01', undefined, { switch: 'acc1', port: 4 });
  t.learn('02:00:00:00:03:02', undefined, { switch: 'acc1', port: 5 });
  now += 600;
  t.learn('02:00:00:00:03:02', undefined, { switch: 'acc1', port: 5 });
  now += 600;
  t.sweep();
  assert.deepEqual(removed.filter((c) => c.kind === 'removed').map((c) => c.kind === 'removed' && [c.host.mac, c.reason]), [['02:00:00:00:03:01', 'idle for more than 1000 ms']]);
  assert.deepEqual(t.all().map((h) => h.mac).sort(), [H11.mac, '02:00:00:00:03:02']);
  // Its place at the port is free again.
  now += 2000;
  t.sweep();
  assert.deepEqual(t.all().map((h) => h.mac), [H11.mac]);
  t.stop();
});

test('pages of the host table', () => {
  const t = tracker();
  for (let i = 0; i < 7; i++) t.learn(`02:00:00:00:04:0${i}`, undefined, { switch: 'acc1', port: 10 + i });
  assert.deepEqual(t.page(0, 3).map((h) => h.port), [10, 11, 12]);
  assert.deepEqual(t.page(5, 3).map((h) => h.port), [15, 16]);
  assert.deepEqual(t.page(9, 3), []);
  t.stop();
});

test('a port gone detaches only the hosts at that switch and port; one that moved on in time stays', async () => {
  const removed: string[] = [];
  const t = tracker({ graceMs: 40 }, open, (c) => c.kind === 'removed' && removed.push(c.host.mac));
  t.learn('02:00:00:00:05:01', undefined, { switch: 'acc1', port: 3 });
  t.learn('02:00:00:00:05:02', undefined, { switch: 'acc1', port: 4 });
  t.learn('02:00:00:00:05:03', undefined, { switch: 'acc2', port: 3 });
  t.learn('02:00:00:00:05:04', undefined, { switch: 'acc1', port: 3 });
  const v = t.version;
  t.portGone({ switch: 'acc1', port: 3 }, 'port down');
  assert.ok(t.version > v, 'a detach is a change');
  // The second host of acc1:3 shows up at another port of acc1 within the grace period.
  assert.equal(t.learn('02:00:00:00:05:04', undefined, { switch: 'acc1', port: 6 })?.kind, 'moved');
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(removed, ['02:00:00:00:05:01']);
  assert.deepEqual(t.all().map((h) => h.mac).sort(), ['02:00:00:00:05:02', '02:00:00:00:05:03', '02:00:00:00:05:04']);
  t.stop();
});

test('ageing is strict: idle exactly the limit stays, one millisecond more goes; each removal moves the version', () => {
  let now = 5_000;
  const t = tracker({ idleMs: 1000 }, open, () => {}, () => now);
  t.learn('02:00:00:00:06:01', undefined, { switch: 'acc1', port: 3 });
  now += 1000;
  const v = t.version;
  t.sweep();
  assert.equal(t.size, 1);
  assert.equal(t.version, v, 'nothing removed, nothing changed');
  now += 1;
  t.sweep();
  assert.equal(t.size, 0);
  assert.ok(t.version > v);
  t.stop();
});

test('a declared host is unseen until its traffic arrives; declaring moves the version and indexes its address', () => {
  const t = tracker();
  const v = t.version;
  t.declare(H11);
  assert.ok(t.version > v);
  assert.deepEqual([t.byIp(H11.ip)?.mac, t.byIp(H11.ip)?.seen], [H11.mac, false]);
  t.learn(H11.mac, H11.ip, { switch: 'acc1', port: 3 });
  assert.equal(t.byIp(H11.ip)?.seen, true);
  t.stop();
});

test('a host known without an address moves freely, within its switch and across (there is no address to check)', () => {
  const t = tracker({}, policy);
  assert.equal(t.learn('02:00:00:00:07:01', undefined, { switch: 'acc1', port: 7 })?.kind, 'added');
  assert.equal(t.learn('02:00:00:00:07:01', undefined, { switch: 'acc1', port: 8 })?.kind, 'moved');
  assert.equal(t.learn('02:00:00:00:07:01', undefined, { switch: 'acc3', port: 8 })?.kind, 'moved');
  t.stop();
});

test('the version moves with every change, and only then: a roaming permission set twice or taken when there is none changes nothing', () => {
  const t = tracker();
  t.declare(H11);
  const v0 = t.version;
  t.roam(H11.mac, undefined);
  assert.equal(t.version, v0, 'no permission to take');
  t.roam(H11.mac, { switch: 'acc3', port: 5, ip: H11.ip });
  const v1 = t.version;
  assert.ok(v1 > v0, 'a permission given');
  t.roam(H11.mac, { switch: 'acc3', port: 5, ip: H11.ip });
  assert.equal(t.version, v1, 'the same permission again');
  t.roam(H11.mac, { switch: 'acc4', port: 5, ip: H11.ip });
  const v2 = t.version;
  assert.ok(v2 > v1, 'another switch');
  t.roam(H11.mac, { switch: 'acc4', port: 6, ip: H11.ip });
  assert.ok(t.version > v2, 'another port');
  t.roam(H11.mac, { switch: 'acc4', port: 5, ip: '10.0.1.11' });
  const v3 = t.version;
  assert.ok(v3 > v2, 'another address');
  t.roam(H11.mac, undefined);
  assert.ok(t.version > v3, 'taken back');
  t.stop();
});

test('a migrated VM roams with its own address only: at its bound port with another address of its Home Network, or of the Foreign one, it is refused', () => {
  const t = tracker({}, new HostPolicy(dcSmall));
  t.declare(H11);
  t.roam(H11.mac, { switch: 'acc3', port: 5, ip: H11.ip });
  assert.equal(t.learn(H11.mac, H11.ip, { switch: 'acc3', port: 5 })?.kind, 'moved', 'its own address where its binding is');
  for (const other of ['10.0.1.99', '10.0.3.99']) {
    const c = t.learn(H11.mac, other, { switch: 'acc3', port: 5 });
    assert.equal(c?.kind, 'refused', `${other} at acc3:5`);
  }
  assert.deepEqual([t.byMac(H11.mac)?.ip, t.byMac(H11.mac)?.port], [H11.ip, 5]);
  t.stop();
});

test('a migrated VM roams with its own address only: at its Foreign switch, another address outside that switch\'s subnets is refused', () => {
  const t = tracker({}, new HostPolicy(dcSmall));
  const h11 = dcSmall.hosts.find((h) => h.name === 'h11')!;
  t.declare({ name: h11.name, mac: h11.mac, ip: h11.ip, switch: h11.switch, port: h11.port });
  t.roam(h11.mac, { switch: 'acc3', port: 5, ip: h11.ip });
  assert.equal(t.learn(h11.mac, h11.ip, { switch: 'acc3', port: 5 })?.kind, 'moved', 'its HoA roams');
  const other = t.learn(h11.mac, '10.0.1.99', { switch: 'acc3', port: 5 });
  assert.deepEqual(other?.kind === 'refused' ? [other.rule, other.reason] : other, ['address', '10.0.1.99 is outside the subnets of acc3']);
  assert.equal(t.byMac(h11.mac)?.ip, h11.ip, 'it keeps its HoA');
  t.stop();
});

test('forget (another member saw the host go): a learned host is removed, its address free; a declared one stays where the file puts it, unseen; an unknown MAC changes nothing', () => {
  const changes: HostChange[] = [];
  const t = tracker({}, open, (c) => changes.push(c));
  t.declare(H11);
  t.learn(H11.mac, H11.ip, { switch: 'acc1', port: 3 });
  t.learn('02:00:00:00:00:09', '10.0.1.99', { switch: 'acc1', port: 4 });
  changes.length = 0;
  const before = t.version;
  t.forget('02:00:00:00:00:09', 'gone');
  assert.equal(t.byMac('02:00:00:00:00:09'), undefined);
  assert.equal(t.byIp('10.0.1.99'), undefined);
  t.forget(H11.mac, 'gone');
  assert.deepEqual(t.byMac(H11.mac), { ...H11, declared: true, seen: false });
  assert.deepEqual(changes.map((c) => [c.kind, c.host.mac]), [['removed', '02:00:00:00:00:09'], ['updated', H11.mac]]);
  assert.ok(t.version > before);
  const after = t.version;
  t.forget('02:00:00:00:00:77', 'gone');
  t.forget(H11.mac, 'gone again');
  assert.equal(changes.length, 2, 'nothing more to tell');
  assert.equal(t.version, after, 'neither a declared host already unseen nor an unknown MAC is a change');
  t.stop();
});
