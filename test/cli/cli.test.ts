import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const CLI = 'dist/src/cli.js';

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const badFile = (): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'svcswitch-cli-')), 'bad.yaml');
  writeFileSync(file, readFileSync('topologies/dc-small.yaml', 'utf8').replace('gateway: 10.0.3.1', 'gateway: 10.0.9.1'));
  return file;
};

test('--help documents every flag of run', async () => {
  const { code, stdout } = await run(['--help']);
  assert.equal(code, 0);
  for (const flag of ['--of-listen', '--topology', '--api-listen', '--log-level', '--log-format', '--echo-interval', '--lldp-interval']) assert.ok(stdout.includes(flag), flag);
});

test('topology check: a valid file is summarised; a bad one names file, line, field and why', async () => {
  const ok = await run(['topology', 'check', 'topologies/dc-small.yaml']);
  assert.equal(ok.code, 0);
  assert.match(ok.stdout, /8 switches, 11 links, 4 subnets, 1 external networks, 9 hosts: valid/);
  const file = badFile();
  const bad = await run(['topology', 'check', file]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+: subnets\\[2\\]\\.gateway: 10\\.0\\.9\\.1 is outside its prefix 10\\.0\\.3\\.0/24`));
});

test('run refuses a bad topology before listening, and bad flags with usage', async () => {
  const bad = await run(['run', '--topology', badFile(), '--of-listen', '127.0.0.1:0']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /invalid topology/);
  const flag = await run(['run', '--of-listen', 'nowhere']);
  assert.equal(flag.code, 2);
  assert.match(flag.stderr, /--of-listen: "nowhere" is not HOST:PORT/);
  const unknown = await run(['run', '--frobnicate']);
  assert.equal(unknown.code, 2);
});

test('topology generate and svg', async () => {
  const gen = await run(['topology', 'generate', 'three-tier', '--cores', '2', '--aggregations', '2', '--access-per-aggregation', '2', '--hosts-per-access', '2']);
  assert.equal(gen.code, 0);
  assert.match(gen.stdout, /^name: three-tier-c2-a2-x2-h2$/m);
  const bad = await run(['topology', 'generate', 'fat-tree', '--k', '3']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /even/);
  const svg = await run(['topology', 'svg', 'topologies/dc-small.yaml']);
  assert.match(svg.stdout, /^<svg[\s\S]*dc-small: 8 switches[\s\S]*<\/svg>\n$/);
});
