import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { migrationRig } from '../../lab/migration-rig.js';
import { until } from '../../lab/wait.js';

const CLI = 'dist/src/cli.js';

function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('node', [CLI, ...args], { timeout: 20_000, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const badFile = (): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'svcswitch-cli-')), 'bad.yaml');
  writeFileSync(file, readFileSync('topologies/dc-small.yaml', 'utf8').replace('gateway: 10.0.3.1', 'gateway: 10.0.9.1'));
  return file;
};

test('--help lists every command; run --help documents every flag of run', async () => {
  const top = await run(['--help']);
  assert.equal(top.code, 0);
  for (const command of ['run', 'topology', 'trace', 'migrate', 'migrations', 'bindings', 'events', 'hook']) assert.match(top.stdout, new RegExp(`^  ${command}\\b`, 'm'), command);
  const { code, stdout } = await run(['run', '--help']);
  assert.equal(code, 0);
  for (const flag of ['--of-listen', '--topology', '--api-listen', '--log-level', '--log-format', '--echo-interval', '--lldp-interval', '--accept-undeclared-switches', '--migration-mode', '--migration-timeout', '--migrations', '--state-dir', '--of-tls-key', '--of-tls-cert', '--of-tls-ca', '--of-tls-bind-dpid', '--api-token-file', '--audit-interval', '--hold-down']) {
    assert.ok(stdout.includes(flag), flag);
  }
  const alone = await run([]);
  assert.equal(alone.code, 2, 'no command: the help, as a usage error');
  assert.match(alone.stderr, /^Usage: svcswitch /);
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
  const schema = await run(['topology', 'schema']);
  assert.equal(schema.stdout, readFileSync('topologies/topology.schema.json', 'utf8'), 'the schema editors read is the one the command prints');
  const svg = await run(['topology', 'svg', 'topologies/dc-small.yaml']);
  assert.match(svg.stdout, /^<svg[\s\S]*dc-small: 8 switches[\s\S]*<\/svg>\n$/);
});

test('trace --topology: offline, the hop list and --json; exit codes say delivered or not', async () => {
  const json = await run(['trace', '--topology', 'topologies/dc-small.yaml', '--from', 'h11', '--to', '10.0.3.10', '--proto', 'tcp', '--dport', '80', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const r = JSON.parse(json.stdout) as { hops: Array<{ switch: string; inPort: number; outPort: number; packet: { ttl: number; eth_dst: string } }>; result: string; at: { switch: string; port: number } };
  assert.equal(r.result, 'delivered');
  assert.deepEqual(r.at, { switch: 'acc3', port: 3 });
  assert.deepEqual(r.hops.map((h) => h.switch), ['acc1', 'agg1', 'acc3']);
  assert.deepEqual(r.hops.map((h) => h.packet.ttl), [63, 62, 61]);
  assert.equal(r.hops[2]!.packet.eth_dst, '02:00:0a:00:03:0a');
  const text = await run(['trace', '--topology', 'topologies/dc-small.yaml', '--from', '10.0.1.10', '--to', '10.0.3.10']);
  assert.equal(text.code, 0);
  assert.match(text.stdout, /^icmp 10\.0\.1\.10 -> 10\.0\.3\.10\n {2}acc1 .*\(ECMP: 1, 2\)\n/);
  assert.match(text.stdout, /delivered at acc3:3\n$/);
  const unknown = await run(['trace', '--topology', 'topologies/dc-small.yaml', '--from', 'h99', '--to', '10.0.3.10']);
  assert.deepEqual([unknown.code, unknown.stderr], [2, 'svcswitch trace: no host named or addressed "h99"\n']);
  const nowhere = await run(['trace', '--topology', 'topologies/dc-small.yaml', '--from', 'h11', '--to', '10.9.9.9']);
  assert.equal(nowhere.code, 1, 'an address no route leads to is not delivered');
  assert.equal((await run(['trace', '--from', 'h11', '--to', '10.0.3.10'])).code, 2, 'neither --api nor --topology');
});

test('trace --topology in IPv6: a dual-stack host\'s ping across the fabric, and its neighbour solicitation for the gateway answered in the switch', async () => {
  const text = await run(['trace', '--topology', 'topologies/dc-small.yaml', '--from', 'h11', '--to', '2001:db8:0:3::10']);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^icmp h11 -> 2001:db8:0:3::10\n {2}acc1 .* 2001:db8:0:1::10 > 2001:db8:0:3::10 {2}hlim 63 {2}\(ECMP: 1, 2\)\n/);
  assert.match(text.stdout, /delivered at acc3:3\n$/);
  const nd = await run(['trace', '--topology', 'topologies/dc-small.yaml', '--from', 'h11', '--to', 'fe80::53:56ff:fe00:1', '--proto', 'nd']);
  assert.equal(nd.code, 0, nd.stderr);
  assert.match(nd.stdout, /acc1 +in {2}3 {2}out {2}3 {2}02:53:56:00:00:01 > 02:00:0a:00:01:0a {2}fe80::53:56ff:fe00:1 > 2001:db8:0:1::10 {2}neighbor advertisement fe80::53:56ff:fe00:1 is-at 02:53:56:00:00:01\n/);
});

test('migrate: usage errors exit 2 with a message; an unreachable controller exits 1', async () => {
  const noTo = await run(['migrate', '10.0.1.10']);
  assert.deepEqual([noTo.code, noTo.stderr.split('\n')[0]], [2, 'svcswitch migrate: --to: "" is not SWITCH:PORT (for example acc3:5)']);
  const badMode = await run(['migrate', '10.0.1.10', '--to', 'acc3:5', '--mode', 'teleport']);
  assert.deepEqual([badMode.code, badMode.stderr.split('\n')[0]], [2, 'svcswitch migrate: --mode: "teleport" is not mobile-ip, optimized, first-hop']);
  const down = await run(['migrate', '10.0.1.10', '--to', 'acc3:5', '--api', 'http://127.0.0.1:9']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /^svcswitch migrate: /);
  const badFlag = await run(['run', '--migrations', 'sometimes']);
  assert.deepEqual([badFlag.code, badFlag.stderr.split('\n')[0]], [2, 'svcswitch run: --migrations: "sometimes" is neither any nor orchestrated-only']);
  const noToken = await run(['run', '--api-token-file', '/nonexistent/token']);
  assert.deepEqual([noToken.code, noToken.stderr.split('\n')[0]], [2, "svcswitch run: --api-token-file: ENOENT: no such file or directory, open '/nonexistent/token'"]);
  const badAudit = await run(['run', '--audit-interval', '5']);
  assert.deepEqual([badAudit.code, badAudit.stderr.split('\n')[0]], [2, 'svcswitch run: --audit-interval: "5" is not 0 or a whole number of milliseconds >= 100']);
  const halfTls = await run(['run', '--of-tls-key', 'key.pem']);
  assert.deepEqual([halfTls.code, halfTls.stderr.split('\n')[0]], [2, 'svcswitch run: --of-tls-key, --of-tls-cert and --of-tls-ca go together']);
  // Files a flag names are read with a limit: /dev/zero and a FIFO are refused at once, in bounded memory.
  const zeroToken = await run(['run', '--api-token-file', '/dev/zero']);
  assert.deepEqual([zeroToken.code, zeroToken.stderr.split('\n')[0]], [2, 'svcswitch run: --api-token-file: /dev/zero is not a regular file (a character device)']);
  const zeroKey = await run(['run', '--of-tls-key', '/dev/zero', '--of-tls-cert', '/dev/zero', '--of-tls-ca', '/dev/zero']);
  assert.deepEqual([zeroKey.code, zeroKey.stderr.split('\n')[0]], [2, 'svcswitch run: --of-tls-key: /dev/zero is not a regular file (a character device)']);
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-cli-'));
  const fifo = join(dir, 'token.fifo');
  execFileSync('mkfifo', [fifo]);
  const fifoToken = await run(['run', '--api-token-file', fifo]);
  assert.deepEqual([fifoToken.code, fifoToken.stderr.split('\n')[0]], [2, `svcswitch run: --api-token-file: ${fifo} is not a regular file (a FIFO)`]);
  const big = join(dir, 'big.token');
  writeFileSync(big, 'x'.repeat(100_000));
  const bigToken = await run(['migrate', '10.0.1.10', '--to', 'acc3:5', '--token-file', big]);
  assert.deepEqual([bigToken.code, bigToken.stderr.split('\n')[0]], [1, `svcswitch migrate: ${big} is 100000 bytes, more than the 65536 allowed`]);
  const emptyState = await run(['run', '--state-dir', '']);
  assert.deepEqual([emptyState.code, emptyState.stderr.split('\n')[0]], [2, 'svcswitch run: --state-dir: empty (give a directory, or "none" to keep state in memory only)']);
  const badCluster = await run(['run', '--cluster', 'http://127.0.0.1:2379']);
  assert.deepEqual([badCluster.code, badCluster.stderr.split('\n')[0]], [2, 'svcswitch run: --cluster: "http://127.0.0.1:2379" is not etcd://HOST:PORT[,HOST:PORT...]']);
  const badEndpoint = await run(['run', '--cluster', 'etcd://127.0.0.1:2379,nowhere']);
  assert.deepEqual([badEndpoint.code, badEndpoint.stderr.split('\n')[0]], [2, 'svcswitch run: --cluster: "nowhere" is not HOST:PORT (for example 127.0.0.1:6653)']);
  const badMember = await run(['run', '--cluster', 'etcd://127.0.0.1:2379', '--member-id', 'a/b']);
  assert.deepEqual([badMember.code, badMember.stderr.split('\n')[0]], [2, 'svcswitch run: --member-id: "a/b" is not a name of letters, digits, \'.\', \'_\' and \'-\' (64 at most)']);
  const lonelyMember = await run(['run', '--member-id', 'm1']);
  assert.deepEqual([lonelyMember.code, lonelyMember.stderr.split('\n')[0]], [2, 'svcswitch run: --member-id: only with --cluster']);
  // etcd that is not there: the start fails, naming why, within the call deadline.
  const noEtcd = await run(['run', '--cluster', 'etcd://127.0.0.1:9', '--of-listen', '127.0.0.1:0', '--state-dir', 'none']);
  assert.equal(noEtcd.code, 1);
  assert.match(noEtcd.stderr, /^svcswitch: cannot start: /);
});

test('--version, and -h or --help for every command, wherever it is on the line; an unknown flag is refused with where to look', async () => {
  const version = await run(['--version']);
  assert.deepEqual([version.code, version.stdout], [0, `svcswitch ${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}\n`]);
  for (const command of ['run', 'topology', 'trace', 'migrate', 'migrations', 'bindings', 'events', 'hook']) {
    for (const flag of ['-h', '--help']) {
      const help = await run([command, 'list', flag]);
      assert.equal(help.code, 0, `${command} ${flag}`);
      assert.match(help.stdout, new RegExp(`^Usage: svcswitch ${command}`), `${command} ${flag}`);
    }
  }
  const unknown = await run(['migrations', 'list', '--colour']);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr, "svcswitch migrations: unknown option '--colour'\nTry 'svcswitch migrations --help'.\n");
  const unknownCommand = await run(['migratoins', 'list']);
  assert.deepEqual([unknownCommand.code, unknownCommand.stderr.split('\n')[0]], [2, "svcswitch: unknown command 'migratoins'"]);
  const missing = await run(['migrations', 'show']);
  assert.deepEqual([missing.code, missing.stderr], [2, "svcswitch migrations: missing required argument 'id'\nTry 'svcswitch migrations --help'.\n"]);
});

test('topology check FILE...: every file checked (exit 1 if any is invalid), --json for scripts', async () => {
  const bad = badFile();
  const both = await run(['topology', 'check', 'topologies/dc-small.yaml', bad, 'topologies/fat-tree-k4.yaml']);
  assert.equal(both.code, 1);
  assert.match(both.stdout, /^topologies\/dc-small\.yaml: dc-small: .*: valid\ntopologies\/fat-tree-k4\.yaml: fat-tree-k4: .*: valid\n$/);
  assert.match(both.stderr, /subnets\[2\]\.gateway: 10\.0\.9\.1 is outside its prefix/);
  const json = await run(['topology', 'check', '--json', 'topologies/dc-small.yaml', bad]);
  const results = JSON.parse(json.stdout) as Array<{ file: string; valid: boolean; problems?: Array<{ field: string; line: number }> }>;
  assert.deepEqual(results.map((r) => [r.file, r.valid]), [['topologies/dc-small.yaml', true], [bad, false]]);
  assert.equal(results[1]!.problems![0]!.field, 'subnets[2].gateway');
});

test('against a running controller: migrate by name, migrations list, show, watch and cancel, bindings list, show by name and delete; SVCSWITCH_API in place of --api; errors name the URL', async () => {
  const r = await migrationRig(60_000);
  const api = `http://127.0.0.1:${r.apiPort}`;
  try {
    const prepared = await run(['migrate', 'h11', '--to', 'acc3:5', '--mode', 'optimized', '--api', api]);
    assert.equal(prepared.code, 0, prepared.stderr);
    const id = String((JSON.parse(prepared.stdout) as { id: string }).id);
    const list = await run(['migrations', 'list'], { SVCSWITCH_API: api });
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`^${id}\\s+10\\.0\\.1\\.10\\s+optimized\\s+orchestrated\\s+acc1:\\d+ -> acc3:5 \\(10\\.0\\.3\\.\\d+\\)\\s+prepared`));
    // watch prints the timeline as it happens and ends with the outcome (exit 0 once completed).
    const watching = run(['migrations', 'watch', id, '--api', api]);
    await new Promise((res) => setTimeout(res, 300));
    r.app.migration.complete(id);
    const watched = await watching;
    assert.equal(watched.code, 0, watched.stderr);
    assert.match(watched.stdout, /\+\s+\d+ ms\s+requested\n/);
    assert.match(watched.stdout, /completed\n$/);
    await until(() => r.app.migration.bindings.get('10.0.1.10')?.state === 'active', 'bound');
    const bindings = await run(['bindings', 'list', '--api', api]);
    assert.match(bindings.stdout, /^10\.0\.1\.10\s+-> 10\.0\.3\.\d+\s+at acc3:5\s+optimized\s+active\n$/);
    const shown = await run(['bindings', 'show', 'h11', '--json', '--api', api]);
    assert.equal((JSON.parse(shown.stdout) as { hoa: string }).hoa, '10.0.1.10', 'a name where an address goes');
    const show = await run(['migrations', 'show', id, '--json', '--api', api]);
    assert.equal((JSON.parse(show.stdout) as { status: string }).status, 'completed');
    const cancelDone = await run(['migrations', 'cancel', id, '--api', api]);
    assert.equal(cancelDone.code, 1);
    assert.match(cancelDone.stderr, new RegExp(`^svcswitch migrations: DELETE ${api.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}/api/migrations/${id}: 409 `));
    const deleted = await run(['bindings', 'delete', '10.0.1.10', '--api', api]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(r.app.migration.bindings.get('10.0.1.10'), undefined);
    const noSuch = await run(['migrate', 'h99', '--to', 'acc3:5', '--api', api]);
    assert.deepEqual([noSuch.code, noSuch.stderr], [1, 'svcswitch migrate: no host named "h99" with an address on the controller (give its address, or a name from GET /api/hosts)\n']);
  } finally {
    await r.close();
  }
});

test('events: follows the controller\'s events, one line each (or --json), filtered by --kinds, until --count; usage errors exit 2; an unreachable controller exits 1 naming the URL', async () => {
  const r = await migrationRig(60_000);
  const api = `http://127.0.0.1:${r.apiPort}`;
  try {
    const following = run(['events', '--kinds', 'migration,binding-set', '--count', '3', '--api', api]);
    const json = run(['events', '--kinds', 'binding-set', '--count', '1', '--json'], { SVCSWITCH_API: api });
    await until(() => r.app.api?.frontCounts?.eventStreams === 2, 'both streams open');
    const m = await r.app.migration.migrate({ hoa: '10.0.1.10', switch: 'acc3', port: 5 });
    r.app.migration.complete(m.id);
    const followed = await following;
    assert.equal(followed.code, 0, followed.stderr);
    const lines = followed.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3, followed.stdout);
    const migrationLine = new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} migration\\s+#${m.id} 10\\.0\\.1\\.10 acc1:\\d+ -> acc3:5 preparing: requested$`);
    assert.ok(lines.some((l) => migrationLine.test(l)), followed.stdout);
    assert.ok(lines.some((l) => /binding-set\s+10\.0\.1\.10 -> 10\.0\.3\.\d+ at acc3:5 \(\S+, prepared\)$/.test(l)), followed.stdout);
    const one = await json;
    assert.equal(one.code, 0, one.stderr);
    assert.equal((JSON.parse(one.stdout) as { kind: string; binding: { hoa: string } }).binding.hoa, '10.0.1.10');
    const bad = await run(['events', '--count', 'many', '--api', api]);
    assert.deepEqual([bad.code, bad.stderr.split('\n')[0]], [2, 'svcswitch events: --count many: give a whole number of events, 1 or more']);
  } finally {
    await r.close();
  }
  // The controller's port, now that it is closed.
  const away = await run(['events', '--api', api]);
  assert.equal(away.code, 1);
  assert.match(away.stderr, new RegExp(`^svcswitch events: GET ${api.replace(/[./]/g, '\\$&')}/api/events: .*ECONNREFUSED`));
});

test('events: a stream that sends 2 MiB without ending an event is given up with the reason (exit 1), in bounded memory', async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write(': hello\n\n');
    const chunk = 'x'.repeat(64 * 1024);
    let sent = 0;
    const pump = (): void => {
      while (sent < 2 * 1024 * 1024 && res.write(chunk)) sent += chunk.length;
      if (sent < 2 * 1024 * 1024) res.once('drain', pump);
    };
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const r = await run(['events', '--api', url]);
    assert.deepEqual([r.code, r.stderr], [1, `svcswitch events: GET ${url}/api/events: an event longer than 1048576 bytes\n`]);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});
