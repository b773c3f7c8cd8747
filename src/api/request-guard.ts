import type { BearerToken } from './bearer-token.js';

/**
 * The checks every request passes before any route sees it, as pure functions of its method
 * and headers: the HTTP front (src/api/http-front.ts) runs them before a request leaves its
 * thread, and the fastify app runs them again for whatever reaches it another way (`inject`).
 */

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const IPV6 = /^\[[0-9a-fA-F:.]+\]$/;

export const isLoopback = (host: string): boolean => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * DNS rebinding: a page of evil.example whose name later resolves to 127.0.0.1 sends
 * `Host: evil.example`. Only an IP literal or localhost (what a name cannot be) is served.
 * Returns why a Host header is refused, or undefined when it is fine.
 */
function hostRefusal(header: string | undefined): string | undefined {
  if (header === undefined || header === '') return 'a Host header is required';
  // The name, then at most a port: `[::1].evil.example` is a name, not the literal [::1].
  const name = header.replace(/:\d{0,5}$/, '');
  if (name === 'localhost' || IPV4.test(name) || IPV6.test(name)) return undefined;
  return `Host "${header.slice(0, 100)}" refused: address the API by IP or localhost (DNS rebinding protection)`;
}

/** Headers a request may carry once only: with two, a proxy and this server could each read another one. */
const SINGLE_HEADERS = ['host', 'authorization', 'content-type', 'content-length'];

/** Which single header a request repeats, if any (Node keeps the first of some and joins others). */
function repeatedHeader(raw: readonly string[]): string | undefined {
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!SINGLE_HEADERS.includes(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}

/** Methods that change something. A web page can send these cross-origin without a preflight only with a form or text/plain body. */
const isMutating = (method: string): boolean => method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
const isJson = (contentType: string | undefined): boolean => /^application\/json\s*(;|$)/i.test(contentType ?? '');

/** A request as the guard sees it. */
export interface GuardedRequest {
  method: string;
  /** Header names and values in the order received (Node's `rawHeaders`). */
  rawHeaders: readonly string[];
  host: string | undefined;
  contentType: string | undefined;
  authorization: string | undefined;
  /** Whether a route takes it (a mutating request no route takes is a 404 or 405, not a 415). */
  routed: boolean;
  /** A path open without the token (liveness, readiness). */
  open: boolean;
}

/** Why a request is refused, with its status and the header that goes with it. */
export interface Refusal {
  status: 400 | 401 | 403 | 415;
  error: string;
  headers?: Record<string, string>;
}

/** The first reason to refuse `req`, or undefined. `readsOpen`: reads need no token (the API is on loopback). */
export function refusalOf(req: GuardedRequest, token: BearerToken | undefined, readsOpen: boolean): Refusal | undefined {
  const repeated = repeatedHeader(req.rawHeaders);
  if (repeated !== undefined) return { status: 400, error: `the ${repeated} header appears more than once` };
  const host = hostRefusal(req.host);
  if (host !== undefined) return { status: 403, error: host };
  // Cross-site request forgery: a page the operator has open can POST a form or text/plain, never application/json without a preflight (and no CORS header is ever sent).
  if (req.routed && isMutating(req.method) && !isJson(req.contentType)) {
    return { status: 415, error: `${req.method} needs "Content-Type: application/json" (with or without a body)` };
  }
  const unauthorized = req.open ? undefined : token?.refusal(req.method, req.authorization, readsOpen);
  if (unauthorized !== undefined) return { status: 401, error: unauthorized, headers: { 'www-authenticate': 'Bearer realm="svcswitch"' } };
  return undefined;
}

/** Headers every answer that passed the Host check carries. */
export const SAFE_HEADERS = { 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' } as const;
