import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { admitConnections } from '../../src/api/connection-admission.js';
import { until } from '../../lab/wait.js';

/** Admission in front of a plain HTTP server, with small limits. */
async function serve(limits: { total: number; perClient: number; tarpit: number }, holdMs = 10_000) {
  const server = createServer((_req, res) => res.end('ok'));
  const counts = admitConnections(server, holdMs, limits);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const sockets: Socket[] = [];
  const open = (from = '127.0.0.1'): Socket => {
    const s = connect({ port, host: '127.0.0.1', localAddress: from });
    s.on('error', () => undefined);
    sockets.push(s);
    return s;
  };
  const close = async (): Promise<void> => {
    for (const s of sockets) s.destroy();
    counts.releaseHeld();
    await new Promise((r) => server.close(r));
  };
  return { counts, open, close, server };
}

test('the tarpit is bounded: past its connections, one over its client\'s limit is closed at once, and another address is still served', async () => {
  const s = await serve({ total: 100, perClient: 4, tarpit: 8 });
  try {
    let closed = 0;
    for (let i = 0; i < 4 + 8 + 5; i++) s.open().once('close', () => closed++);
    await until(() => s.counts.served + s.counts.heldUnread + s.counts.closedAtOnce === 17 && closed === 5, '5 closed at once');
    assert.deepEqual([s.counts.served, s.counts.holding, s.counts.closedAtOnce], [4, 8, 5]);
    assert.equal(s.server.maxConnections, 108, 'the server\'s own bound: served and held');
    s.open('127.0.0.2');
    await until(() => s.counts.served === 5, 'another address served while the tarpit is full');
    s.open();
    await until(() => s.counts.closedAtOnce === 6, 'one more from the full address closed at once');
  } finally {
    await s.close();
  }
});

test('a held connection: never answered, closed after the hold, or as soon as its client leaves', async () => {
  const s = await serve({ total: 100, perClient: 1, tarpit: 8 }, 400);
  try {
    s.open();
    await until(() => s.counts.served === 1, 'the first served');
    const held = s.open();
    let answered = false;
    held.on('data', () => (answered = true));
    held.once('connect', () => held.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'));
    const t = Date.now();
    await new Promise((r) => held.once('close', r));
    assert.equal(answered, false, 'a held connection gets no answer');
    assert.ok(Date.now() - t >= 350, `closed after the hold (${Date.now() - t} ms)`);
    const leaving = s.open();
    await until(() => s.counts.holding === 1, 'held');
    leaving.end();
    await until(() => s.counts.holding === 0, 'let go when its client closes it', 300);
  } finally {
    await s.close();
  }
});

test('at most `total` connections served in all, whatever their addresses', async () => {
  const s = await serve({ total: 3, perClient: 2, tarpit: 8 });
  try {
    s.open('127.0.0.1');
    s.open('127.0.0.1');
    s.open('127.0.0.2');
    s.open('127.0.0.2');
    await until(() => s.counts.served + s.counts.heldUnread === 4, 'all four seen');
    assert.deepEqual([s.counts.served, s.counts.heldUnread], [3, 1]);
  } finally {
    await s.close();
  }
});
