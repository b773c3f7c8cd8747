import { readActions, writeActions, type Action } from '../actions.js';
import { GroupId, type GroupModCommand, type GroupType, MessageType, PortNo } from '../enums.js';
import { OfpDecodeError } from '../errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** GROUP_MOD and its buckets (§7.3.4.3), shared with the GROUP_DESC multipart reply. */

export interface Bucket {
  weight: number;
  watchPort: number;
  watchGroup: number;
  actions: Action[];
}

export interface GroupMod {
  type: MessageType.GROUP_MOD;
  xid: number;
  command: GroupModCommand;
  groupType: GroupType;
  groupId: number;
  buckets: Bucket[];
}

/** A bucket with the defaults of its group type: weight 0 (1 for select), no watch. */
export function bucket(actions: Action[], fields: Partial<Omit<Bucket, 'actions'>> = {}): Bucket {
  return { weight: 0, watchPort: PortNo.ANY, watchGroup: GroupId.ANY, actions, ...fields };
}

export function writeBuckets(w: Writer, buckets: readonly Bucket[]): void {
  for (const b of buckets) {
    const start = w.offset;
    w.u16(0).u16(b.weight).u32(b.watchPort).u32(b.watchGroup).zeros(4);
    writeActions(w, b.actions);
    w.patchU16(start, w.offset - start);
  }
}

export function readBuckets(r: Reader): Bucket[] {
  const out: Bucket[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const len = r.u16('bucket length');
    if (len < 16 || len % 8 !== 0) throw new OfpDecodeError('bad_length', `bucket length ${len}`, at);
    const b = r.sub(len - 2, 'bucket');
    const weight = b.u16();
    const watchPort = b.u32();
    const watchGroup = b.u32();
    b.skip(4);
    out.push({ weight, watchPort, watchGroup, actions: readActions(b) });
  }
  return out;
}

export function writeGroupMod(w: Writer, m: GroupMod): void {
  w.u16(m.command).u8(m.groupType).zeros(1).u32(m.groupId);
  writeBuckets(w, m.buckets);
}

export function readGroupMod(r: Reader, xid: number): GroupMod {
  const command = r.u16() as GroupModCommand;
  const groupType = r.u8() as GroupType;
  r.skip(1);
  return { type: MessageType.GROUP_MOD, xid, command, groupType, groupId: r.u32(), buckets: readBuckets(r) };
}
