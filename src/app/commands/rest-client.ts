import { readTokenFile } from '../../api/bearer-token.js';

/** One call to the controller's REST API: the answer's JSON, or an error naming the call, its status and the controller's reason. */
export type RestCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/**
 * A client of a running controller's REST API at `base` (`--api URL`), with the bearer token
 * of `tokenFile` (`--token-file`) if given. Each call gives up after 10 s; an unreachable
 * controller is named with the cause, not "fetch failed".
 */
function restClient(base: string, tokenFile: string | undefined): RestCall {
  const url = base.replace(/\/$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(tokenFile === undefined ? {} : { authorization: `Bearer ${readTokenFile(tokenFile)}` }) };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10_000) }).catch((e: Error) => {
      throw new Error(`${method} ${url}${path}: ${(e.cause as Error | undefined)?.message ?? e.message}`);
    });
    const answer = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`${method} ${url}${path}: ${res.status} ${answer.error ?? ''}`);
    return answer;
  };
}

/** The flags of every command that asks a running controller (parseArgs options). */
export const CLIENT_OPTIONS = { api: { type: 'string' }, 'token-file': { type: 'string' } } as const;

export const CLIENT_HELP = `  --api URL         the controller's REST API (default $SVCSWITCH_API, else http://127.0.0.1:8080)
  --token-file F    the API's bearer token (the controller's --api-token-file; default $SVCSWITCH_TOKEN_FILE)
`;

/** The client the flags (or, without them, SVCSWITCH_API and SVCSWITCH_TOKEN_FILE) name. */
export function clientFrom(values: { api?: string | undefined; 'token-file'?: string | undefined }, env: NodeJS.ProcessEnv = process.env): RestCall {
  return restClient(values.api ?? env.SVCSWITCH_API ?? 'http://127.0.0.1:8080', values['token-file'] ?? env.SVCSWITCH_TOKEN_FILE);
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** A VM's address from what an operator typed: an address as it is, a host's name looked up on the controller. */
export async function addressOf(call: RestCall, hostOrAddress: string): Promise<string> {
  if (IPV4.test(hostOrAddress)) return hostOrAddress;
  const hosts = await call<Array<{ name?: string; ip?: string }>>('GET', '/api/hosts?limit=10000');
  const host = hosts.find((h) => h.name === hostOrAddress);
  if (host?.ip === undefined) throw new Error(`no host named "${hostOrAddress}" with an address on the controller (give its address, or a name from GET /api/hosts)`);
  return host.ip;
}
