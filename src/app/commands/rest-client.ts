import type { Command } from 'commander';
import { readTokenFile } from '../../api/bearer-token.js';

/** One call to the controller's REST API: the answer's JSON, or an error naming the call, its status and the controller's reason. */
export type RestCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/** Where a running controller's REST API is, and the headers every request to it carries. */
interface Target {
  url: string;
  headers: Record<string, string>;
}

/** What went wrong with a request, naming it: an unreachable controller with the cause, not "fetch failed". */
const unreachable = (method: string, url: string) => (e: Error): never => {
  throw new Error(`${method} ${url}: ${(e.cause as Error | undefined)?.message ?? e.message}`);
};

/** A client of the REST API at `target`: each call gives up after 10 s. */
function restClient({ url, headers }: Target): RestCall {
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10_000) }).catch(unreachable(method, `${url}${path}`));
    const answer = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`${method} ${url}${path}: ${res.status} ${answer.error ?? ''}`);
    return answer;
  };
}

/** The longest event a follower keeps waiting for the end of (the controller's are a few KiB). */
const MAX_EVENT_BYTES = 1024 * 1024;

/** One event of GET /api/events. */
export interface StreamEvent {
  kind: string;
  at: number;
  [field: string]: unknown;
}

/**
 * Follows GET /api/events at `target`, calling `onEvent` for each event until it returns
 * false (resolves true) or the controller ends the stream (resolves false).
 */
function eventReader({ url, headers }: Target) {
  return async (onEvent: (e: StreamEvent) => boolean): Promise<boolean> => {
    const res = await fetch(`${url}/api/events`, { headers }).catch(unreachable('GET', `${url}/api/events`));
    if (!res.ok || res.body === null) throw new Error(`GET ${url}/api/events: ${res.status} ${((await res.json().catch(() => ({}))) as { error?: string }).error ?? ''}`);
    let text = '';
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      text += Buffer.from(chunk).toString('utf8');
      for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
        const data = /^data: (.*)$/m.exec(text.slice(0, end))?.[1];
        text = text.slice(end + 2);
        // Leaving the loop cancels the body: the connection closes.
        if (data !== undefined && !onEvent(JSON.parse(data) as StreamEvent)) return true;
      }
      // One event is a line of JSON: a stream that sends more without ending one is not the controller's.
      if (text.length > MAX_EVENT_BYTES) throw new Error(`GET ${url}/api/events: an event longer than ${MAX_EVENT_BYTES} bytes`);
    }
    return false;
  };
}

/** The flags of every command that asks a running controller. */
export interface ClientFlags {
  api?: string | undefined;
  tokenFile?: string | undefined;
}

/** Adds --api and --token-file to a command that asks a running controller. */
export function withClientOptions(cmd: Command): Command {
  return cmd
    .option('--api <url>', "the controller's REST API (default $SVCSWITCH_API, else http://127.0.0.1:8080)")
    .option('--token-file <file>', "the API's bearer token (the controller's --api-token-file; default $SVCSWITCH_TOKEN_FILE)");
}

/** The controller the flags (or, without them, SVCSWITCH_API and SVCSWITCH_TOKEN_FILE) name. */
function targetOf(values: ClientFlags, env: NodeJS.ProcessEnv): Target {
  const tokenFile = values.tokenFile ?? env.SVCSWITCH_TOKEN_FILE;
  return {
    url: (values.api ?? env.SVCSWITCH_API ?? 'http://127.0.0.1:8080').replace(/\/$/, ''),
    headers: { 'content-type': 'application/json', ...(tokenFile === undefined ? {} : { authorization: `Bearer ${readTokenFile(tokenFile)}` }) },
  };
}

/** The client the flags (or, without them, SVCSWITCH_API and SVCSWITCH_TOKEN_FILE) name. */
export function clientFrom(values: ClientFlags, env: NodeJS.ProcessEnv = process.env): RestCall {
  return restClient(targetOf(values, env));
}

/** The event stream of the controller the flags name (see clientFrom). */
export function eventsFrom(values: ClientFlags, env: NodeJS.ProcessEnv = process.env): ReturnType<typeof eventReader> {
  return eventReader(targetOf(values, env));
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A VM's address from what an operator typed: an address as it is, a host's name looked up on the controller. */
export async function addressOf(call: RestCall, hostOrAddress: string): Promise<string> {
  if (IPV4.test(hostOrAddress)) return hostOrAddress;
  const [host] = await call<Array<{ name?: string; ip?: string }>>('GET', `/api/hosts?name=${encodeURIComponent(hostOrAddress)}`);
  if (host?.ip === undefined) throw new Error(`no host named "${hostOrAddress}" with an address on the controller (give its address, or a name from GET /api/hosts)`);
  return host.ip;
}
