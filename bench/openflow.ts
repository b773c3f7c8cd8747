import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  FlowModCommand, MessageType, PacketInReason, TableId, act, decodeMessage, encodeMessage, flowMod, inst,
  type FlowMod, type OfpMessage,
} from '../src/openflow/index.js';
import { startController } from '../lab/controller.js';
import { addBridge, bridgeName, delBridge, ofctl, requireOvs, sh } from '../lab/ovs.js';
import { next } from '../lab/wait.js';
import { median, printTable, progress, writeBarChart, writeJson } from './lib/report.js';

/**
 * make bench-openflow: codec rates, and 10,000 flows installed in a real OVS bridge and
 * confirmed by barrier, side by side with `ovs-ofctl add-flows` of the same flows.
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const FLOWS = Number(process.env.BENCH_FLOWS ?? 10_000);
const OUT = 'bench/results';

// ---- codec ------------------------------------------------------------------------------

const sampleFlowMod = flowMod({
  cookie: 0x1234n, priority: 100,
  match: { in_port: 3, eth_type: 0x0800, ipv4_dst: '10.0.2.7' },
  instructions: [inst.apply([act.setField('eth_src', '02:00:00:00:02:01'), act.setField('eth_dst', '02:00:00:00:02:07'), act.decNwTtl(), act.output(4)])],
});
const arpRequest = Buffer.from('ffffffffffff0200000001010806000108000604000102000000010a0a0001010000000000000a000201', 'hex');
const samplePacketIn: OfpMessage = {
  type: MessageType.PACKET_IN, xid: 0, bufferId: 0xffffffff, totalLen: arpRequest.length, reason: PacketInReason.NO_MATCH,
  tableId: 0, cookie: 0n, match: { in_port: 1 }, data: arpRequest,
};

/** Operations per second of `op`, as the median of ROUNDS runs of ~300 ms each. */
function rate(op: () => void): number {
  for (let i = 0; i < 20_000; i++) op(); // warm-up for the JIT
  const rates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = performance.now();
    let elapsed = 0;
    while (elapsed < 300) {
      for (let i = 0; i < 1000; i++) op();
      n += 1000;
      elapsed = performance.now() - start;
    }
    rates.push((n / elapsed) * 1000);
  }
  return median(rates);
}

function codecRates(): Array<{ op: string; messagesPerSecond: number; bytes: number }> {
  progress('codec rates');
  const fmBytes = encodeMessage(sampleFlowMod);
  const piBytes = encodeMessage(samplePacketIn);
  return [
    { op: 'encode FLOW_MOD', messagesPerSecond: rate(() => encodeMessage(sampleFlowMod)), bytes: fmBytes.length },
    { op: 'decode FLOW_MOD', messagesPerSecond: rate(() => decodeMessage(fmBytes)), bytes: fmBytes.length },
    { op: 'encode PACKET_IN', messagesPerSecond: rate(() => encodeMessage(samplePacketIn)), bytes: piBytes.length },
    { op: 'decode PACKET_IN', messagesPerSecond: rate(() => decodeMessage(piBytes)), bytes: piBytes.length },
  ];
}

// ---- flow installation ------------------------------------------------------------------

function flowSet(n: number): { mods: FlowMod[]; text: string } {
  const mods: FlowMod[] = [];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    const out = 1 + (i % 4);
    mods.push(flowMod({ priority: 100, match: { eth_type: 0x0800, ipv4_dst: ip }, instructions: [inst.apply([act.decNwTtl(), act.output(out)])] }));
    lines.push(`priority=100,ip,nw_dst=${ip},actions=dec_ttl,output:${out}`);
  }
  return { mods, text: lines.join('\n') + '\n' };
}

async function flowInstall(): Promise<{ rounds: Array<{ svcswitchMs: number; ovsOfctlMs: number }>; svcswitchMs: number; ovsOfctlMs: number; ratio: number }> {
  await requireOvs();
  const { server, port } = await startController();
  const br = bridgeName();
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-bench-'));
  try {
    const up = next(server.switchUp$, 'switch up');
    await addBridge(br, { dpid: 0xbe01n, controllerPort: port });
    const { connection } = await up;
    const { mods, text } = flowSet(FLOWS);
    const file = join(dir, 'flows.txt');
    writeFileSync(file, text);
    const clear = async (): Promise<void> => {
      await connection.batch([flowMod({ command: FlowModCommand.DELETE, tableId: TableId.ALL, match: {} })]);
    };
    const count = async (): Promise<number> => Number(/flow_count=(\d+)/.exec(await ofctl('dump-aggregate', br))?.[1] ?? -1);
    const rounds: Array<{ svcswitchMs: number; ovsOfctlMs: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate who goes first, so neither always inherits the other's freshly emptied table.
      const ofctlFirst = r % 2 === 1;
      progress(`flow install round ${r + 1}/${ROUNDS}: ${FLOWS} flows, ${ofctlFirst ? 'ovs-ofctl then svcswitch' : 'svcswitch then ovs-ofctl'}`);
      const timeSvcswitch = async (): Promise<number> => {
        await clear();
        const t = performance.now();
        await connection.batch(mods);
        const ms = performance.now() - t;
        if ((await count()) !== FLOWS) throw new Error('svcswitch did not install every flow');
        return ms;
      };
      const timeOvsOfctl = async (): Promise<number> => {
        await clear();
        const t = performance.now();
        await sh('ovs-ofctl', ['-O', 'OpenFlow13', 'add-flows', br, file]);
        const ms = performance.now() - t;
        if ((await count()) !== FLOWS) throw new Error('ovs-ofctl did not install every flow');
        return ms;
      };
      let svcswitchMs: number;
      let ovsOfctlMs: number;
      if (ofctlFirst) {
        ovsOfctlMs = await timeOvsOfctl();
        svcswitchMs = await timeSvcswitch();
      } else {
        svcswitchMs = await timeSvcswitch();
        ovsOfctlMs = await timeOvsOfctl();
      }
      rounds.push({ svcswitchMs, ovsOfctlMs });
    }
    const svcswitchMs = median(rounds.map((x) => x.svcswitchMs));
    const ovsOfctlMs = median(rounds.map((x) => x.ovsOfctlMs));
    return { rounds, svcswitchMs, ovsOfctlMs, ratio: svcswitchMs / ovsOfctlMs };
  } finally {
    await server.close();
    await delBridge(br);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const codec = codecRates();
  printTable('OpenFlow 1.3 codec (median of rounds, one core)', ['operation', 'messages/s', 'bytes'], codec.map((c) => [c.op, Math.round(c.messagesPerSecond), c.bytes]));
  const install = await flowInstall();
  printTable(
    `${FLOWS.toLocaleString('en-US')} flows into a real OVS bridge, confirmed by barrier (median of ${ROUNDS} rounds)`,
    ['installer', 'ms', 'flows/s', 'x ovs-ofctl'],
    [
      ['svcswitch (batch + barrier)', install.svcswitchMs, Math.round((FLOWS / install.svcswitchMs) * 1000), install.ratio],
      ['ovs-ofctl add-flows (reference)', install.ovsOfctlMs, Math.round((FLOWS / install.ovsOfctlMs) * 1000), 1],
    ],
  );
  process.stdout.write(`\nGoal: at most 1.5x the time of ovs-ofctl. Measured: ${install.ratio.toFixed(2)}x.\n`);
  const results = { date: new Date().toISOString(), node: process.version, ovs: (await sh('ovs-vsctl', ['--version'])).split('\n')[0], rounds: ROUNDS, flows: FLOWS, codec, install };
  writeJson(`${OUT}/openflow.json`, results);
  writeBarChart(`${OUT}/openflow-install.svg`, `${FLOWS} flows installed and confirmed in OVS (median ms, lower is better)`, 'ms', [
    { label: 'svcswitch batch + barrier', value: install.svcswitchMs, group: 'svcswitch' },
    { label: 'ovs-ofctl add-flows', value: install.ovsOfctlMs, group: 'reference' },
  ]);
  writeBarChart(`${OUT}/openflow-codec.svg`, 'OpenFlow codec rate (messages/s, higher is better)', 'msg/s', codec.map((c) => ({ label: c.op, value: c.messagesPerSecond, group: 'svcswitch' })));
  process.stdout.write(`\nWrote ${OUT}/openflow.json, ${OUT}/openflow-install.svg, ${OUT}/openflow-codec.svg\n\n`);
}

main().catch((e: Error) => {
  process.stderr.write(`bench failed: ${e.stack}\n`);
  process.exit(1);
});
