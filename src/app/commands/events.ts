import type { Register } from './program.js';
import { type ClientFlags, type StreamEvent, eventsFrom, withClientOptions } from './rest-client.js';
import { UsageError, failed } from './usage-error.js';

interface Ref {
  switch: string;
  port: number;
}
interface HostRef extends Ref {
  name?: string;
  mac: string;
  ip?: string;
}
/** The fields of the events, as the API sends them (src/topology/events.ts, src/api/event-feed.ts). */
interface Fields {
  switch: { name: string };
  link: { a: Ref; b: Ref };
  host: HostRef;
  from: Ref;
  at: Ref;
  binding: { hoa: string; coa: string; switch: string; port: number; mode: string; state: string };
  migration: { id: string; hoa: string; from: Ref; to: Ref; status: string; timeline: Array<{ step: string }> };
}

const at = (r: Ref): string => `${r.switch}:${r.port}`;
const hostOf = (h: HostRef): string => `${h.name ?? h.mac}${h.ip ? ` ${h.ip}` : ''} at ${at(h)}`;

/** One event in a line: when, what, and the words an operator needs. */
function describeEvent(e: StreamEvent): string {
  const time = new Date(e.at).toISOString().slice(11, 23);
  const f = e as unknown as Fields;
  const what = ((): string => {
    switch (e.kind) {
      case 'switch-up':
      case 'switch-down':
        return `${f.switch.name}${e.reason ? ` (${String(e.reason)})` : ''}`;
      case 'link-up':
      case 'link-down':
        return `${at(f.link.a)} - ${at(f.link.b)}${e.reason ? ` (${String(e.reason)})` : ''}`;
      case 'host-added':
      case 'host-updated':
      case 'host-removed':
        return `${hostOf(f.host)}${e.reason ? ` (${String(e.reason)})` : ''}`;
      case 'host-moved':
        return `${hostOf(f.host)}, from ${at(f.from)}`;
      case 'host-refused':
      case 'announcement-refused':
        return `${String(e.mac)}${e.ip ? ` ${String(e.ip)}` : ''} at ${at(f.at)}: ${String(e.reason)}`;
      case 'host-seen-elsewhere':
        return `${String(e.mac)} ${String(e.ip)} at ${at(f.at)}, from ${at(f.from)}: ${String(e.why)}`;
      case 'discrepancy':
        return `${String(e.discrepancy)}: ${String(e.detail)}`;
      case 'binding-set':
      case 'binding-deleted': {
        const b = f.binding;
        return `${b.hoa} -> ${b.coa} at ${at(b)} (${b.mode}, ${b.state})`;
      }
      case 'migration': {
        const m = f.migration;
        return `#${m.id} ${m.hoa} ${at(m.from)} -> ${at(m.to)} ${m.status}: ${m.timeline.at(-1)?.step ?? ''}`;
      }
      case 'dropped':
        return String(e.why);
      default:
        return JSON.stringify(e);
    }
  })();
  return `${time} ${e.kind.padEnd(20)} ${what}`;
}

interface EventsFlags extends ClientFlags {
  kinds?: string;
  count?: string;
  json?: boolean;
}

/** Exit code: 0 after --count events, 1 when the controller cannot be reached or ends the stream, 2 usage. */
async function eventsCommand(values: EventsFlags, out: (s: string) => void, err: (s: string) => void): Promise<number> {
  try {
    const count = values.count === undefined ? Number.POSITIVE_INFINITY : Number(values.count);
    if (values.count !== undefined && !(Number.isInteger(count) && count >= 1)) throw new UsageError(`--count ${values.count}: give a whole number of events, 1 or more`);
    const kinds = values.kinds === undefined ? undefined : new Set(values.kinds.split(',').map((k) => k.trim()));
    let seen = 0;
    const finished = await eventsFrom(values)((e) => {
      if (kinds !== undefined && !kinds.has(e.kind)) return true;
      out(values.json ? `${JSON.stringify(e)}\n` : `${describeEvent(e)}\n`);
      return ++seen < count;
    });
    if (finished) return 0;
    err('svcswitch events: the controller ended the stream\n');
    return 1;
  } catch (e) {
    return failed('events', e, err);
  }
}

export const registerEvents: Register = (program, io, exit) => {
  withClientOptions(
    program
      .command('events')
      .description("follow a running controller's events as they happen, a line each (GET /api/events; exit 0 after --count, 1 when the controller cannot be reached or ends the stream, 2 usage)")
      .option('--kinds <kinds>', 'only these, comma-separated: switch-up, switch-down, link-up, link-down, host-added, host-moved, host-updated, host-removed, host-refused, host-seen-elsewhere, discrepancy, binding-set, binding-deleted, migration, announcement-refused, dropped')
      .option('--count <n>', 'stop after this many events (default: follow until interrupted)')
      .option('--json', 'one JSON object a line, as the API sends it'),
  ).action(async (values: EventsFlags) => exit(await eventsCommand(values, io.out, io.err)));
};
