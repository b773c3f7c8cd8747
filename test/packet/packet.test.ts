import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketParseError, buildLldp, parseArp, parseEthernet, parseIpv4, parseLldp, verifyLldp } from '../../src/packet/index.js';

test('short or foreign frames are typed parse errors or ignored, never crashes', () => {
  assert.throws(() => parseEthernet(Buffer.alloc(10)), PacketParseError);
  assert.throws(() => parseArp(Buffer.alloc(20)), PacketParseError);
  assert.throws(() => parseIpv4(Buffer.from('4500', 'hex')), PacketParseError);
  // An LLDP frame from a real neighbour (chassis id is a MAC): not one of our probes.
  const foreign = Buffer.from('020704020000000001040703020000000102' + '0602000a' + '0000', 'hex');
  assert.equal(parseLldp(foreign), undefined);
  assert.throws(() => parseLldp(Buffer.from('0210aa', 'hex')), PacketParseError);
});

test('LLDP probes: only a signature made with our key, recently, makes a probe genuine', () => {
  const key = Buffer.alloc(32, 1);
  const t0 = 1_700_000_000_000;
  const read = (frame: Buffer) => parseLldp(parseEthernet(frame).payload)!;
  const signed = read(buildLldp({ dpid: '00000000000000aa', port: 3, ttlSeconds: 3 }, '02:00:00:00:00:01', { key, sentAtMs: t0 }));
  assert.equal(verifyLldp(signed, key, t0, 3000), true);
  assert.equal(verifyLldp(signed, key, t0 + 3000, 3000), true, 'at the edge of the window');
  assert.equal(verifyLldp(signed, key, t0 + 3001, 3000), false, 'a replay after the window');
  assert.equal(verifyLldp(signed, key, t0 - 3001, 3000), false, 'from the future');
  assert.equal(verifyLldp(signed, Buffer.alloc(32, 2), t0, 3000), false, 'another key');
  // A host that rewrites the port (or the chassis) of a captured probe breaks the signature.
  assert.equal(verifyLldp({ ...signed, port: 4 }, key, t0, 3000), false);
  assert.equal(verifyLldp({ ...signed, dpid: '00000000000000ab' }, key, t0, 3000), false);
  const unsigned = read(buildLldp({ dpid: '00000000000000aa', port: 3, ttlSeconds: 3 }, '02:00:00:00:00:01'));
  assert.equal(unsigned.signature, undefined);
  assert.equal(verifyLldp(unsigned, key, t0, 3000), false);
});
