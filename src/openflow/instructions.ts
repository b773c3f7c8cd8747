import { readActions, writeActions, type Action } from './actions.js';
import { InstructionType } from './enums.js';
import { OfpDecodeError, OfpEncodeError } from './errors.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** Instructions of OpenFlow 1.3.5 §7.2.4. */
export type Instruction =
  | { type: InstructionType.GOTO_TABLE; tableId: number }
  | { type: InstructionType.WRITE_METADATA; metadata: bigint; metadataMask: bigint }
  | { type: InstructionType.WRITE_ACTIONS; actions: Action[] }
  | { type: InstructionType.APPLY_ACTIONS; actions: Action[] }
  | { type: InstructionType.CLEAR_ACTIONS }
  | { type: InstructionType.METER; meterId: number }
  | { type: InstructionType.EXPERIMENTER; experimenter: number; data: Buffer };

export const inst = {
  apply: (actions: Action[]): Instruction => ({ type: InstructionType.APPLY_ACTIONS, actions }),
  write: (actions: Action[]): Instruction => ({ type: InstructionType.WRITE_ACTIONS, actions }),
  gotoTable: (tableId: number): Instruction => ({ type: InstructionType.GOTO_TABLE, tableId }),
};

export function writeInstructions(w: Writer, instructions: readonly Instruction[]): void {
  for (const i of instructions) {
    const start = w.offset;
    w.u16(i.type).u16(0);
    switch (i.type) {
      case InstructionType.GOTO_TABLE:
        w.u8(i.tableId).zeros(3);
        break;
      case InstructionType.WRITE_METADATA:
        w.zeros(4).u64(i.metadata).u64(i.metadataMask);
        break;
      case InstructionType.WRITE_ACTIONS:
      case InstructionType.APPLY_ACTIONS:
        w.zeros(4);
        writeActions(w, i.actions);
        break;
      case InstructionType.CLEAR_ACTIONS:
        w.zeros(4);
        break;
      case InstructionType.METER:
        w.u32(i.meterId);
        break;
      case InstructionType.EXPERIMENTER:
        w.u32(i.experimenter).bytes(i.data).padTo(8, start);
        break;
      default: {
        const never: never = i;
        throw new OfpEncodeError(`unknown instruction ${JSON.stringify(never)}`);
      }
    }
    w.patchU16(start + 2, w.offset - start);
  }
}

export function readInstructions(r: Reader): Instruction[] {
  const out: Instruction[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const type = r.u16('instruction type');
    const len = r.u16('instruction length');
    if (len < 8 || len % 8 !== 0) throw new OfpDecodeError('bad_length', `instruction length ${len}`, at);
    const b = r.sub(len - 4, 'instruction body');
    switch (type) {
      case InstructionType.GOTO_TABLE:
        out.push({ type, tableId: b.u8() });
        break;
      case InstructionType.WRITE_METADATA:
        b.skip(4);
        out.push({ type, metadata: b.u64(), metadataMask: b.u64() });
        break;
      case InstructionType.WRITE_ACTIONS:
      case InstructionType.APPLY_ACTIONS:
        b.skip(4);
        out.push({ type, actions: readActions(b) });
        break;
      case InstructionType.CLEAR_ACTIONS:
        out.push({ type });
        break;
      case InstructionType.METER:
        out.push({ type, meterId: b.u32() });
        break;
      case InstructionType.EXPERIMENTER:
        out.push({ type, experimenter: b.u32(), data: b.rest() });
        break;
      default:
        throw new OfpDecodeError('bad_type', `unknown instruction type ${type}`, at);
    }
  }
  return out;
}
