import { MessageType, MeterBandType, type MeterModCommand } from '../enums.js';
import { OfpDecodeError } from '../errors.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

/** METER_MOD and meter bands (§7.3.4.4), shared with the METER_CONFIG multipart reply. */

export type MeterBand =
  | { bandType: MeterBandType.DROP; rate: number; burstSize: number }
  | { bandType: MeterBandType.DSCP_REMARK; rate: number; burstSize: number; precLevel: number }
  | { bandType: MeterBandType.EXPERIMENTER; rate: number; burstSize: number; experimenter: number };

export interface MeterMod {
  type: MessageType.METER_MOD;
  xid: number;
  command: MeterModCommand;
  flags: number;
  meterId: number;
  bands: MeterBand[];
}

export function writeBands(w: Writer, bands: readonly MeterBand[]): void {
  for (const b of bands) {
    w.u16(b.bandType).u16(16).u32(b.rate).u32(b.burstSize);
    if (b.bandType === MeterBandType.DSCP_REMARK) w.u8(b.precLevel).zeros(3);
    else if (b.bandType === MeterBandType.EXPERIMENTER) w.u32(b.experimenter);
    else w.zeros(4);
  }
}

export function readBands(r: Reader): MeterBand[] {
  const out: MeterBand[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const bandType = r.u16('band type');
    const len = r.u16('band length');
    if (len < 16 || len % 8 !== 0) throw new OfpDecodeError('bad_length', `meter band length ${len}`, at);
    const b = r.sub(len - 4, 'meter band');
    const rate = b.u32();
    const burstSize = b.u32();
    switch (bandType) {
      case MeterBandType.DROP:
        out.push({ bandType, rate, burstSize });
        break;
      case MeterBandType.DSCP_REMARK:
        out.push({ bandType, rate, burstSize, precLevel: b.u8() });
        break;
      case MeterBandType.EXPERIMENTER:
        out.push({ bandType, rate, burstSize, experimenter: b.u32() });
        break;
      default:
        throw new OfpDecodeError('bad_type', `unknown meter band type ${bandType}`, at);
    }
  }
  return out;
}

export function writeMeterMod(w: Writer, m: MeterMod): void {
  w.u16(m.command).u16(m.flags).u32(m.meterId);
  writeBands(w, m.bands);
}

export function readMeterMod(r: Reader, xid: number): MeterMod {
  const command = r.u16() as MeterModCommand;
  const flags = r.u16();
  return { type: MessageType.METER_MOD, xid, command, flags, meterId: r.u32(), bands: readBands(r) };
}
