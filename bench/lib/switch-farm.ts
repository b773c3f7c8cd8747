/**
 * Many emulated OpenFlow 1.3 switches in a process of their own, so that a benchmark can
 * measure the controller's process alone: each one a scripted switch with a real flow and
 * group table (it accepts FLOW_MOD and GROUP_MOD, answers BARRIER, and answers flow and
 * group stats with what it holds, 1,000 entries a part).
 *
 *   node dist/bench/lib/switch-farm.js SPEC.json
 *
 * SPEC: {"port": P, "switches": [{"dpid": "hex", "ports": [1, 2, ...]}]}. Prints
 * {"ready": N} once every switch has connected; each line "count" on stdin is answered
 * with {"flows": F, "groups": G, "mods": M}; stdin closed ends it.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { port as switchPort, ScriptedSwitch } from '../../lab/scripted-switch.js';
import { ScriptedTables } from '../../lab/scripted-tables.js';

interface Spec {
  port: number;
  switches: Array<{ dpid: string; ports: number[] }>;
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Spec;
const tables: ScriptedTables[] = [];
const switches: ScriptedSwitch[] = [];
for (const s of spec.switches) {
  const t = new ScriptedTables(1000, false);
  tables.push(t);
  switches.push(await ScriptedSwitch.connect(spec.port, BigInt(`0x${s.dpid}`), [4], (sw) => {
    sw.ports = s.ports.map((p) => switchPort(p, `s${s.dpid.slice(-6)}-eth${p}`));
    sw.keepReceived = false;
    t.install(sw);
  }));
}
process.stdout.write(`${JSON.stringify({ ready: switches.length })}\n`);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() !== 'count') return;
  const count = { flows: 0, groups: 0, mods: 0 };
  for (const t of tables) {
    count.flows += t.flows.size;
    count.groups += t.groups.size;
    count.mods += t.mods;
  }
  process.stdout.write(`${JSON.stringify(count)}\n`);
});
lines.on('close', () => {
  for (const sw of switches) sw.destroy();
  process.exit(0);
});
