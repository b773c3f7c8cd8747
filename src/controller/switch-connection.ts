import type { Socket } from 'node:net';
import { ReplaySubject, type Observable } from 'rxjs';
import type { Logger } from '../log/logger.js';
import {
  BadRequestCode, ConfigFlags, ErrorType, Framer, HelloFailedCode, MessageType, MultipartFlags, MultipartType, OfpDecodeError, describeError,
  OFPCML_NO_BUFFER, OFP_HEADER_LEN, OFP_VERSION, PortReason, decodeMessage, messageTypeName, peekMultipartReply,
  type ErrorMsg, type FeaturesReply, type MessageOf, type MultipartReplyBody, type MultipartRequestBody, type OfpMessage, type Port,
} from '../openflow/index.js';
import { formatDpid, type Dpid } from './dpid.js';
import { BatchRejectedError, ConnectionClosedError, OpenFlowErrorReply, RequestTimeoutError } from './errors.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import type { ChannelRole } from './mastership.js';
import { Outbox } from './outbox.js';

export interface ConnectionOptions {
  /** Idle time after which we send ECHO_REQUEST; three of them without a word means dead. */
  echoIntervalMs: number;
  requestTimeoutMs: number;
  /** A switch whose unsent bytes exceed this is not reading: it is disconnected. */
  maxWriteBufferBytes: number;
  /** A multipart reply longer than this many parts or bytes is a switch gone wrong: the channel closes. */
  maxReplyParts: number;
  maxReplyBytes: number;
  /** Ports one switch may have; PORT_STATUS adds beyond this are ignored (and logged, rate-limited). */
  maxPorts: number;
}

export const DEFAULT_CONNECTION_OPTIONS: ConnectionOptions = {
  echoIntervalMs: 5_000,
  requestTimeoutMs: 10_000,
  maxWriteBufferBytes: 64 * 1024 * 1024,
  maxReplyParts: 4096,
  maxReplyBytes: 64 * 1024 * 1024,
  maxPorts: 4096,
};

/**
 * Unsent bytes over every channel together: one switch within its own limit is fine, a
 * thousand of them are not. Shared by the server's connections.
 */
export class WriteBudget {
  used = 0;
  constructor(readonly limit: number) {}
}

type ReplyType =
  | MessageType.ECHO_REPLY
  | MessageType.FEATURES_REPLY
  | MessageType.GET_CONFIG_REPLY
  | MessageType.BARRIER_REPLY
  | MessageType.ROLE_REPLY
  | MessageType.GET_ASYNC_REPLY
  | MessageType.QUEUE_GET_CONFIG_REPLY;

/** The reply type each request expects. */
const REPLY_OF: Partial<Record<MessageType, ReplyType>> = {
  [MessageType.ECHO_REQUEST]: MessageType.ECHO_REPLY,
  [MessageType.FEATURES_REQUEST]: MessageType.FEATURES_REPLY,
  [MessageType.GET_CONFIG_REQUEST]: MessageType.GET_CONFIG_REPLY,
  [MessageType.BARRIER_REQUEST]: MessageType.BARRIER_REPLY,
  [MessageType.ROLE_REQUEST]: MessageType.ROLE_REPLY,
  [MessageType.GET_ASYNC_REQUEST]: MessageType.GET_ASYNC_REPLY,
  [MessageType.QUEUE_GET_CONFIG_REQUEST]: MessageType.QUEUE_GET_CONFIG_REPLY,
};

interface Pending {
  expect: ReplyType | MessageType.MULTIPART_REPLY;
  resolve: (reply: OfpMessage | MultipartReplyBody[] | BoundedReply) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  parts: MultipartReplyBody[];
  /** Parts received, decoded or skipped, and their bytes: what maxReplyParts and maxReplyBytes count. */
  received: number;
  bytes: number;
  /** Set by multipartUpTo: records decoded up to `max`, counted past it. */
  bound?: { max: number; records: number; skipping: boolean };
}

/** A multipart reply read up to a bound (multipartUpTo). */
export interface BoundedReply {
  parts: MultipartReplyBody[];
  /** Every record the switch sent, decoded or not. */
  records: number;
  /** False when parts past the bound were counted and dropped undecoded. */
  complete: boolean;
}

/** What a standby may not send (OpenFlow 1.3 §6.3.7: the switch refuses them from a slave). */
const CHANGES_THE_SWITCH: ReadonlySet<MessageType> = new Set([MessageType.PACKET_OUT, MessageType.FLOW_MOD, MessageType.GROUP_MOD, MessageType.PORT_MOD, MessageType.TABLE_MOD, MessageType.METER_MOD]);

/** Messages that the switch sends on its own: what applications subscribe to. */
export type AsyncMessage = MessageOf<MessageType.PACKET_IN | MessageType.PORT_STATUS | MessageType.FLOW_REMOVED | MessageType.ERROR | MessageType.EXPERIMENTER>;

/**
 * One switch's OpenFlow channel: handshake, keepalive, xid-matched requests, barrier-confirmed
 * batches and write backpressure. A malformed message closes the channel with a logged
 * reason; nothing here throws into the event loop.
 */
export class SwitchConnection {
  private readonly framer = new Framer();
  private readonly pending = new Map<number, Pending>();
  /** xids of batched messages whose errors are collected until the batch's barrier. */
  private readonly batchErrors = new Map<number, OpenFlowErrorReply[]>();
  private readonly closedSubject = new ReplaySubject<string>(1);
  private nextXid = (Math.random() * 0x7fffffff) >>> 0;
  private lastReceived = Date.now();
  private keepalive: NodeJS.Timeout | undefined;
  private helloWaiter: ((m: MessageOf<MessageType.HELLO>) => void) | undefined;
  private helloAbort: ((e: Error) => void) | undefined;
  private closedReason: string | undefined;
  private readonly outbox = new Outbox((bytes) => this.socketWrite(bytes));
  private drained: Promise<void> | undefined;
  private lastBuf: Buffer | undefined;
  private lastStart = 0;
  /** Length of the message being dispatched (multipart reassembly counts bytes with it). */
  private currentLength = 0;
  /** This channel's share of the write budget: its socket's unsent bytes when last looked at. */
  private accounted = 0;
  private readonly portMap = new Map<number, Port>();
  private portList: Port[] | undefined = [];
  private readonly limited: RateLimitedLog;
  private log: Logger;

  dpid: Dpid = 'unknown';
  features: FeaturesReply | undefined;
  /**
   * What this member believes it is to the switch (src/controller/switch-roles.ts): as a
   * standby (`slave`) it sends nothing that changes the switch, which would refuse it anyway
   * (IS_SLAVE): packet-outs from LLDP and ARP are dropped here and counted. `equal` without a cluster.
   */
  get role(): 'equal' | ChannelRole {
    return this.currentRole;
  }

  set role(role: 'equal' | ChannelRole) {
    if (role === this.currentRole) return;
    this.currentRole = role;
    this.roleSince = Date.now();
  }

  private currentRole: 'equal' | ChannelRole = 'equal';
  /** When this member took its current role (the connection's start, while it is `equal`). */
  roleSince = Date.now();
  /** Messages not sent because this member is a standby for the switch. */
  droppedAsStandby = 0;

  /**
   * Receives PACKET_IN, PORT_STATUS, FLOW_REMOVED, unsolicited ERROR (and every IS_SLAVE) and EXPERIMENTER messages;
   * the server sets it when it registers the channel and publishes them as Observables. A
   * callback rather than a Subject of its own: on the packet-in path one hop fewer counts.
   */
  onAsync: ((m: AsyncMessage) => void) | undefined;
  /** Emits the reason once, when the channel closes. */
  readonly closed$: Observable<string> = this.closedSubject.asObservable();

  constructor(
    private readonly socket: Socket,
    logger: Logger,
    private readonly options: ConnectionOptions = DEFAULT_CONNECTION_OPTIONS,
    private readonly budget: WriteBudget = new WriteBudget(Number.POSITIVE_INFINITY),
  ) {
    this.log = logger.child({ peer: `${socket.remoteAddress}:${socket.remotePort}` });
    this.limited = new RateLimitedLog(this.log);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (e) => this.close(`socket error: ${e.message}`));
    socket.on('close', () => this.close('connection closed by the switch'));
    socket.on('drain', () => this.account());
  }

  /** From PORT_DESC at connect, kept current by PORT_STATUS (at most `maxPorts`). */
  get ports(): Port[] {
    this.portList ??= [...this.portMap.values()];
    return this.portList;
  }

  get isClosed(): boolean {
    return this.closedReason !== undefined;
  }

  get peer(): string {
    return `${this.socket.remoteAddress}:${this.socket.remotePort}`;
  }

  /**
   * HELLO (1.3 only), FEATURES, SET_CONFIG (whole packets to the controller) and PORT_DESC.
   * Resolves when the switch is ready for flows; a switch without 1.3 gets HELLO_FAILED.
   */
  async handshake(timeoutMs: number): Promise<void> {
    const hello = new Promise<MessageOf<MessageType.HELLO>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new RequestTimeoutError(`no HELLO from ${this.peer} within ${timeoutMs} ms`)), timeoutMs);
      this.helloWaiter = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      this.helloAbort = (e) => {
        clearTimeout(timer);
        reject(e);
      };
    });
    await this.send({ type: MessageType.HELLO, xid: 0, versions: [OFP_VERSION] });
    const theirs = await hello;
    const speaks13 = theirs.versions.length > 0 ? theirs.versions.includes(OFP_VERSION) : (theirs.version ?? 0) >= OFP_VERSION;
    if (!speaks13) {
      const offered = theirs.versions.length > 0 ? theirs.versions.join(',') : String(theirs.version);
      const text = `svcswitch speaks OpenFlow 1.3 (0x04) only; switch offered ${offered}`;
      this.outbox.add({ type: MessageType.ERROR, xid: theirs.xid, errType: ErrorType.HELLO_FAILED, code: HelloFailedCode.INCOMPATIBLE, data: Buffer.from(text) }, theirs.xid);
      this.close(`HELLO_FAILED/INCOMPATIBLE: ${text}`);
      throw new ConnectionClosedError(text);
    }
    this.features = (await this.request({ type: MessageType.FEATURES_REQUEST, xid: 0 })) as FeaturesReply;
    this.dpid = formatDpid(this.features.datapathId);
    this.log = this.log.child({ dpid: this.dpid });
    await this.send({ type: MessageType.SET_CONFIG, xid: 0, flags: ConfigFlags.FRAG_NORMAL, missSendLen: OFPCML_NO_BUFFER });
    const parts = await this.multipart({ mpType: MultipartType.PORT_DESC });
    for (const desc of parts) if (desc.mpType === MultipartType.PORT_DESC) for (const p of desc.ports) this.setPort(p);
    this.startKeepalive();
  }

  allocateXid(): number {
    this.nextXid = (this.nextXid + 1) >>> 0 || 1;
    return this.nextXid;
  }

  /** Sends without waiting for an answer; xid 0 is replaced by a fresh one. Resolves when the socket can take more. */
  send(m: OfpMessage): Promise<void> {
    if (this.standbyDrops(m)) return Promise.resolve();
    if (this.closedReason !== undefined) return Promise.reject(new ConnectionClosedError(`switch ${this.dpid} is disconnected`));
    this.outbox.add(m, m.xid === 0 ? this.allocateXid() : m.xid);
    return this.writable();
  }

  /**
   * Sends and forgets, for replies on the packet-in path: no promise to allocate. The message
   * is encoded before this returns, so its buffers may be reused at once. A closed channel
   * drops the message; a switch that stops reading is still cut at the write limit.
   */
  post(m: OfpMessage): void {
    if (this.standbyDrops(m)) return;
    if (this.closedReason === undefined) this.outbox.add(m, m.xid === 0 ? this.allocateXid() : m.xid);
  }

  /** A standby does not send what would change the switch: true when `m` is dropped (and counted). */
  private standbyDrops(m: OfpMessage): boolean {
    if (this.role !== 'slave' || !CHANGES_THE_SWITCH.has(m.type)) return false;
    this.droppedAsStandby++;
    return true;
  }

  /** Sends a request and resolves with its reply, or rejects with OpenFlowErrorReply / RequestTimeoutError. */
  request(m: OfpMessage): Promise<OfpMessage> {
    const expect = REPLY_OF[m.type];
    if (expect === undefined) return Promise.reject(new Error(`${messageTypeName(m.type)} has no reply; use send() or batch()`));
    return this.track(m, expect) as Promise<OfpMessage>;
  }

  /** Sends a MULTIPART_REQUEST and resolves with every part of the reply (REPLY_MORE joined). */
  multipart(body: MultipartRequestBody): Promise<MultipartReplyBody[]> {
    return this.track({ type: MessageType.MULTIPART_REQUEST, xid: 0, flags: 0, body }, MessageType.MULTIPART_REPLY) as Promise<MultipartReplyBody[]>;
  }

  /**
   * multipart(), decoding parts until they hold `maxRecords` records (flows, groups): the
   * parts after that are counted and dropped. A switch may answer an audit with 50,000 flows;
   * decoding them all made 50 MB of garbage, and its collection paused every switch.
   */
  multipartUpTo(body: MultipartRequestBody, maxRecords: number): Promise<BoundedReply> {
    return this.track({ type: MessageType.MULTIPART_REQUEST, xid: 0, flags: 0, body }, MessageType.MULTIPART_REPLY, maxRecords) as Promise<BoundedReply>;
  }

  /**
   * Sends the messages, then a barrier; resolves once the switch has processed all of them.
   * Every ERROR the switch returns for one of them rejects the batch (BatchRejectedError).
   * The messages are taken one at a time as the socket drains: a generator that makes each
   * one when asked keeps a cold start's millions of flow-mods from being in memory at once.
   */
  async batch(messages: Iterable<OfpMessage>): Promise<void> {
    const xids: number[] = [];
    const errors: OpenFlowErrorReply[] = [];
    try {
      for (const m of messages) {
        if (this.closedReason !== undefined) throw new ConnectionClosedError(`switch ${this.dpid} disconnected during a batch`);
        const xid = this.allocateXid();
        xids.push(xid);
        this.batchErrors.set(xid, errors);
        this.outbox.add(m, xid);
        if (this.socket.writableNeedDrain) await this.writable();
      }
      await this.request({ type: MessageType.BARRIER_REQUEST, xid: 0 });
    } finally {
      for (const xid of xids) this.batchErrors.delete(xid);
    }
    if (errors.length > 0) throw new BatchRejectedError(this.dpid, errors, xids.length);
  }

  /** Closes the channel; `level` 'debug' for one whose refusal was already logged (rate-limited) by the server. */
  close(reason: string, level: 'info' | 'debug' = 'info'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearInterval(this.keepalive);
    this.helloAbort?.(new ConnectionClosedError(`channel closed during the handshake: ${reason}`));
    for (const [xid, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new ConnectionClosedError(`switch ${this.dpid} disconnected before answering xid ${xid}: ${reason}`));
    }
    this.pending.clear();
    this.budget.used -= this.accounted;
    this.accounted = 0;
    this.limited.flushAll();
    // What was queued before the close (a HELLO_FAILED, say) still goes out if the kernel takes it now.
    const unsent = this.outbox.take();
    if (unsent !== undefined && this.socket.writable) this.socket.write(unsent);
    this.socket.destroy();
    this.log.log(level, 'switch channel closed', { reason });
    this.closedSubject.next(reason);
    this.closedSubject.complete();
  }

  // -------------------------------------------------------------------------------------

  private track(m: OfpMessage, expect: Pending['expect'], maxRecords?: number): Promise<OfpMessage | MultipartReplyBody[] | BoundedReply> {
    if (this.closedReason !== undefined) return Promise.reject(new ConnectionClosedError(`switch ${this.dpid} is disconnected`));
    const xid = m.xid === 0 ? this.allocateXid() : m.xid;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(xid);
        reject(new RequestTimeoutError(`switch ${this.dpid} did not answer ${messageTypeName(m.type)} xid ${xid} within ${this.options.requestTimeoutMs} ms`));
      }, this.options.requestTimeoutMs);
      const bound = maxRecords === undefined ? {} : { bound: { max: maxRecords, records: 0, skipping: false } };
      this.pending.set(xid, { expect, resolve, reject, timer, parts: [], received: 0, bytes: 0, ...bound });
      try {
        this.outbox.add(m, xid);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(xid);
        reject(e as Error);
      }
    });
  }

  /** Where the outbox flushes to; a switch that leaves too much unread is cut, and so is one over the shared budget. */
  private socketWrite(bytes: Buffer): void {
    if (this.closedReason !== undefined) return;
    this.socket.write(bytes);
    this.account();
    if (this.socket.writableLength > this.options.maxWriteBufferBytes) this.close(`switch is not reading: ${this.socket.writableLength} bytes unsent`);
    else if (this.budget.used > this.budget.limit && this.accounted >= 1024 * 1024) {
      this.close(`switches are not reading: ${this.budget.used} bytes unsent over all channels (limit ${this.budget.limit}), ${this.accounted} of them here`);
    }
  }

  /** Brings this channel's share of the shared write budget up to date. */
  private account(): void {
    if (this.closedReason !== undefined) return;
    const now = this.socket.writableLength;
    this.budget.used += now - this.accounted;
    this.accounted = now;
  }

  /** Records a port; false when it was refused (a new port over the limit). */
  private setPort(p: Port): boolean {
    if (!this.portMap.has(p.portNo) && this.portMap.size >= this.options.maxPorts) {
      this.limited.write('warn', 'too-many-ports', 'switch reports more ports than allowed; port ignored', { dpid: this.dpid, port: p.portNo, maxPorts: this.options.maxPorts });
      return false;
    }
    this.portMap.set(p.portNo, p);
    this.portList = undefined;
    return true;
  }

  /** Resolves when the socket can take more (at once, unless the switch reads slower than we write). */
  private writable(): Promise<void> {
    if (this.closedReason !== undefined) return Promise.reject(new ConnectionClosedError(`switch ${this.dpid} is disconnected: ${this.closedReason}`));
    if (!this.socket.writableNeedDrain) return Promise.resolve();
    // One wait shared by every sender, however many are blocked on this switch.
    this.drained ??= new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.socket.off('close', onClose);
        this.drained = undefined;
        resolve();
      };
      const onClose = (): void => {
        this.socket.off('drain', onDrain);
        this.drained = undefined;
        reject(new ConnectionClosedError(`switch ${this.dpid} disconnected`));
      };
      this.socket.once('drain', onDrain);
      this.socket.once('close', onClose);
    });
    return this.drained;
  }

  private onData(chunk: Buffer): void {
    if (this.closedReason !== undefined) return;
    this.lastReceived = Date.now();
    try {
      this.framer.each(chunk, this.onMessage);
    } catch (e) {
      if (e instanceof OfpDecodeError) {
        this.log.warn('malformed OpenFlow message; closing the channel', {
          code: e.code,
          error: e.message,
          head: this.lastMessage?.toString('hex'),
        });
        this.close(`malformed message: ${e.message}`);
      } else {
        this.log.error('handler failed; closing the channel', { error: (e as Error).stack });
        this.close(`internal error: ${(e as Error).message}`);
      }
    }
  }

  /** Decodes where the message sits in the chunk; what follows a close is dropped. */
  private readonly onMessage = (buf: Buffer, start: number, end: number): void => {
    if (this.closedReason !== undefined) return;
    this.lastStart = start;
    this.lastBuf = buf;
    this.currentLength = end - start;
    if (this.skipped(buf, start, end)) return;
    this.dispatch(decodeMessage(buf, start, end));
    this.lastBuf = undefined;
  };

  /** The first bytes of the message being decoded, for the log line of a malformed one (none for a framing error). */
  private get lastMessage(): Buffer | undefined {
    return this.lastBuf?.subarray(this.lastStart, this.lastStart + 32);
  }

  private dispatch(m: OfpMessage): void {
    switch (m.type) {
      case MessageType.HELLO:
        this.helloWaiter?.(m);
        this.helloWaiter = undefined;
        this.helloAbort = undefined;
        return;
      case MessageType.ECHO_REQUEST:
        if (this.closedReason === undefined) this.outbox.add({ type: MessageType.ECHO_REPLY, xid: m.xid, data: m.data }, m.xid);
        return;
      case MessageType.ERROR:
        return this.onError(m);
      case MessageType.MULTIPART_REPLY: {
        const p = this.pending.get(m.xid);
        if (p?.expect !== MessageType.MULTIPART_REPLY) return this.unexpected(m);
        p.parts.push(m.body);
        return this.partReceived(m.xid, p, m.flags);
      }
      case MessageType.PORT_STATUS:
        if (m.reason === PortReason.DELETE) {
          if (!this.portMap.delete(m.port.portNo)) return;
          this.portList = undefined;
        } else if (!this.setPort(m.port)) {
          return;
        }
        this.onAsync?.(m);
        return;
      case MessageType.PACKET_IN:
      case MessageType.FLOW_REMOVED:
      case MessageType.EXPERIMENTER:
        this.onAsync?.(m);
        return;
      default: {
        const p = this.pending.get(m.xid);
        if (p?.expect !== m.type) return this.unexpected(m);
        this.settle(m.xid, p, m);
      }
    }
  }

  private onError(m: ErrorMsg): void {
    // The switch no longer takes this member as master: whatever request it answers, the roles must hear it (errors$).
    const notMaster = m.errType === ErrorType.BAD_REQUEST && 'code' in m && m.code === BadRequestCode.IS_SLAVE;
    if (notMaster) this.onAsync?.(m);
    const p = this.pending.get(m.xid);
    if (p !== undefined) {
      this.pending.delete(m.xid);
      clearTimeout(p.timer);
      p.reject(new OpenFlowErrorReply(this.dpid, m));
      return;
    }
    const batch = this.batchErrors.get(m.xid);
    if (batch !== undefined) {
      batch.push(new OpenFlowErrorReply(this.dpid, m));
      return;
    }
    // Unsolicited (or a flood of them): no Error object, whose stack trace costs more than the rest of this.
    const reason = describeError(m);
    this.limited.write('warn', `error ${reason}`, 'switch reported an error', { xid: m.xid, reason });
    if (!notMaster) this.onAsync?.(m);
  }

  /**
   * A part of a bounded reply past its bound: counted, not decoded (true). Its records are
   * counted before a part is decoded, so the part that crosses the bound is still read whole.
   */
  private skipped(buf: Buffer, start: number, end: number): boolean {
    // On the packet-in path: the type byte first, no lookup for anything but a multipart reply.
    if (this.pending.size === 0 || end - start < OFP_HEADER_LEN || buf[start + 1] !== MessageType.MULTIPART_REPLY) return false;
    const p = this.pending.get(buf.readUInt32BE(start + 4));
    if (p?.bound === undefined || p.expect !== MessageType.MULTIPART_REPLY) return false;
    const head = peekMultipartReply(buf, start, end);
    if (head === undefined) return false;
    p.bound.skipping = p.bound.records >= p.bound.max;
    p.bound.records += head.records;
    if (!p.bound.skipping) return false;
    this.partReceived(head.xid, p, head.flags);
    return true;
  }

  private partReceived(xid: number, p: Pending, flags: number): void {
    p.received++;
    p.bytes += this.currentLength;
    if ((flags & MultipartFlags.REPLY_MORE) === 0) {
      this.settle(xid, p, p.bound === undefined ? p.parts : { parts: p.parts, records: p.bound.records, complete: !p.bound.skipping });
    } else if (p.received > this.options.maxReplyParts || p.bytes > this.options.maxReplyBytes) {
      this.close(`multipart reply xid ${xid} exceeds ${this.options.maxReplyParts} parts or ${this.options.maxReplyBytes} bytes (${p.received} parts, ${p.bytes} bytes so far)`);
    }
  }

  private settle(xid: number, p: Pending, value: OfpMessage | MultipartReplyBody[] | BoundedReply): void {
    this.pending.delete(xid);
    clearTimeout(p.timer);
    p.resolve(value);
  }

  private unexpected(m: OfpMessage): void {
    this.log.debug('reply matches no request', { type: messageTypeName(m.type), xid: m.xid });
  }

  private startKeepalive(): void {
    const interval = this.options.echoIntervalMs;
    this.keepalive = setInterval(() => {
      const idle = Date.now() - this.lastReceived;
      if (idle >= 3 * interval) {
        this.close(`no message for ${idle} ms (3 echo intervals of ${interval} ms)`);
      } else if (idle >= interval) {
        this.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) }).catch(() => {});
      }
    }, Math.max(10, Math.floor(interval / 10)));
    this.keepalive.unref();
  }
}
