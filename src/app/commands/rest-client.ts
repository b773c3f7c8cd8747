import { readTokenFile } from '../../api/bearer-token.js';

/** One call to the controller's REST API: the answer's JSON, or an error naming the call, its status and the controller's reason. */
export type RestCall = <T>(method: string, path: string, body?: unknown) => Promise<T>;

/**
 * A client of a running controller's REST API at `base` (`--api URL`), with the bearer token
 * of `tokenFile` (`--token-file`) if given. Each call gives up after 10 s; an unreachable
 * controller is named with the cause, not "fetch failed".
 */
export function restClient(base: string, tokenFile: string | undefined): RestCall {
  const url = base.replace(/\/$/, '');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(tokenFile === undefined ? {} : { authorization: `Bearer ${readTokenFile(tokenFile)}` }) };
  return async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.timeout(10_000) }).catch((e: Error) => {
      throw new Error(`${method} ${url}${path}: ${(e.cause as Error | undefined)?.message ?? e.message}`);
    });
    const answer = (await res.json()) as T & { error?: string };
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${answer.error ?? ''}`);
    return answer;
  };
}
