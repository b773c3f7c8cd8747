/**
 * make fuzz: FUZZ_CASES (default 1,000,000) mutated OpenFlow messages through the decoder,
 * and as many again through a live controller over TCP (make test runs 100,000 of each).
 * Prints a table, writes bench/results/fuzz.json and fuzz.svg, and exits 1 on a crash, an
 * untyped error, an error line, the well-behaved switch lost, or memory that grew.
 */
import { fuzzDecoder, fuzzLive } from '../lab/fuzz.js';
import { printTable, progress, writeBarChart, writeJson } from './lib/report.js';

const CASES = Number(process.env.FUZZ_CASES ?? 1_000_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
/** Heap growth over the live run that counts as a leak (the start is after the controller is up). */
const HEAP_GROWTH_LIMIT_MB = 64;

progress(`decoder: ${CASES.toLocaleString('en-US')} mutated messages, seed ${SEED}`);
const decoder = fuzzDecoder(CASES, SEED, (n) => n > 0 && progress(`decoder: ${n.toLocaleString('en-US')}`));
progress(`live controller over TCP: ${CASES.toLocaleString('en-US')} mutated messages, 1 to 100 a connection`);
const live = await fuzzLive(CASES, SEED + 1, (n) => progress(`live: ${n.toLocaleString('en-US')} sent`));

printTable(`Fuzzing (seed ${SEED})`, ['target', 'cases', 'decoded / answered', 'typed errors / closed', 'crashes', 'untyped / error lines', 'seconds', 'cases/s'], [
  ['decoder', decoder.cases, decoder.decoded, decoder.typedErrors, 0, decoder.untyped.length, decoder.ms / 1000, Math.round(decoder.cases / (decoder.ms / 1000))],
  ['live controller', live.cases, live.survived, live.closedByController, live.crashes.length, live.errorLines.length, live.ms / 1000, Math.round(live.cases / (live.ms / 1000))],
]);
printTable('Live controller: connections, heap (MB, after gc) and the well-behaved switch', ['connections', 'closed with a reason', 'answering', 'waiting for bytes', 'heap start', 'max', 'end', 'well-behaved switch still up'], [
  [live.connections, live.closedByController, live.survived, live.waiting, live.heapMb.start, live.heapMb.max, live.heapMb.end, live.healthyStillUp ? 'yes' : 'NO'],
]);
const reasons = Object.entries(live.logCounts).sort((a, b) => b[1] - a[1]).slice(0, 12);
printTable('Live controller: what it logged (the most frequent lines)', ['level and message', 'count'], reasons.map(([k, n]) => [k, n]));

writeJson('bench/results/fuzz.json', { seed: SEED, cases: CASES, decoder, live });
writeBarChart('bench/results/fuzz.svg', `Fuzzing: ${CASES.toLocaleString('en-US')} cases each (seed ${SEED})`, 'cases', [
  { label: 'decoder: decoded', value: decoder.decoded, group: 'decoder' },
  { label: 'decoder: typed error', value: decoder.typedErrors, group: 'decoder' },
  { label: 'decoder: untyped error', value: decoder.untyped.length, group: 'decoder' },
  { label: 'live: connections answering after their batch', value: live.survived, group: 'live' },
  { label: 'live: connections closed with a reason', value: live.closedByController, group: 'live' },
  { label: 'live: connections waiting for the rest of a message', value: live.waiting, group: 'live' },
  { label: 'live: crashes', value: live.crashes.length, group: 'live' },
]);

const problems = [
  ...decoder.untyped.map((u) => `decoder: ${u}`),
  ...live.crashes.map((c) => `crash: ${c}`),
  ...live.errorLines.map((l) => `error line: ${l}`),
  ...(live.healthyStillUp ? [] : ['the well-behaved switch did not survive']),
  ...(live.heapMb.max - live.heapMb.start > HEAP_GROWTH_LIMIT_MB ? [`the heap grew by ${live.heapMb.max - live.heapMb.start} MB (limit ${HEAP_GROWTH_LIMIT_MB})`] : []),
];
for (const p of problems) process.stderr.write(`fuzz: ${p}\n`);
process.exit(problems.length === 0 ? 0 : 1);
