/**
 * make bench-downtime: downtime over many migrations (the measurements issue, part 2). On
 * dc-small in Mininet, h11 moves acc1 -> acc3 RUNS times per mode and per trigger
 * (orchestrated make-before-break; transparent, from QEMU's RARPs), home again between runs,
 * while the external client, an HN node (h12), an FN node (h32) and a third subnet (h21) ping
 * it every 10 ms and each streams 1.5 MB over TCP to it. Per correspondent: pings lost, the
 * longest gap between two replies, and the longest silence its TCP stream saw at the VM, as
 * distributions (min, p50, p99, max), and a chart.
 */
import type { MigrationMode } from '../src/migration/binding-store.js';
import { startFabric, stopFabric } from '../lab/fabric.js';
import { migrateWithTraffic } from '../lab/migrate.js';
import { until } from '../lab/wait.js';
import { pct, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

const RUNS = Number(process.env.DOWNTIME_RUNS ?? 20);
const MODES: MigrationMode[] = ['mobile-ip', 'optimized', 'first-hop'];
const TRIGGERS = ['orchestrated', 'transparent'] as const;
const CORRESPONDENTS = ['client', 'h12', 'h32', 'h21'];
const ROLE: Record<string, string> = { client: 'external', h12: 'HN', h32: 'FN', h21: 'third subnet' };
const HOA = '10.0.1.10';

const dist = (xs: number[]): { min: number; p50: number; p99: number; max: number } => ({ min: Math.min(...xs), p50: pct(xs, 50), p99: pct(xs, 99), max: Math.max(...xs) });

interface Sample {
  mode: MigrationMode;
  trigger: (typeof TRIGGERS)[number];
  run: number;
  lost: Record<string, number>;
  /** Longest gap between two ping replies, ms (10 ms when nothing was lost). */
  gap: Record<string, number>;
  /** Longest silence between two arrivals of the correspondent's TCP stream at the VM, ms. */
  streamGap: Record<string, number>;
  /** Every correspondent's stream: every byte, SHA-256 equal, no reset. */
  streamsIntact: boolean;
}
const samples: Sample[] = [];

const f = await startFabric('topologies/dc-small.yaml', { migrations: 'any' });
try {
  for (const mode of MODES) {
    // A transparent migration takes the controller's default mode (--migration-mode): set here for each mode.
    (f.app.migration.options as { mode: MigrationMode }).mode = mode;
    for (const trigger of TRIGGERS) {
      for (let run = 1; run <= RUNS; run++) {
        progress(`${mode} ${trigger}: run ${run} of ${RUNS}`);
        const r = await migrateWithTraffic(f.app, f.dc, { vm: 'h11', hoa: HOA, to: { switch: 'acc3', port: 5 }, trigger, mode, correspondents: CORRESPONDENTS, streamsFrom: CORRESPONDENTS, seconds: 2 });
        const gap: Record<string, number> = {};
        for (const [h, p] of Object.entries(r.pings)) gap[h] = p.replies.slice(1).reduce((g, t, i) => Math.max(g, t - p.replies[i]!), 0);
        const streams = Object.values(r.streams);
        samples.push({
          mode, trigger, run, lost: Object.fromEntries(Object.entries(r.pings).map(([h, p]) => [h, p.lost])), gap,
          streamGap: Object.fromEntries(Object.entries(r.streams).map(([h, st]) => [h, st.longestGapMs])),
          streamsIntact: streams.length === CORRESPONDENTS.length && streams.every((st) => st.intact && st.error === undefined && st.received === st.sent),
        });
        // Home again (orchestrated, not measured).
        const back = await f.app.migration.migrate({ hoa: HOA, switch: 'acc1', port: 3 });
        await f.dc.do({ op: 'move', host: 'h11', switch: 'acc1', port: 3 });
        f.app.migration.complete(back.id);
        await until(() => f.app.migration.migration(back.id)?.timeline.some((s) => s.step === 'old entries removed') === true, 'h11 home', 15_000);
        await f.app.settled();
      }
    }
  }
} finally {
  await stopFabric(f);
}

const rows: Array<Array<string | number>> = [];
const summary: Array<{ mode: string; trigger: string; host: string; lost: ReturnType<typeof dist>; gap: ReturnType<typeof dist>; streamGap: ReturnType<typeof dist> }> = [];
for (const mode of MODES) {
  for (const trigger of TRIGGERS) {
    const mine = samples.filter((s) => s.mode === mode && s.trigger === trigger);
    for (const host of CORRESPONDENTS) {
      const lost = dist(mine.map((s) => s.lost[host]!));
      const gap = dist(mine.map((s) => s.gap[host]!));
      const streamGap = dist(mine.map((s) => s.streamGap[host] ?? NaN));
      summary.push({ mode, trigger, host, lost, gap, streamGap });
      rows.push([mode, trigger, `${host} (${ROLE[host]})`, lost.min, lost.p50, lost.p99, lost.max, gap.min, gap.p50, gap.p99, gap.max, streamGap.min, streamGap.p50, streamGap.p99, streamGap.max]);
    }
    rows.push([mode, trigger, 'every TCP stream intact', `${mine.filter((s) => s.streamsIntact).length} of ${mine.length}`, ...Array<string>(11).fill('')]);
  }
}
printTable(`Downtime: ${RUNS} migrations per mode and trigger (pings every 10 ms: lost pings, the longest gap between replies; a TCP stream from each correspondent: the longest silence at the VM)`, ['mode', 'trigger', 'correspondent', 'lost min', 'p50', 'p99', 'max', 'reply gap min (ms)', 'p50', 'p99', 'max', 'TCP silence min (ms)', 'p50', 'p99', 'max'], rows);
writeJson('bench/results/downtime.json', { runs: RUNS, samples, summary });
writeBarChart('bench/results/downtime.svg', `The external client: longest gap between ping replies and longest TCP silence, p50 of ${RUNS} migrations (ms)`, 'ms',
  summary.filter((s) => s.host === 'client').flatMap((s) => [
    { label: `${s.mode}, ${s.trigger}: ping`, value: s.gap.p50, group: 'ping gap' },
    { label: `${s.mode}, ${s.trigger}: TCP`, value: s.streamGap.p50, group: 'TCP silence' },
  ]));
process.exit(0);
