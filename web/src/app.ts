import { type StreamEvent, api, follow, token } from './api-client.js';
import { drawFabric } from './fabric-view.js';
import { type Binding, type HostInfo, type LinkInfo, type Migration, State, type SwitchInfo, linkKey } from './model.js';

/**
 * The web view: the state read once from the REST API, then kept current by the event
 * stream; every text is set with textContent (a host's name or address is never markup).
 */

const state = new State();
const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

let drawPending = false;
/** Redraws once per frame however many events came. */
function redraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => {
    drawPending = false;
    drawFabric($('fabric') as unknown as SVGSVGElement, state);
    renderBindings();
    renderMigrations();
    renderChoices();
  });
}

function renderBindings(): void {
  const rows = [...state.bindings.values()].sort((a, b) => a.hoa.localeCompare(b.hoa, 'en', { numeric: true }));
  $('bindings').querySelector('tbody')!.replaceChildren(
    ...rows.map((b) => h('tr', { 'data-hoa': b.hoa }, h('td', {}, b.hoa), h('td', {}, b.coa), h('td', {}, `${b.switch}:${b.port} (${b.subnet})`), h('td', {}, b.mode), h('td', {}, b.state))),
  );
}

function renderMigrations(): void {
  const list = [...state.migrations.values()].sort((a, b) => Number(b.id) - Number(a.id)).slice(0, 20);
  $('migrations').replaceChildren(
    ...list.map((m) => {
      const start = m.timeline[0]?.at ?? 0;
      const steps = m.timeline.map((t) => `${t.step} +${t.at - start} ms`).join(' → ');
      const item = h('li', { 'data-id': m.id, 'data-status': m.status },
        h('strong', {}, `#${m.id} ${m.hoa}`), ` ${m.from.switch}:${m.from.port} → ${m.to.switch}:${m.to.port}${m.to.coa ? ` (CoA ${m.to.coa})` : ''}, ${m.mode}, ${m.trigger}: `,
        h('span', { class: `status-${m.status}` }, m.status), m.reason ? ` (${m.reason})` : '', h('div', { class: 'timeline' }, steps));
      if (m.status === 'prepared' || m.status === 'preparing') {
        item.append(' ', action(`Complete #${m.id}`, 'POST', `/api/migrations/${m.id}/complete`), ' ', action(`Cancel #${m.id}`, 'DELETE', `/api/migrations/${m.id}`));
      }
      return item;
    }),
  );
}

function action(label: string, method: 'POST' | 'DELETE', path: string): HTMLButtonElement {
  const b = h('button', { type: 'button' }, label);
  b.addEventListener('click', () => {
    b.disabled = true;
    api<Migration>(method, path)
      .then((m) => {
        state.migrations.set(m.id, m);
        say('migrate-result', `migration #${m.id}: ${m.status}`);
        redraw();
      })
      .catch((e: Error) => say('migrate-result', e.message, true))
      .finally(() => (b.disabled = false));
  });
  return b;
}

/** A select's options, replaced only when they changed (the operator's choice stays). */
function setOptions(select: HTMLSelectElement, names: string[]): void {
  if ([...select.options].map((o) => o.value).join() !== names.join()) select.replaceChildren(...names.map((n) => h('option', { value: n }, n)));
}

/** The forms' choices: access switches for a migration, every switch for its entries, the addresses of known hosts. */
function renderChoices(): void {
  setOptions($('m-switch') as HTMLSelectElement, [...state.switches.values()].filter((s) => s.tier === 'access').map((s) => s.name).sort());
  setOptions($('e-switch') as HTMLSelectElement, [...state.switches.keys()].sort());
  const ips = [...state.hosts.values()].flatMap((x) => (x.ip ? [x.ip] : [])).sort();
  $('host-addresses').replaceChildren(...ips.map((ip) => h('option', { value: ip })));
}

interface EntriesView {
  switch: string;
  counters: string;
  planners: Array<{ planner: string; cookie: string; entries: Array<{ table: number; priority: number; match: string; actions: string; packets: number | null; bytes: number | null }>; groups: Array<{ id: string; buckets: number }> }>;
}

/** A switch's entries, a table a planner (its cookie), with the switch's counters. */
function renderEntries(v: EntriesView): void {
  const count = (n: number | null): string => (n === null ? '–' : String(n));
  $('entries').replaceChildren(
    h('p', {}, `${v.switch}: counters ${v.counters}`),
    ...v.planners.map((p) =>
      h('section', { 'data-planner': p.planner },
        h('h3', {}, `${p.planner} (cookie ${p.cookie}): ${p.entries.length} entries${p.groups.length ? `, ${p.groups.length} groups` : ''}`),
        h('table', {},
          h('thead', {}, h('tr', {}, ...['table', 'priority', 'match', 'actions', 'packets', 'bytes'].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, ...p.entries.map((e) => h('tr', {}, h('td', {}, String(e.table)), h('td', {}, String(e.priority)), h('td', { class: 'flow' }, e.match), h('td', { class: 'flow' }, e.actions), h('td', { class: 'count' }, count(e.packets)), h('td', { class: 'count' }, count(e.bytes)))))))),
  );
}

function say(id: string, text: string, error = false): void {
  const e = $(id);
  e.textContent = text;
  e.className = error ? 'error' : '';
}

async function refreshHealth(): Promise<void> {
  try {
    const health = await api<{ status: string; problems: string[]; switchesConnected: number; switchesDeclared: number }>('GET', '/api/health');
    say('health', `${health.status}: ${health.switchesConnected} of ${health.switchesDeclared} switches connected${health.problems.length ? `; ${health.problems.join('; ')}` : ''}`);
    $('health').className = health.status;
  } catch (e) {
    say('health', `the API does not answer: ${(e as Error).message}`, true);
  }
}

async function reloadHosts(): Promise<void> {
  const hosts = await api<HostInfo[]>('GET', '/api/hosts?limit=1000');
  state.hosts.clear();
  for (const x of hosts) state.hosts.set(x.mac, x);
}

/** Everything afresh: at start, and whenever the stream opens again (events may have been missed). */
async function load(): Promise<void> {
  const [topology, bindings, migrations] = await Promise.all([
    api<{ name: string | null; switches: SwitchInfo[]; links: LinkInfo[] }>('GET', '/api/topology'),
    api<Binding[]>('GET', '/api/bindings'),
    api<Migration[]>('GET', '/api/migrations'),
    reloadHosts(),
  ]);
  state.topologyName = topology.name ?? '';
  $('topology-name').textContent = state.topologyName;
  state.switches.clear();
  for (const s of topology.switches) state.switches.set(s.name, s);
  state.links.clear();
  for (const l of topology.links) state.links.set(linkKey(l), l);
  state.bindings.clear();
  for (const b of bindings) state.bindings.set(b.hoa, b);
  for (const m of migrations) state.migrations.set(m.id, m);
  redraw();
  void refreshHealth();
}

function onEvent(e: StreamEvent): void {
  switch (e.kind) {
    case 'switch-up':
    case 'switch-down': {
      const s = e.switch as SwitchInfo;
      state.switches.set(s.name, s);
      void refreshHealth();
      break;
    }
    case 'link-up':
    case 'link-down': {
      const l = e.link as LinkInfo;
      state.links.set(linkKey(l), l);
      break;
    }
    case 'host-added':
    case 'host-moved':
    case 'host-updated':
      state.hosts.set((e.host as HostInfo).mac, e.host as HostInfo);
      break;
    case 'host-removed':
      state.hosts.delete((e.host as HostInfo).mac);
      break;
    case 'dropped':
      void reloadHosts().then(redraw);
      return;
    case 'binding-set':
      state.bindings.set((e.binding as Binding).hoa, e.binding as Binding);
      break;
    case 'binding-deleted':
      state.bindings.delete((e.binding as Binding).hoa);
      break;
    case 'migration': {
      const m = e.migration as Migration;
      state.migrations.set(m.id, m);
      break;
    }
    default:
      return;
  }
  redraw();
}

function wireForms(): void {
  ($('token') as HTMLInputElement).value = token.get();
  $('token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    token.set(($('token') as HTMLInputElement).value);
    void load();
  });
  $('migrate-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    const mode = String(f.get('mode') ?? '');
    const body = { hoa: String(f.get('hoa')), switch: String(f.get('switch')), port: Number(f.get('port')), ...(mode ? { mode } : {}) };
    say('migrate-result', `preparing ${body.hoa} at ${body.switch}:${body.port}…`);
    api<Migration>('POST', '/api/migrations', body)
      .then((m) => {
        state.migrations.set(m.id, m);
        say('migrate-result', `migration #${m.id} ${m.status}: complete it once the VM runs at ${m.to.switch}:${m.to.port}`);
        redraw();
      })
      .catch((e: Error) => say('migrate-result', e.message, true));
  });
  $('entries-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const name = ($('e-switch') as HTMLSelectElement).value;
    api<EntriesView>('GET', `/api/switches/${encodeURIComponent(name)}/entries`)
      .then(renderEntries)
      .catch((e: Error) => say('entries', e.message, true));
  });
  $('trace-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const f = new FormData(ev.target as HTMLFormElement);
    const q = new URLSearchParams({ from: String(f.get('from')), to: String(f.get('to')), proto: String(f.get('proto')) });
    if (f.get('dport')) q.set('dport', String(f.get('dport')));
    api<{ hops: Array<{ switch: string; inPort: number; outPort: number | string; packet: Record<string, unknown> }>; result: string; at: { switch: string; port: number }; reason?: string }>('GET', `/api/trace?${q}`)
      .then((t) => {
        // An IPv6 packet's addresses and an ND message's fields are objects: shown as JSON.
        const shown = (v: unknown): string => (typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v));
        const hops = t.hops.map((x) => h('li', {}, `${x.switch}: in ${x.inPort} → out ${x.outPort}  ${Object.entries(x.packet).map(([k, v]) => `${k}=${shown(v)}`).join(' ')}`));
        $('trace-result').replaceChildren(h('p', {}, `${t.result} at ${t.at.switch}:${t.at.port}${t.reason ? ` (${t.reason})` : ''}`), h('ol', {}, ...hops));
      })
      .catch((e: Error) => say('trace-result', e.message, true));
  });
}

wireForms();
load().catch((e: Error) => say('health', e.message, true));
follow(onEvent, (s) => say('stream-state', `event stream: ${s}`), () => void load().catch(() => undefined));
setInterval(() => void refreshHealth(), 5000);
