import { readlinkSync } from 'node:fs';
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setPriority } from 'node:os';
import type { Duplex } from 'node:stream';
import { parentPort, workerData } from 'node:worker_threads';
import { BearerToken } from './bearer-token.js';
import { admitConnections } from './connection-admission.js';
import { EventStreams } from './event-stream.js';
import { FailureBudget } from './failure-budget.js';
import { RequestPace } from './request-pace.js';
import type { FrontCounts, FrontOptions, ToFront, FromFront } from './front-messages.js';
import { SAFE_HEADERS, refusalOf } from './request-guard.js';
import { EVENTS_PATH, OPEN_PATHS, unrouted } from './routes.js';
import { loadWebAssets } from './web-assets.js';

/**
 * The REST API's HTTP front, in a thread of its own (started by src/api/front-door.ts).
 * It owns the listening socket and everything a request costs before it is known to be a
 * well-formed, authorized request for a route: connections (admission, the tarpit),
 * Node's HTTP parser, the Host, CSRF and token checks, 404 and 405, bodies up to their
 * limit, the failure budget. Only what passes reaches the controller's thread, as one
 * message; its answer comes back as one. A flood of HTTP (thousands of connections a
 * second) makes its garbage in this thread's heap, so its collections never pause the
 * OpenFlow event loop, and this thread runs at a lower priority than that loop.
 */

const options = workerData as FrontOptions;
const port = parentPort!;
const post = (message: FromFront): void => port.postMessage(message);
const token = options.tokenDigest === undefined ? undefined : BearerToken.ofDigest(options.tokenDigest);
const failures = new FailureBudget();
const pace = new RequestPace();
const streams = new EventStreams();
const assets = loadWebAssets();
const counts: FrontCounts = { served: 0, heldUnread: 0, closedAtOnce: 0, holding: 0, slowedFailures: 0, forwarded: 0, paced: 0, eventStreams: 0, eventStreamsCut: 0 };
const pending = new Map<number, ServerResponse>();
let nextId = 1;

/** The switches come first: this thread yields the CPU to the controller's (Linux: a thread's nice value is its own). */
function lowerPriority(): void {
  try {
    setPriority(Number(readlinkSync('/proc/thread-self').split('/').pop()), 10);
  } catch {
    // Not Linux, or no /proc: the thread keeps the process's priority.
  }
}

function send(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Buffer): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { ...SAFE_HEADERS, ...headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** An answer with status 4xx: at once within its client's failure budget, late past it. */
function answer(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  const wait = status >= 400 && status < 500 ? failures.fail(req.socket.remoteAddress ?? '') : 0;
  if (wait === 0) return send(res, status, headers, body);
  counts.slowedFailures++;
  setTimeout(() => send(res, status, headers, body), wait);
}

const JSON_TYPE = { 'content-type': 'application/json; charset=utf-8' };
const refuse = (req: IncomingMessage, res: ServerResponse, status: number, body: Record<string, unknown>, headers: Record<string, string> = {}): void =>
  answer(req, res, status, { ...JSON_TYPE, ...headers }, JSON.stringify(body));

/** Headers that belong to this connection, not to the request the controller's thread sees. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length', 'expect', 'upgrade', 'date']);

/** Passes a request on to the controller's thread at its client's pace; one whose client left while it waited is dropped. */
function forward(req: IncomingMessage, res: ServerResponse, body: string | undefined): void {
  const wait = pace.turn(req.socket.remoteAddress ?? '');
  if (wait === 0) return pass(req, res, body);
  counts.paced++;
  setTimeout(() => {
    if (!res.destroyed && !res.writableEnded) pass(req, res, body);
  }, wait);
}

function pass(req: IncomingMessage, res: ServerResponse, body: string | undefined): void {
  const id = nextId++;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  pending.set(id, res);
  res.once('close', () => pending.delete(id));
  counts.forwarded++;
  post({ type: 'request', id, method: req.method ?? 'GET', url: req.url ?? '/', headers, remoteAddress: req.socket.remoteAddress ?? '', ...(body === undefined ? {} : { body }) });
}

function onRequest(req: IncomingMessage, res: ServerResponse): void {
  const method = req.method ?? 'GET';
  const path = (req.url ?? '/').split('?')[0]!;
  const asset = method === 'GET' || method === 'HEAD' ? assets.get(path) : undefined;
  const route = asset === undefined ? unrouted(method, path) : undefined;
  const refusal = refusalOf({ method, rawHeaders: req.rawHeaders, host: req.headers.host, contentType: req.headers['content-type'], authorization: req.headers.authorization, routed: route === undefined, open: asset !== undefined || OPEN_PATHS.has(path) }, token, options.readsOpen);
  if (refusal !== undefined) return refuse(req, res, refusal.status, { error: refusal.error }, refusal.headers);
  // (To a HEAD, Node sends the headers only, with the length the body has.)
  if (asset !== undefined) return send(res, 200, { 'content-type': asset.type, 'content-security-policy': asset.policy }, asset.body);
  if (route !== undefined) return refuse(req, res, route.status, { error: route.error, ...(route.resources ? { resources: route.resources } : {}) }, route.allow ? { allow: route.allow } : {});
  if (path === EVENTS_PATH && method === 'GET') {
    req.resume();
    const full = streams.add(req, res);
    return full === undefined ? undefined : refuse(req, res, full.status, { error: full.error });
  }
  if (method === 'GET' || method === 'HEAD') {
    req.resume();
    return forward(req, res, undefined);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size <= options.bodyLimit) return void chunks.push(chunk);
    if (chunks.length === 0) return;
    chunks.length = 0;
    res.shouldKeepAlive = false;
    refuse(req, res, 413, { error: `the request body is too large (${options.bodyLimit / 1024} KiB at most)` });
  });
  req.once('end', () => {
    if (size <= options.bodyLimit) forward(req, res, size === 0 ? undefined : Buffer.concat(chunks).toString('utf8'));
  });
}

/** An answer written on the raw connection (before or instead of a request Node could parse), then the connection closed. */
function answerAndClose(socket: Duplex, status: number, error: string): void {
  if (socket.destroyed || !socket.writable) return void socket.destroy();
  const body = JSON.stringify({ error });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The status and message for a request Node's HTTP parser gave up on. */
function clientError(code: string | undefined): [number, string] {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, `the request did not arrive within ${options.requestTimeoutMs} ms`];
  if (code === 'HPE_HEADER_OVERFLOW') return [431, 'the request headers are too large (16 KiB at most)'];
  return [400, 'not a well-formed HTTP/1.1 request'];
}

function start(): Server {
  const timeout = options.requestTimeoutMs;
  const server = createServer({ requestTimeout: timeout, headersTimeout: timeout, maxHeaderSize: 16 * 1024, keepAliveTimeout: 5000 }, onRequest);
  server.timeout = timeout;
  // A client that half-closes after its request (`socket.end(request)`) still gets its answer, which comes a message later.
  (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
  // A connection silent for the timeout (a request that never finishes: slow loris) is told why, then closed.
  server.on('timeout', (socket: Duplex) => answerAndClose(socket, 408, `the request did not arrive within ${timeout} ms`));
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || socket.destroyed || !socket.writable) return void socket.destroy();
    answerAndClose(socket, ...clientError(err.code));
  });
  const admission = admitConnections(server, timeout);
  server.once('error', (err: Error & { code?: string }) => post({ type: 'error', message: err.message, ...(err.code ? { code: err.code } : {}) }));
  server.listen({ host: options.host, port: options.port }, () => {
    const a = server.address() as AddressInfo;
    post({ type: 'listening', address: a.address, family: a.family, port: a.port });
  });
  // The controller's thread reads these counts; sent when they changed, at most 20 times a second.
  let last = '';
  setInterval(() => {
    Object.assign(counts, { served: admission.served, heldUnread: admission.heldUnread, closedAtOnce: admission.closedAtOnce, holding: admission.holding, eventStreams: streams.open, eventStreamsCut: streams.cut });
    const now = JSON.stringify(counts);
    if (now !== last) post({ type: 'counts', counts: { ...counts } });
    last = now;
  }, 50).unref();
  port.on('message', (m: ToFront) => {
    if (m.type === 'events') return streams.broadcast(m.text);
    if (m.type === 'response') {
      const res = pending.get(m.id);
      if (res === undefined) return;
      pending.delete(m.id);
      return answer(res.req, res, m.status, m.headers, m.body);
    }
    admission.releaseHeld();
    streams.close();
    server.close(() => post({ type: 'closed' }));
    server.closeAllConnections();
  });
  return server;
}

lowerPriority();
start();
