import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeInstructions, describeMatch } from '../../src/controller/flow-text.js';
import { ActionType, InstructionType, PortNo, act, inst } from '../../src/openflow/index.js';

test('a match in ovs-ofctl\'s words: field=value, masks after a slash, eth_type in hex; an empty match is (any)', () => {
  assert.equal(describeMatch({ in_port: 3, eth_type: 0x0800, ipv4_dst: '10.0.1.10' }), 'in_port=3,eth_type=0x0800,ipv4_dst=10.0.1.10');
  assert.equal(describeMatch({ eth_type: 0x0806, arp_tpa: { value: '10.0.1.0', mask: '255.255.255.0' } }), 'eth_type=0x0806,arp_tpa=10.0.1.0/255.255.255.0');
  assert.equal(describeMatch({ metadata: { value: 5n, mask: 0xffn } }), 'metadata=0x5/0xff');
  assert.equal(describeMatch({}), '(any)');
  assert.equal(describeMatch({ in_port: PortNo.CONTROLLER }), 'in_port=controller');
});

test('instructions in ovs-ofctl\'s words: set_field:value->field, output with named ports, group in hex, goto_table; no action is drop', () => {
  assert.equal(
    describeInstructions([inst.apply([act.setField('eth_dst', '02:00:0a:00:01:0a'), { type: ActionType.DEC_NW_TTL }, act.output(3)])]),
    'set_field:02:00:0a:00:01:0a->eth_dst,dec_ttl,output:3',
  );
  assert.equal(describeInstructions([inst.apply([act.output(PortNo.CONTROLLER), { type: ActionType.GROUP, groupId: 0x53560001 }])]), 'output:controller,group:0x53560001');
  assert.equal(describeInstructions([{ type: InstructionType.GOTO_TABLE, tableId: 1 }]), 'goto_table:1');
  assert.equal(describeInstructions([]), 'drop');
  assert.equal(describeInstructions([inst.apply([])]), 'drop');
  assert.equal(describeInstructions([{ type: InstructionType.WRITE_ACTIONS, actions: [act.output(PortNo.IN_PORT)] }, { type: InstructionType.CLEAR_ACTIONS }]), 'write_actions(output:in_port),clear_actions');
});

test('every special port by its name, VLAN ids in hex, other OXMs counted; set_queue, meter, write_metadata, and an action without words by its type', () => {
  const names: Array<[number, string]> = [[PortNo.IN_PORT, 'in_port'], [PortNo.TABLE, 'table'], [PortNo.NORMAL, 'normal'], [PortNo.FLOOD, 'flood'], [PortNo.ALL, 'all'], [PortNo.CONTROLLER, 'controller'], [PortNo.LOCAL, 'local'], [PortNo.ANY, 'any'], [7, '7']];
  assert.deepEqual(names.map(([p]) => describeInstructions([inst.apply([act.output(p)])])), names.map(([, n]) => `output:${n}`));
  assert.equal(describeMatch({ vlan_vid: 0x1005, ip_proto: 6 }), 'vlan_vid=0x1005,ip_proto=6');
  assert.equal(describeMatch({ eth_type: 0x0800, other: [{ oxmClass: 1, field: 2, hasMask: false, value: Buffer.alloc(2) }] } as never), 'eth_type=0x0800,1 other OXM');
  assert.equal(describeMatch({ ipv4_src: undefined, tcp_dst: 80 } as never), 'tcp_dst=80', 'an undefined field is not a field');
  assert.equal(describeInstructions([inst.apply([{ type: ActionType.SET_QUEUE, queueId: 3 }, { type: ActionType.POP_VLAN }])]), 'set_queue:3,pop_vlan');
  assert.equal(describeInstructions([{ type: InstructionType.METER, meterId: 9 }, { type: InstructionType.WRITE_METADATA, metadata: 0x10n, metadataMask: 0xffn }]), 'meter:9,write_metadata:0x10/0xff');
  assert.equal(describeInstructions([inst.apply([{ type: 99 as ActionType } as never])]), 'action 99');
  assert.equal(describeInstructions([{ type: 77 as InstructionType } as never]), 'instruction 77');
});
