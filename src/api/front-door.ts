import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import type { Logger } from '../log/logger.js';
import type { FrontCounts, FrontOptions, FromFront, ToFront } from './front-messages.js';

/** A request the front passed on, and the answer it gets. */
export type ForwardedRequest = Extract<FromFront, { type: 'request' }>;
export type Answer = Omit<Extract<ToFront, { type: 'response' }>, 'type' | 'id'>;

/**
 * The heap the HTTP front's thread may grow to. Past it the thread is stopped and started
 * again (logged as an error): a flood of HTTP costs that thread, never the controller's memory.
 */
const FRONT_HEAP_MB = 48;
/** How long after an unexpected stop the front is started again. */
const RESTART_DELAY_MS = 1000;

/**
 * The controller's side of the REST API's HTTP front (src/api/http-front.ts): starts the
 * front's thread, answers each request it passes on with `handle`, and keeps its counts.
 * A front that stops unexpectedly (out of its heap) is started again on the same address.
 */
export class FrontDoor {
  private worker: Worker | undefined;
  private closing = false;
  /** The front's counts, as last reported (every 50 ms while they change). */
  counts: FrontCounts | undefined;

  constructor(
    private readonly handle: (req: ForwardedRequest) => Promise<Answer>,
    private readonly log: Logger,
  ) {}

  /** Starts the front; resolves once it listens, rejects with the reason it cannot. */
  open(options: FrontOptions): Promise<AddressInfo> {
    const worker = new Worker(new URL('./http-front.js', import.meta.url), { workerData: options, resourceLimits: { maxOldGenerationSizeMb: FRONT_HEAP_MB } });
    this.worker = worker;
    return new Promise((resolve, reject) => {
      let listening = false;
      worker.on('message', (m: FromFront) => {
        if (m.type === 'request') return void this.answer(worker, m);
        if (m.type === 'counts') {
          this.counts = m.counts;
          return undefined;
        }
        if (m.type === 'listening') {
          listening = true;
          return resolve({ address: m.address, family: m.family, port: m.port });
        }
        if (m.type === 'error') return reject(Object.assign(new Error(`the REST API cannot listen on ${options.host}:${options.port}: ${m.message}`), { code: m.code }));
        return undefined;
      });
      worker.on('error', (err) => (listening ? this.log.error('REST API front failed', { error: err.message }) : reject(err)));
      worker.on('exit', (code) => {
        if (this.closing || this.worker !== worker) return;
        this.worker = undefined;
        if (!listening) return reject(new Error(`the REST API's thread stopped (exit code ${code}) before it listened`));
        this.log.error('REST API thread stopped; starting it again', { exitCode: code, restartInMs: RESTART_DELAY_MS });
        setTimeout(() => {
          if (!this.closing) this.open({ ...options }).catch((err: Error) => this.log.error('REST API could not start again', { error: err.message }));
        }, RESTART_DELAY_MS).unref();
      });
    });
  }

  /** Server-sent events for every open stream of the front (nothing while it restarts). */
  publish(text: string): void {
    const message: ToFront = { type: 'events', text };
    this.worker?.postMessage(message);
  }

  private async answer(worker: Worker, req: ForwardedRequest): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.handle(req);
    } catch (err) {
      this.log.error('REST API request failed', { url: req.url.slice(0, 200), error: (err as Error).message });
      answer = { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' }, body: '{"error":"internal error; see the controller log"}' };
    }
    const message: ToFront = { type: 'response', id: req.id, ...answer };
    worker.postMessage(message);
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined) return;
    const closed = new Promise<void>((resolve) => {
      worker.on('message', (m: FromFront) => m.type === 'closed' && resolve());
      worker.once('exit', () => resolve());
    });
    const message: ToFront = { type: 'close' };
    worker.postMessage(message);
    await Promise.race([closed, new Promise((r) => setTimeout(r, 2000).unref())]);
    await worker.terminate();
  }
}
