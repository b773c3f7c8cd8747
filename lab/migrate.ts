import type { Svcswitch } from '../src/app/svcswitch.js';
import type { MigrationMode, MigrationRecord } from '../src/migration/binding-store.js';
import type { MininetDc } from './mininet.js';
import { ofctl } from './ovs.js';
import { startTraffic, streamSpecs, type PingResult, type StreamResult } from './traffic.js';
import { until } from './wait.js';

/** QEMU/KVM's announcement of a resumed VM: 5 RARPs about 0, 50, 200, 450 and 800 ms after it runs again. */
const QEMU_RARP_MS = [0, 50, 200, 450, 800];

export interface MigrationStep {
  vm: string;
  hoa: string;
  to: { switch: string; port: number };
  /** orchestrated: POST first, then the move; transparent: the move and QEMU's RARPs only. */
  trigger: 'orchestrated' | 'transparent';
  mode?: MigrationMode;
  correspondents: readonly string[];
  /** A checked TCP stream from each of these hosts to the VM during the step. */
  streamsFrom?: readonly string[];
  seconds?: number;
  /** QEMU's RARPs after the move (default true); without them, the VM's own traffic is all the controller sees. */
  announce?: boolean;
  /** What announces the VM: QEMU's RARPs (default), or a dual-stack guest's unsolicited neighbour advertisement, sent at the same times. */
  announceWith?: 'rarp' | 'na';
  /** A dual-stack VM's IPv6 address: every correspondent pings it too. */
  hoa6?: string;
  /** A checked TCP stream from each of these hosts to the VM's IPv6 address. */
  streams6From?: readonly string[];
}

export interface StepResult {
  migration: MigrationRecord;
  pings: Record<string, PingResult>;
  /** By the host the stream came from. */
  streams: Record<string, StreamResult>;
  /** When the VM's link moved (ms since the epoch), for timelines. */
  movedAt: number;
}

let port = 5100;

/**
 * One migration in Mininet with traffic: pings every 10 ms from each correspondent (and a
 * TCP stream) start, the migration is requested (orchestrated), the VM's link moves in one
 * ovsdb transaction and the VM sends QEMU's RARPs; resolves when the migration completed
 * and the traffic ended.
 */
export async function migrateWithTraffic(app: Svcswitch, dc: MininetDc, step: MigrationStep): Promise<StepResult> {
  const seconds = step.seconds ?? 3;
  const traffic = await startTraffic(dc, step.hoa, step.vm, step.correspondents, seconds, streamSpecs(step.streamsFrom, step.streams6From, () => port++), step.hoa6);
  await new Promise((r) => setTimeout(r, 800));
  const before = new Set(app.migration.migrations().map((m) => m.id));
  if (step.trigger === 'orchestrated') {
    const m = await app.migration.migrate({ hoa: step.hoa, switch: step.to.switch, port: step.to.port, ...(step.mode ? { mode: step.mode } : {}) });
    if (m.status !== 'prepared') throw new Error(`migration ${m.id} is ${m.status}`);
  }
  await dc.do({ op: 'move', host: step.vm, switch: step.to.switch, port: step.to.port });
  const movedAt = Date.now();
  const started = Date.now();
  for (const at of step.announce === false ? [] : QEMU_RARP_MS) {
    await new Promise((r) => setTimeout(r, Math.max(0, started + at - Date.now())));
    if (step.announceWith === 'na') await dc.do({ op: 'announce', host: step.vm, kind: 'na', ip: step.hoa6 });
    else await dc.do({ op: 'announce', host: step.vm, kind: 'rarp' });
  }
  let done: MigrationRecord | undefined;
  const completed = (): boolean => {
    done = app.migration.migrations().find((m) => !before.has(m.id));
    return done?.status === 'completed' && done.timeline.some((t) => t.step === 'old entries removed');
  };
  await until(completed, `the migration of ${step.vm} to ${step.to.switch}:${step.to.port} to complete`, 15_000);
  const { pings, streams } = await traffic.results();
  return { migration: done!, pings, streams, movedAt };
}

/** A switch's flows without counters, sorted: two dumps are equal when the tables are. */
export async function flowDump(sw: string): Promise<string[]> {
  const out = await ofctl('dump-flows', '--no-stats', sw);
  return out.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('OFPST_FLOW') && !l.startsWith('OFPST')).sort();
}
