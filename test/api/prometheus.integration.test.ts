import assert from 'node:assert/strict';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../../lab/controller-process.js';
import { migrationRig } from '../../lab/migration-rig.js';
import { until } from '../../lab/wait.js';

/**
 * Debian's Prometheus scrapes svcswitch's /metrics (on loopback, every second), and its own
 * query API gives back what the controller counts; `promtool check metrics` finds nothing
 * to say of svcswitch's metrics. `make setup` installs Prometheus; without it this test
 * fails, it does not skip.
 */

const has = (cmd: string): boolean => {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};

test('Prometheus scrapes /metrics: the target is up, the switches connected and the migration completed read back through PromQL; promtool has nothing to say of svcswitch_ metrics', async () => {
  assert.ok(has('prometheus') && has('promtool'), 'Prometheus is not installed: `make setup` installs Debian\'s prometheus package');
  const r = await migrationRig(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'svcswitch-prometheus-'));
  let prometheus: ChildProcess | undefined;
  try {
    await r.app.settled();
    const m = await r.app.migration.migrate({ hoa: '10.0.1.10', switch: 'acc3', port: 5, mode: 'optimized' });
    r.app.migration.complete(m.id);
    await until(() => r.app.migration.bindings.get('10.0.1.10')?.state === 'active', 'bound at acc3');

    const text = await (await fetch(`http://127.0.0.1:${r.apiPort}/metrics`)).text();
    const lint = (() => {
      try {
        return execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
      } catch (e) {
        return `${(e as { stdout?: string }).stdout ?? ''}${(e as { stderr?: string }).stderr ?? ''}`;
      }
    })();
    assert.deepEqual(lint.split('\n').filter((l) => l.startsWith('svcswitch')), [], `promtool on svcswitch's own metrics:\n${lint}`);

    assert.match(execFileSync('promtool', ['check', 'config', 'deploy/prometheus.yml'], { encoding: 'utf8' }), /SUCCESS/, 'the config in deploy/ is one Prometheus takes');
    const web = await freePort();
    writeFileSync(join(dir, 'prometheus.yml'), [
      'global: { scrape_interval: 1s, scrape_timeout: 900ms }',
      'scrape_configs:',
      '  - job_name: svcswitch',
      `    static_configs: [{ targets: ["127.0.0.1:${r.apiPort}"] }]`,
      '',
    ].join('\n'));
    prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${web}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    prometheus.stderr!.on('data', (c: Buffer) => (log = (log + String(c)).slice(-4000)));
    const query = async (q: string): Promise<string | undefined> => {
      const res = await fetch(`http://127.0.0.1:${web}/api/v1/query?query=${encodeURIComponent(q)}`).catch(() => undefined);
      if (!res?.ok) return undefined;
      const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
      return body.data.result[0]?.value[1];
    };
    await until(async () => (await query('up{job="svcswitch"}')) === '1', 'Prometheus to scrape svcswitch', 30_000).catch((e: Error) => {
      throw new Error(`${e.message}\nprometheus said:\n${log}`);
    });
    assert.equal(await query('svcswitch_switches_connected'), '3');
    assert.equal(await query('svcswitch_migrations_total{mode="optimized",outcome="completed"}'), '1');
    assert.equal(await query('svcswitch_coa_pool_held{subnet="net3"}'), '1');
    assert.ok(Number(await query('count({__name__=~"svcswitch_.+"})')) >= 30, 'the svcswitch series are all there');
  } finally {
    prometheus?.kill('SIGTERM');
    if (prometheus && prometheus.exitCode === null) await new Promise((res) => prometheus!.once('exit', res));
    rmSync(dir, { recursive: true, force: true });
    await r.close();
  }
});
