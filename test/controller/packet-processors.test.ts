import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketProcessors } from '../../src/controller/packet-processors.js';
import { MessageType, type PacketIn } from '../../src/openflow/index.js';
import { memoryLogger } from '../../lab/memory-logger.js';

const packetIn: PacketIn = { type: MessageType.PACKET_IN, xid: 1, bufferId: 0xffffffff, totalLen: 0, reason: 0, tableId: 0, cookie: 0n, match: { in_port: 3 }, data: Buffer.alloc(0) };

test('processors run in order of priority, lower first, whatever order they were added in', () => {
  const p = new PacketProcessors(memoryLogger().logger);
  const ran: string[] = [];
  p.add('answer', 200, () => ran.push('answer'));
  p.add('observe', 1000, () => ran.push('observe'));
  p.add('learn', 100, (dpid, m) => ran.push(`learn ${dpid} port ${String(m.match.in_port)}`));
  p.dispatch('0000000000030001', packetIn);
  assert.deepEqual(ran, ['learn 0000000000030001 port 3', 'answer', 'observe']);
});

test('a processor that throws is logged by name, and the ones after it still run', () => {
  const { logger, lines } = memoryLogger();
  const p = new PacketProcessors(logger);
  const ran: string[] = [];
  p.add('broken', 1, () => {
    throw new Error('bug in an app');
  });
  p.add('after', 2, () => ran.push('after'));
  p.dispatch('0000000000030001', packetIn);
  assert.deepEqual(ran, ['after']);
  assert.equal(lines.filter((l) => l.processor === 'broken' && String(l.error).includes('bug in an app')).length, 1);
});

test('removing a processor, even from inside a dispatch, takes effect from the next packet-in', () => {
  const p = new PacketProcessors(memoryLogger().logger);
  const ran: string[] = [];
  const removeSecond = p.add('second', 2, () => ran.push('second'));
  p.add('first', 1, () => {
    ran.push('first');
    removeSecond();
  });
  p.dispatch('x', packetIn);
  p.dispatch('x', packetIn);
  assert.deepEqual(ran, ['first', 'second', 'first']);
});
