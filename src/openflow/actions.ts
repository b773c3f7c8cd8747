import { ActionType, OFPCML_NO_BUFFER } from './enums.js';
import { OfpDecodeError, OfpEncodeError } from './errors.js';
import { OXM_FIELDS, readOxm, writeOxm, type OxmFieldName, type OxmValue } from './match.js';
import type { Reader } from './reader.js';
import type { Writer } from './writer.js';

/** Actions of OpenFlow 1.3.5 §7.2.5, discriminated by `type`. */
export type Action =
  | { type: ActionType.OUTPUT; port: number; maxLen?: number }
  | { type: ActionType.COPY_TTL_OUT }
  | { type: ActionType.COPY_TTL_IN }
  | { type: ActionType.SET_MPLS_TTL; ttl: number }
  | { type: ActionType.DEC_MPLS_TTL }
  | { type: ActionType.PUSH_VLAN; ethertype: number }
  | { type: ActionType.POP_VLAN }
  | { type: ActionType.PUSH_MPLS; ethertype: number }
  | { type: ActionType.POP_MPLS; ethertype: number }
  | { type: ActionType.SET_QUEUE; queueId: number }
  | { type: ActionType.GROUP; groupId: number }
  | { type: ActionType.SET_NW_TTL; ttl: number }
  | { type: ActionType.DEC_NW_TTL }
  | SetFieldAction
  | { type: ActionType.PUSH_PBB; ethertype: number }
  | { type: ActionType.POP_PBB }
  | { type: ActionType.EXPERIMENTER; experimenter: number; data: Buffer };

export type SetFieldAction = {
  [K in OxmFieldName]: { type: ActionType.SET_FIELD; field: K; value: OxmValue<K> };
}[OxmFieldName];

/** Convenience constructors for the actions used most. */
export const act = {
  output: (port: number, maxLen = OFPCML_NO_BUFFER): Action => ({ type: ActionType.OUTPUT, port, maxLen }),
  setField: <K extends OxmFieldName>(field: K, value: OxmValue<K>): Action =>
    ({ type: ActionType.SET_FIELD, field, value }) as SetFieldAction,
  decNwTtl: (): Action => ({ type: ActionType.DEC_NW_TTL }),
  group: (groupId: number): Action => ({ type: ActionType.GROUP, groupId }),
};

/** Writes one action; its length is patched once its body is known. */
export function writeAction(w: Writer, a: Action): void {
  const start = w.offset;
  w.u16(a.type).u16(0);
  switch (a.type) {
    case ActionType.OUTPUT:
      w.u32(a.port).u16(a.maxLen ?? OFPCML_NO_BUFFER).zeros(6);
      break;
    case ActionType.COPY_TTL_OUT:
    case ActionType.COPY_TTL_IN:
    case ActionType.DEC_MPLS_TTL:
    case ActionType.POP_VLAN:
    case ActionType.DEC_NW_TTL:
    case ActionType.POP_PBB:
      w.zeros(4);
      break;
    case ActionType.SET_MPLS_TTL:
    case ActionType.SET_NW_TTL:
      w.u8(a.ttl).zeros(3);
      break;
    case ActionType.PUSH_VLAN:
    case ActionType.PUSH_MPLS:
    case ActionType.POP_MPLS:
    case ActionType.PUSH_PBB:
      w.u16(a.ethertype).zeros(2);
      break;
    case ActionType.SET_QUEUE:
      w.u32(a.queueId);
      break;
    case ActionType.GROUP:
      w.u32(a.groupId);
      break;
    case ActionType.SET_FIELD:
      if (typeof a.value === 'object') throw new OfpEncodeError(`set_field ${a.field}: a value cannot be masked in OpenFlow 1.3`);
      writeOxm(w, a.field, a.value);
      w.padTo(8, start);
      break;
    case ActionType.EXPERIMENTER:
      w.u32(a.experimenter).bytes(a.data).padTo(8, start);
      break;
    default: {
      const never: never = a;
      throw new OfpEncodeError(`unknown action ${JSON.stringify(never)}`);
    }
  }
  w.patchU16(start + 2, w.offset - start);
}

export function writeActions(w: Writer, actions: readonly Action[]): void {
  for (const a of actions) writeAction(w, a);
}

function readAction(r: Reader): Action {
  const at = r.offset;
  const type = r.u16('action type');
  const len = r.u16('action length');
  if (len < 8 || len % 8 !== 0) throw new OfpDecodeError('bad_length', `action length ${len}`, at);
  const b = r.sub(len - 4, 'action body');
  switch (type) {
    case ActionType.OUTPUT: {
      const port = b.u32();
      const maxLen = b.u16();
      return { type, port, maxLen };
    }
    case ActionType.COPY_TTL_OUT:
    case ActionType.COPY_TTL_IN:
    case ActionType.DEC_MPLS_TTL:
    case ActionType.POP_VLAN:
    case ActionType.DEC_NW_TTL:
    case ActionType.POP_PBB:
      return { type };
    case ActionType.SET_MPLS_TTL:
    case ActionType.SET_NW_TTL:
      return { type, ttl: b.u8() };
    case ActionType.PUSH_VLAN:
    case ActionType.PUSH_MPLS:
    case ActionType.POP_MPLS:
    case ActionType.PUSH_PBB:
      return { type, ethertype: b.u16() };
    case ActionType.SET_QUEUE:
      return { type, queueId: b.u32() };
    case ActionType.GROUP:
      return { type, groupId: b.u32() };
    case ActionType.SET_FIELD: {
      const oxm = readOxm(b);
      if ('payload' in oxm) throw new OfpDecodeError('bad_value', `set_field with unsupported OXM class 0x${oxm.oxmClass.toString(16)}`, at);
      if (typeof oxm.value === 'object' || !(oxm.name in OXM_FIELDS)) {
        throw new OfpDecodeError('bad_value', `set_field ${oxm.name} carries a mask`, at);
      }
      return { type, field: oxm.name, value: oxm.value } as SetFieldAction;
    }
    case ActionType.EXPERIMENTER:
      return { type, experimenter: b.u32(), data: b.rest() };
    default:
      throw new OfpDecodeError('bad_type', `unknown action type ${type}`, at);
  }
}

/** Reads actions until the reader is exhausted. */
export function readActions(r: Reader): Action[] {
  const out: Action[] = [];
  while (r.remaining > 0) out.push(readAction(r));
  return out;
}
