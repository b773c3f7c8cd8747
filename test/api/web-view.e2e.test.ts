import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { type Fabric, startFabric, stopFabric } from '../../lab/fabric.js';
import { requireOvs } from '../../lab/ovs.js';

/**
 * The web view in a real browser (Debian's Chromium, headless, driven over the DevTools
 * protocol by puppeteer-core) against svcswitch and dc-small in Mininet: every switch drawn,
 * a link taken down in Mininet drawn red within 2 s, a migration prepared and completed from
 * the page, labels and keyboard for the controls, no console error. Screenshots go to
 * out/web-view/ (kept by CI as artifacts).
 */

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = 'out/web-view';

before(async () => {
  await requireOvs();
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is required for this test and is missing (run 'make setup': Debian's chromium package)`);
  mkdirSync(SHOTS, { recursive: true });
});

describe('the web view in Chromium, on dc-small in Mininet', () => {
  let f: Fabric | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  const problems: string[] = [];

  before(async () => {
    f = await startFabric('topologies/dc-small.yaml');
    browser = await puppeteer.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 1400 });
    // Mininet adds and changes interfaces on this host while the browser runs: Chromium then aborts
    // what it had in flight with ERR_NETWORK_CHANGED (and logs it). That is the test bench, not the
    // page, which asks again (a GET once more, the event stream after 2 s); anything else counts.
    const benchOnly = (text: string): boolean => text.includes('net::ERR_NETWORK_CHANGED');
    page.on('console', (m) => m.type() === 'error' && !benchOnly(m.text()) && problems.push(`console: ${m.text()}`));
    page.on('pageerror', (e) => problems.push(`page error: ${(e as Error).message}`));
    page.on('requestfailed', (r) => !benchOnly(r.failure()?.errorText ?? '') && !r.url().endsWith('/api/events') && problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
    await page.goto(`http://127.0.0.1:${f.apiPort}/`, { waitUntil: 'load' });
  });
  after(async () => {
    await browser?.close();
    await stopFabric(f);
  });

  test('every switch of dc-small is drawn, connected, with every link up and the hosts under their switch', async () => {
    const p = page!;
    // (Page functions as strings: they run in the browser, whose DOM this file's types do not describe.)
    await p.waitForFunction(`document.querySelectorAll('g.switch[data-connected="true"]').length === 8`, { timeout: 10_000 });
    const names = await p.$$eval('g.switch', (gs) => gs.map((g) => g.getAttribute('data-switch')).sort());
    assert.deepEqual(names, ['acc1', 'acc2', 'acc3', 'acc4', 'agg1', 'agg2', 'core1', 'edge1']);
    const links = await p.$$eval('line.link', (ls) => ls.map((l) => l.getAttribute('data-state')));
    assert.equal(links.length, f!.app.topology.linkList().length);
    assert.ok(links.every((s) => s === 'up'), links.join());
    assert.ok(await p.$('g.host[data-host="h11"]'), 'h11 drawn');
    await p.waitForFunction(`/^ok: 8 of 8/.test(document.getElementById('health').textContent)`, { timeout: 5000 });
    await p.waitForFunction(`/open/.test(document.getElementById('stream-state').textContent)`, { timeout: 5000 });
    await p.screenshot({ path: `${SHOTS}/1-fabric.png`, fullPage: true });
  });

  test('a link taken down in Mininet is drawn red within 2 s, and green again when it comes back', async () => {
    const p = page!;
    const link = 'line.link[data-link="acc1:1-agg1:2"]';
    const started = Date.now();
    await f!.dc.do({ op: 'link', a: 'acc1', b: 'agg1', state: 'down' });
    await p.waitForSelector(`${link}[data-state="down"]`, { timeout: 2000 });
    process.stdout.write(`# link drawn down ${Date.now() - started} ms after Mininet was told\n`);
    await p.screenshot({ path: `${SHOTS}/2-link-down.png`, fullPage: true });
    await f!.dc.do({ op: 'link', a: 'acc1', b: 'agg1', state: 'up' });
    await p.waitForSelector(`${link}[data-state="up"]`, { timeout: 10_000 });
    // The next test starts from a fabric whose switches hold the re-planned routes again, not from one still reconciling.
    await f!.app.settled();
  });

  test('a migration prepared from the form (keyboard only) and completed from its button: its binding appears, active', async () => {
    const p = page!;
    // Every control has a label.
    const labelled = new Set(await p.$$eval('label[for]', (ls) => ls.map((l) => l.getAttribute('for'))));
    const unlabelled = (await p.$$eval('input, select', (xs) => xs.map((x) => x.id))).filter((id) => !labelled.has(id));
    assert.deepEqual(unlabelled, []);
    await p.focus('#m-hoa');
    await p.keyboard.type('10.0.1.11');
    await p.keyboard.press('Tab');
    await p.select('#m-switch', 'acc3');
    await p.focus('#m-port');
    await p.keyboard.type('5');
    await p.keyboard.press('Enter');
    await p.waitForSelector('#migrations li[data-status="prepared"]', { timeout: 20_000 });
    const id = await p.$eval('#migrations li[data-status="prepared"]', (li) => li.getAttribute('data-id'));
    await p.screenshot({ path: `${SHOTS}/3-prepared.png`, fullPage: true });
    const complete = await p.$$(`#migrations li[data-id="${id}"] button`);
    assert.deepEqual(await Promise.all(complete.map((b) => b.evaluate((x) => x.textContent))), [`Complete #${id}`, `Cancel #${id}`]);
    await complete[0]!.focus();
    await p.keyboard.press('Enter');
    await p.waitForSelector(`#migrations li[data-id="${id}"][data-status="completed"]`, { timeout: 10_000 });
    await p.waitForFunction(`document.querySelector('#bindings tr[data-hoa="10.0.1.11"]')?.textContent.includes('active')`, { timeout: 5000 });
    const row = await p.$eval('#bindings tr[data-hoa="10.0.1.11"]', (tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent));
    assert.equal(row[0], '10.0.1.11');
    assert.match(row[1] ?? '', /^10\.0\.3\.\d+$/, 'a CoA of net3');
    assert.equal(row[2], 'acc3:5 (net3)');
    assert.equal(f!.app.migration.bindings.get('10.0.1.11')?.state, 'active', 'the controller agrees');
    await p.screenshot({ path: `${SHOTS}/4-completed.png`, fullPage: true });
  });

  test('a switch\'s entries by planner, with the counters Open vSwitch keeps (LLDP probes have crossed the discovery entries)', async () => {
    const p = page!;
    await p.select('#e-switch', 'acc1');
    await p.click('#entries-form button');
    await p.waitForSelector('#entries section[data-planner="discovery"] tbody tr', { timeout: 5000 });
    const planners = await p.$$eval('#entries section', (ss) => ss.map((x) => x.getAttribute('data-planner')).sort());
    assert.deepEqual(planners, ['discovery', 'fabric', 'migration', 'portSecurity']);
    assert.match(await p.$eval('#entries > p', (e) => e.textContent ?? ''), /^acc1: counters read from the switch/);
    const lldp = await p.$$eval('#entries section[data-planner="discovery"] tbody tr', (rows) => rows.map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    const probes = lldp.filter((row) => /eth_type=0x88cc/.test(row[2] ?? '') && /output:controller/.test(row[3] ?? ''));
    assert.ok(probes.length > 0 && probes.some((row) => Number(row[4]) > 0), JSON.stringify(lldp));
    const held = f!.app.flows.plans.plan(f!.app.topology.switchList().find((s) => s.name === 'acc1')!.dpid).all().flowKeys.length;
    assert.equal(await p.$$eval('#entries tbody tr', (rows) => rows.length), held, 'every planned entry of acc1, once');
    await p.screenshot({ path: `${SHOTS}/5-entries.png`, fullPage: true });
  });

  test('a trace from the form lists each hop', async () => {
    const p = page!;
    await p.type('#t-from', 'h21');
    await p.type('#t-to', '10.0.4.10');
    await p.click('#trace-form button');
    await p.waitForSelector('#trace-result ol li', { timeout: 5000 });
    const text = await p.$eval('#trace-result', (e) => e.textContent ?? '');
    assert.match(text, /^delivered at acc4:3/);
    assert.match(text, /acc2: in 3/);
  });

  test('the browsable REST API at /api/docs: every route of the OpenAPI document drawn by Swagger UI, served by the controller', async () => {
    const p = page!;
    await p.goto(`http://127.0.0.1:${f!.apiPort}/api/docs`, { waitUntil: 'load' });
    await p.waitForSelector('.swagger-ui .opblock', { timeout: 10_000 });
    const doc = (await (await fetch(`http://127.0.0.1:${f!.apiPort}/api/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    const operations = Object.values(doc.paths).reduce((n, methods) => n + Object.keys(methods).length, 0);
    await p.waitForFunction(`document.querySelectorAll('.swagger-ui .opblock').length === ${operations}`, { timeout: 10_000 });
    await p.screenshot({ path: `${SHOTS}/6-api-docs.png` });
  });

  test('no console error, no failed request, in all of it', () => {
    assert.deepEqual(problems, []);
  });
});
