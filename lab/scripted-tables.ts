import { flowKey, type FlowEntry, type GroupEntry } from '../src/controller/flow-tables.js';
import {
  FlowModCommand, GroupModCommand, MessageType, MultipartFlags, MultipartType, OfpEncodeError, encodeMessage, type OfpMessage,
} from '../src/openflow/index.js';
import type { ScriptedSwitch } from './scripted-switch.js';

/**
 * A flow and group table for the scripted switch: FLOW_MOD (ADD, DELETE_STRICT), GROUP_MOD,
 * and flow / group-description stats answered in parts of `partSize` entries (REPLY_MORE on
 * all but the last), as a switch with a big table does. Every mod received is kept in order,
 * so tests can assert exactly what a reconciler sent. `fail` makes a mod answer an error.
 */
export class ScriptedTables {
  readonly flows = new Map<string, FlowEntry>();
  readonly groups = new Map<number, GroupEntry>();
  /** Flow and group mods in the order they arrived, and barriers as 'barrier' (when `keepLog`). */
  readonly log: Array<string> = [];
  /** Flow and group mods received. */
  mods = 0;
  /** Returns an error (type, code) for a mod the switch should refuse. */
  fail: ((m: OfpMessage) => { errType: number; code: number } | undefined) | undefined;

  constructor(
    private readonly partSize = 3,
    /** Whether `log` keeps every mod (a benchmark's million entries keep only the count). */
    private readonly keepLog = true,
  ) {}

  install(sw: ScriptedSwitch): void {
    sw.script = (m) => this.handle(m, sw);
  }

  private handle(m: OfpMessage, sw: ScriptedSwitch): boolean {
    if (m.type === MessageType.FLOW_MOD || m.type === MessageType.GROUP_MOD) {
      const err = this.fail?.(m);
      if (err) {
        sw.send({ type: MessageType.ERROR, xid: m.xid, ...err, data: Buffer.alloc(0) });
        return true;
      }
    }
    switch (m.type) {
      case MessageType.FLOW_MOD: {
        const entry: FlowEntry = { tableId: m.tableId, priority: m.priority, cookie: m.cookie, match: m.match, instructions: m.instructions };
        const key = flowKey(entry);
        if (m.command === FlowModCommand.ADD) this.flows.set(key, entry);
        else if (m.command === FlowModCommand.DELETE_STRICT) this.flows.delete(key);
        this.mods++;
        if (this.keepLog) this.log.push(`${m.command === FlowModCommand.ADD ? 'add' : 'del'} flow ${m.priority} ${JSON.stringify(m.match)}`);
        return true;
      }
      case MessageType.GROUP_MOD:
        if (m.command === GroupModCommand.DELETE) this.groups.delete(m.groupId);
        else this.groups.set(m.groupId, { groupId: m.groupId, groupType: m.groupType, buckets: m.buckets });
        this.mods++;
        if (this.keepLog) this.log.push(`${GroupModCommand[m.command]!.toLowerCase()} group ${m.groupId.toString(16)}`);
        return true;
      case MessageType.BARRIER_REQUEST:
        if (this.keepLog) this.log.push('barrier');
        return false;
      case MessageType.MULTIPART_REQUEST:
        if (m.body.mpType === MultipartType.FLOW) {
          const { cookie, cookieMask } = m.body;
          const flows = [...this.flows.values()].filter((f) => (f.cookie & cookieMask) === (cookie & cookieMask)).map((f) => ({
            ...f, durationSec: 0, durationNsec: 0, idleTimeout: 0, hardTimeout: 0, flags: 0, packetCount: 0n, byteCount: 0n,
          }));
          this.reply(sw, m.xid, flows, (part) => ({ mpType: MultipartType.FLOW, flows: part }));
          return true;
        }
        if (m.body.mpType === MultipartType.GROUP_DESC) {
          this.reply(sw, m.xid, [...this.groups.values()], (part) => ({ mpType: MultipartType.GROUP_DESC, groups: part }));
          return true;
        }
        return false;
      default:
        return false;
    }
  }

  private reply<T>(sw: ScriptedSwitch, xid: number, items: T[], body: (part: T[]) => unknown): void {
    const parts: T[][] = [];
    for (let i = 0; i < items.length || parts.length === 0; i += this.partSize) parts.push(items.slice(i, i + this.partSize));
    const fitting = parts.flatMap((part) => this.fit(part, body));
    for (const [i, part] of fitting.entries()) {
      sw.send({ type: MessageType.MULTIPART_REPLY, xid, flags: i < fitting.length - 1 ? MultipartFlags.REPLY_MORE : 0, body: body(part) } as OfpMessage);
    }
  }

  /** A part too large for one message (65,535 bytes: a core switch's thousands of groups) is halved until each half fits. */
  private fit<T>(part: T[], body: (part: T[]) => unknown): T[][] {
    try {
      encodeMessage({ type: MessageType.MULTIPART_REPLY, xid: 0, flags: 0, body: body(part) } as OfpMessage);
      return [part];
    } catch (e) {
      if (!(e instanceof OfpEncodeError) || part.length < 2) throw e;
      const mid = part.length >> 1;
      return [...this.fit(part.slice(0, mid), body), ...this.fit(part.slice(mid), body)];
    }
  }
}
