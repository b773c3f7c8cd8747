import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BatchRejectedError, OpenFlowErrorReply } from '../../src/controller/errors.js';
import { ErrorType, MessageType, errorName, type ErrorMsg } from '../../src/openflow/index.js';

/** OFPT_ERROR by name (OpenFlow 1.3.5 §7.4.4): what a log line and an exception say. */

test('every error type and a code of each are named as in the spec', () => {
  const cases: Array<[number, number, string]> = [
    [0, 0, 'HELLO_FAILED/INCOMPATIBLE'], [0, 1, 'HELLO_FAILED/EPERM'],
    [1, 1, 'BAD_REQUEST/BAD_TYPE'], [1, 5, 'BAD_REQUEST/EPERM'], [1, 7, 'BAD_REQUEST/BUFFER_EMPTY'],
    [2, 4, 'BAD_ACTION/BAD_OUT_PORT'], [2, 9, 'BAD_ACTION/BAD_OUT_GROUP'],
    [3, 1, 'BAD_INSTRUCTION/UNSUP_INST'], [4, 6, 'BAD_MATCH/BAD_FIELD'], [4, 9, 'BAD_MATCH/BAD_PREREQ'],
    [5, 1, 'FLOW_MOD_FAILED/TABLE_FULL'], [5, 2, 'FLOW_MOD_FAILED/BAD_TABLE_ID'],
    [6, 0, 'GROUP_MOD_FAILED/GROUP_EXISTS'], [6, 8, 'GROUP_MOD_FAILED/UNKNOWN_GROUP'],
    [7, 0, 'PORT_MOD_FAILED/BAD_PORT'], [8, 0, 'TABLE_MOD_FAILED/BAD_TABLE'], [9, 0, 'QUEUE_OP_FAILED/BAD_PORT'],
    [10, 0, 'SWITCH_CONFIG_FAILED/BAD_FLAGS'], [11, 0, 'ROLE_REQUEST_FAILED/STALE'],
    [12, 1, 'METER_MOD_FAILED/METER_EXISTS'], [13, 0, 'TABLE_FEATURES_FAILED/BAD_TABLE'],
  ];
  for (const [type, code, name] of cases) assert.equal(errorName(type, code), name, `${type}/${code}`);
  assert.equal(errorName(5, 99), 'FLOW_MOD_FAILED/CODE_99');
  assert.equal(errorName(77, 1), 'TYPE_77/CODE_1');
});

test('a rejected request and a rejected batch name the switch, the xid and the error', () => {
  const m: ErrorMsg = { type: MessageType.ERROR, xid: 42, errType: ErrorType.BAD_ACTION, code: 9, data: Buffer.alloc(0) };
  const e = new OpenFlowErrorReply('00000000000000a1', m);
  assert.equal(e.reason, 'BAD_ACTION/BAD_OUT_GROUP');
  assert.equal(e.message, 'switch 00000000000000a1 rejected xid 42: BAD_ACTION/BAD_OUT_GROUP');
  const batch = new BatchRejectedError('00000000000000a1', [e, e, e, e], 10);
  assert.equal(batch.message, 'switch 00000000000000a1 rejected 4 of 10 messages: BAD_ACTION/BAD_OUT_GROUP, BAD_ACTION/BAD_OUT_GROUP, BAD_ACTION/BAD_OUT_GROUP');
});
