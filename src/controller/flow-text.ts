import { ActionType, InstructionType, PortNo, type Action, type Instruction, type Match } from '../openflow/index.js';

/**
 * A flow's match and instructions in words, close to what `ovs-ofctl -O OpenFlow13
 * dump-flows` prints (field=value/mask, set_field:value->field, output:N, group:N,
 * goto_table:N), so that an operator can hold the two side by side.
 */

const PORT_NAMES: Partial<Record<number, string>> = {
  [PortNo.IN_PORT]: 'in_port', [PortNo.TABLE]: 'table', [PortNo.NORMAL]: 'normal', [PortNo.FLOOD]: 'flood',
  [PortNo.ALL]: 'all', [PortNo.CONTROLLER]: 'controller', [PortNo.LOCAL]: 'local', [PortNo.ANY]: 'any',
};
const port = (n: number): string => PORT_NAMES[n] ?? String(n);

const value = (name: string, v: unknown): string => {
  if (typeof v === 'number' && name === 'in_port') return port(v);
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (typeof v === 'number' && (name === 'eth_type' || name === 'vlan_vid')) return `0x${v.toString(16).padStart(4, '0')}`;
  return String(v);
};

export function describeMatch(m: Match): string {
  const fields = Object.entries(m).flatMap(([name, v]) => {
    if (name === 'other' || v === undefined) return [];
    if (typeof v === 'object' && v !== null && 'mask' in v) return [`${name}=${value(name, v.value)}/${value(name, v.mask)}`];
    return [`${name}=${value(name, v)}`];
  });
  const other = m.other?.length ? [`${m.other.length} other OXM`] : [];
  return [...fields, ...other].join(',') || '(any)';
}

function describeAction(a: Action): string {
  switch (a.type) {
    case ActionType.OUTPUT:
      return `output:${port(a.port)}`;
    case ActionType.GROUP:
      return `group:0x${a.groupId.toString(16)}`;
    case ActionType.SET_FIELD:
      return `set_field:${value(a.field, a.value)}->${a.field}`;
    case ActionType.DEC_NW_TTL:
      return 'dec_ttl';
    case ActionType.SET_QUEUE:
      return `set_queue:${a.queueId}`;
    default:
      return ActionType[a.type]?.toLowerCase() ?? `action ${a.type}`;
  }
}

const actions = (list: readonly Action[]): string => (list.length === 0 ? 'drop' : list.map(describeAction).join(','));

export function describeInstructions(list: readonly Instruction[]): string {
  if (list.length === 0) return 'drop';
  return list
    .map((i) => {
      switch (i.type) {
        case InstructionType.APPLY_ACTIONS:
          return actions(i.actions);
        case InstructionType.WRITE_ACTIONS:
          return `write_actions(${actions(i.actions)})`;
        case InstructionType.GOTO_TABLE:
          return `goto_table:${i.tableId}`;
        case InstructionType.CLEAR_ACTIONS:
          return 'clear_actions';
        case InstructionType.METER:
          return `meter:${i.meterId}`;
        case InstructionType.WRITE_METADATA:
          return `write_metadata:0x${i.metadata.toString(16)}/0x${i.metadataMask.toString(16)}`;
        default:
          return `instruction ${i.type}`;
      }
    })
    .join(',');
}
