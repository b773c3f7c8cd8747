import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer } from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { Observable, Subject, defer, from, merge } from 'rxjs';
import type { Logger } from '../log/logger.js';
import { MessageType, type MessageOf, type PacketIn, type Port } from '../openflow/index.js';
import { certificateDpids, type Dpid } from './dpid.js';
import { ConnectionClosedError } from './errors.js';
import { PacketProcessors } from './packet-processors.js';
import { PROCESSOR_PRIORITY } from './pipeline.js';
import { RateLimitedLog } from '../log/rate-limited.js';
import { DEFAULT_CONNECTION_OPTIONS, SwitchConnection, WriteBudget, type AsyncMessage, type ConnectionOptions } from './switch-connection.js';

export interface SwitchUp {
  dpid: Dpid;
  ports: Port[];
  connection: SwitchConnection;
}

export interface SwitchDown {
  dpid: Dpid;
  reason: string;
}

/** An asynchronous message together with the switch that sent it. */
export interface FromSwitch<M> {
  dpid: Dpid;
  message: M;
}

export interface ServerOptions extends ConnectionOptions {
  handshakeTimeoutMs: number;
  /** Unsent bytes over all channels together; past it, the channels that hold the most are cut. */
  maxTotalWriteBufferBytes: number;
  /** TCP connections at once (handshaking or not). */
  maxConnections: number;
  /** How long the channel that holds a dpid has to answer an echo before a newcomer with the same dpid replaces it. */
  duplicateEchoMs: number;
  /** Why a switch may not connect, or undefined when it may (the topology decides; none: all may). */
  admit?: ((dpid: Dpid) => string | undefined) | undefined;
  /**
   * OpenFlow over TLS (PEM): only a switch whose certificate `ca` signed gets past the TLS
   * handshake. With `bindDpid`, only as the datapath its certificate names (CN or a subject
   * alternative name): one stolen certificate is one switch, not all of them.
   */
  tls?: { key: Buffer; cert: Buffer; ca: Buffer; bindDpid?: boolean | undefined } | undefined;
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = {
  ...DEFAULT_CONNECTION_OPTIONS,
  handshakeTimeoutMs: 10_000,
  maxTotalWriteBufferBytes: 256 * 1024 * 1024,
  maxConnections: 4096,
  duplicateEchoMs: 1000,
};

/**
 * The connections a datacenter of `declaredSwitches` needs at once: each of its switches twice
 * over (after a restart a switch's old channel may linger while its new one handshakes, and
 * switches the file does not declare get as far as their refusal), never fewer than the
 * default's 4,096. A 10,000-switch datacenter stopped at 4,096 switches connected.
 */
export const openflowConnectionLimit = (declaredSwitches: number): number => Math.max(DEFAULT_SERVER_OPTIONS.maxConnections, 2 * declaredSwitches);

/**
 * Accepts switch connections (OpenFlow 1.3 over TCP) and publishes what happens on them as
 * rxjs streams. Many switches are served at once. A second channel for a datapath id whose
 * channel still answers an echo is refused (two connections claiming one dpid would take it
 * from each other); one whose channel is dead replaces it (a switch that reconnects).
 */
export class OpenFlowServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly switches = new Map<Dpid, SwitchConnection>();
  private readonly upSubject = new Subject<SwitchUp>();
  private readonly downSubject = new Subject<SwitchDown>();
  /** One subject per kind of asynchronous message but packet-ins, which go to the processors. */
  private readonly byType = new Map<AsyncMessage['type'], Subject<FromSwitch<AsyncMessage>>>();
  private readonly budget: WriteBudget;
  private readonly limited: RateLimitedLog;
  /** Where applications take packet-ins: a chain of synchronous processors, by priority. */
  readonly packetProcessors: PacketProcessors;

  /** TCP connections it takes at once (ServerOptions.maxConnections). */
  get connectionLimit(): number {
    return this.options.maxConnections;
  }

  constructor(
    private readonly log: Logger,
    private readonly options: ServerOptions = DEFAULT_SERVER_OPTIONS,
  ) {
    this.packetProcessors = new PacketProcessors(log);
    this.budget = new WriteBudget(options.maxTotalWriteBufferBytes);
    this.limited = new RateLimitedLog(log);
  }

  /** Switches that completed the handshake. A late subscriber first gets those connected now. */
  readonly switchUp$: Observable<SwitchUp> = defer(() =>
    merge(from([...this.switches.values()].map((c) => ({ dpid: c.dpid, ports: c.ports, connection: c }))), this.upSubject),
  );
  readonly switchDown$: Observable<SwitchDown> = this.downSubject.asObservable();
  /**
   * Packet-ins as an Observable, for code off the hot path: each subscriber is a processor of
   * priority 1000, after the applications. Completes when the server closes, as the others do.
   */
  readonly packetIn$: Observable<FromSwitch<PacketIn>> = new Observable((subscriber) => {
    const remove = this.packetProcessors.add('packetIn$ subscriber', PROCESSOR_PRIORITY.observers, (dpid, message) => subscriber.next({ dpid, message }));
    const end = this.downSubject.subscribe({ complete: () => subscriber.complete() });
    return () => {
      remove();
      end.unsubscribe();
    };
  });
  readonly portStatus$ = this.ofType(MessageType.PORT_STATUS);
  readonly flowRemoved$ = this.ofType(MessageType.FLOW_REMOVED);
  readonly errors$ = this.ofType(MessageType.ERROR);

  connection(dpid: Dpid): SwitchConnection | undefined {
    return this.switches.get(dpid);
  }

  get connected(): ReadonlyMap<Dpid, SwitchConnection> {
    return this.switches;
  }

  /** What an operator wants to know of each connected switch, as plain data. */
  switchSummaries(): Array<{ dpid: Dpid; peer: string; tables: number | undefined; ports: Array<{ portNo: number; name: string; hwAddr: string; linkDown: boolean }> }> {
    return [...this.switches.values()].map((c) => ({
      dpid: c.dpid,
      peer: c.peer,
      tables: c.features?.nTables,
      ports: c.ports.map((p) => ({ portNo: p.portNo, name: p.name, hwAddr: p.hwAddr, linkDown: (p.state & 1) === 1 })),
    }));
  }

  listen(host: string, port: number): Promise<AddressInfo> {
    const tls = this.options.tls;
    // The controller's own certificate is a server's: a switch presenting it is refused (a copy of the controller's key is no switch's).
    const ownFingerprint = tls && new X509Certificate(tls.cert).fingerprint256;
    const server = tls
      ? // The certificate is checked here rather than by rejectUnauthorized, which hangs up without saying why.
        createTlsServer({ key: tls.key, cert: tls.cert, ca: tls.ca, requestCert: true, rejectUnauthorized: false, minVersion: 'TLSv1.2', handshakeTimeout: this.options.handshakeTimeoutMs }, (socket) => {
          const peer = `${socket.remoteAddress}:${socket.remotePort}`;
          const cert = socket.getPeerCertificate();
          let refusal = socket.authorized ? undefined : `certificate not accepted: ${String(socket.authorizationError)}`;
          if (refusal === undefined && cert.fingerprint256 === ownFingerprint) refusal = 'the certificate is the controller\'s own';
          if (refusal === undefined) return this.accept(socket, tls.bindDpid ? certificateDpids(cert) : undefined);
          this.limited.write('warn', 'tls-refused', 'switch refused by TLS', { peer, error: refusal });
          socket.destroy();
        })
      : createServer((socket) => this.accept(socket));
    // A switch without a certificate our CA signed never reaches the OpenFlow handshake; one that never
    // finishes it (a stalled client) is cut at the handshake timeout, as on the plain port.
    server.on('tlsClientError', (e: Error, socket: Socket) => {
      this.limited.write('warn', 'tls-refused', 'switch refused by TLS', { peer: `${socket.remoteAddress}:${socket.remotePort}`, error: e.message });
      socket.destroy();
    });
    server.maxConnections = this.options.maxConnections;
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address() as AddressInfo;
        this.log.info('listening for OpenFlow 1.3 switches', { address: `${tls ? 'ssl' : 'tcp'}:${addr.address}:${addr.port}` });
        resolve(addr);
      });
    });
  }

  /** Stops accepting, closes every channel, and resolves when the listener is gone. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of [...this.switches.values()]) c.close('controller shutting down');
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    this.upSubject.complete();
    this.downSubject.complete();
    for (const s of this.byType.values()) s.complete();
    this.limited.flushAll();
  }

  private ofType<T extends AsyncMessage['type']>(type: T): Observable<FromSwitch<MessageOf<T>>> {
    const subject = new Subject<FromSwitch<AsyncMessage>>();
    this.byType.set(type, subject);
    return subject.asObservable() as Observable<FromSwitch<MessageOf<T>>>;
  }

  /** `certified`: with TLS bound to dpids, the datapaths the switch's certificate names. */
  private accept(socket: Socket, certified?: readonly Dpid[]): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const conn = new SwitchConnection(socket, this.log, this.options, this.budget);
    conn
      .handshake(this.options.handshakeTimeoutMs)
      .then(() => this.register(conn, certified))
      .catch((e: Error) => {
        // A switch that hangs up mid-handshake (OVS does when its bridge is reconfigured) is routine.
        const level = e instanceof ConnectionClosedError && !/HELLO_FAILED|speaks OpenFlow/.test(e.message) ? 'info' : 'warn';
        this.limited.write(level, 'handshake-failed', 'switch handshake failed', { peer: conn.peer, error: e.message });
        conn.close(`handshake failed: ${e.message}`, 'debug');
      });
  }

  private async register(conn: SwitchConnection, certified?: readonly Dpid[]): Promise<void> {
    if (conn.isClosed) return;
    const dpid = conn.dpid;
    const refused = certified !== undefined && !certified.includes(dpid)
      ? `its certificate names ${certified.length > 0 ? `datapath ${certified.join(', ')}` : 'no datapath'}, not ${dpid}`
      : this.options.admit?.(dpid);
    if (refused !== undefined) {
      this.limited.write('warn', 'switch-refused', 'switch refused', { dpid, peer: conn.peer, reason: refused });
      conn.close(`refused: ${refused}`, 'debug');
      return;
    }
    const previous = this.switches.get(dpid);
    if (previous !== undefined) {
      // The holder answers an echo: the newcomer is an impostor (or a misconfigured twin), not a reconnect.
      const alive = await Promise.race([
        previous.request({ type: MessageType.ECHO_REQUEST, xid: 0, data: Buffer.alloc(0) }).then(() => true, () => false),
        new Promise<boolean>((r) => setTimeout(() => r(false), this.options.duplicateEchoMs).unref()),
      ]);
      if (conn.isClosed) return;
      if (alive && !previous.isClosed) {
        this.limited.write('warn', 'duplicate-dpid', 'second connection for a datapath id whose channel is alive; refused', { dpid, peer: conn.peer, holder: previous.peer });
        conn.close(`datapath ${dpid} is already connected from ${previous.peer}`, 'debug');
        return;
      }
      this.log.warn('switch channel replaced: the previous one did not answer an echo', { dpid, peer: conn.peer, previous: previous.peer });
      previous.close('replaced by a new connection with the same datapath id');
    }
    if (this.switches.has(dpid)) return void conn.close(`datapath ${dpid} connected twice at once`);
    this.switches.set(dpid, conn);
    conn.onAsync = (message) => {
      if (message.type === MessageType.PACKET_IN) {
        // A standby answers no packet-in (a switch sends them to a member that is EQUAL until its role is set).
        if (conn.role !== 'slave') this.packetProcessors.dispatch(dpid, message);
      } else this.byType.get(message.type)?.next({ dpid, message });
    };
    conn.closed$.subscribe((reason) => {
      if (this.switches.get(dpid) !== conn) return;
      this.switches.delete(dpid);
      this.log.info('switch disconnected', { dpid, reason });
      this.downSubject.next({ dpid, reason });
    });
    this.log.info('switch connected', { dpid, peer: conn.peer, ports: conn.ports.length, tables: conn.features?.nTables });
    this.upSubject.next({ dpid, ports: conn.ports, connection: conn });
  }
}
