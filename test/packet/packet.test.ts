import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PacketParseError, parseArp, parseEthernet, parseIpv4, parseLldp } from '../../src/packet/index.js';

test('short or foreign frames are typed parse errors or ignored, never crashes', () => {
  assert.throws(() => parseEthernet(Buffer.alloc(10)), PacketParseError);
  assert.throws(() => parseArp(Buffer.alloc(20)), PacketParseError);
  assert.throws(() => parseIpv4(Buffer.from('4500', 'hex')), PacketParseError);
  // An LLDP frame from a real neighbour (chassis id is a MAC): not one of our probes.
  const foreign = Buffer.from('020704020000000001040703020000000102' + '0602000a' + '0000', 'hex');
  assert.equal(parseLldp(foreign), undefined);
  assert.throws(() => parseLldp(Buffer.from('0210aa', 'hex')), PacketParseError);
});
