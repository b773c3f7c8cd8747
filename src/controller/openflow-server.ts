import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Observable, Subject, defer, from, merge } from 'rxjs';
import type { Logger } from '../log/logger.js';
import { MessageType, type MessageOf, type PacketIn, type Port } from '../openflow/index.js';
import type { Dpid } from './dpid.js';
import { ConnectionClosedError } from './errors.js';
import { PacketProcessors } from './packet-processors.js';
import { PROCESSOR_PRIORITY } from './pipeline.js';
import { DEFAULT_CONNECTION_OPTIONS, SwitchConnection, type AsyncMessage, type ConnectionOptions } from './switch-connection.js';

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
}

export const DEFAULT_SERVER_OPTIONS: ServerOptions = { ...DEFAULT_CONNECTION_OPTIONS, handshakeTimeoutMs: 10_000 };

/**
 * Accepts switch connections (OpenFlow 1.3 over TCP) and publishes what happens on them as
 * rxjs streams. Many switches are served at once; a switch that reconnects with the same
 * datapath id replaces its previous channel.
 */
export class OpenFlowServer {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly switches = new Map<Dpid, SwitchConnection>();
  private readonly upSubject = new Subject<SwitchUp>();
  private readonly downSubject = new Subject<SwitchDown>();
  /** One subject per kind of asynchronous message but packet-ins, which go to the processors. */
  private readonly byType = new Map<AsyncMessage['type'], Subject<FromSwitch<AsyncMessage>>>();
  /** Where applications take packet-ins: a chain of synchronous processors, by priority. */
  readonly packetProcessors: PacketProcessors;

  constructor(
    private readonly log: Logger,
    private readonly options: ServerOptions = DEFAULT_SERVER_OPTIONS,
  ) {
    this.packetProcessors = new PacketProcessors(log);
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

  listen(host: string, port: number): Promise<AddressInfo> {
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        const addr = server.address() as AddressInfo;
        this.log.info('listening for OpenFlow 1.3 switches', { address: `${addr.address}:${addr.port}` });
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
  }

  private ofType<T extends AsyncMessage['type']>(type: T): Observable<FromSwitch<MessageOf<T>>> {
    const subject = new Subject<FromSwitch<AsyncMessage>>();
    this.byType.set(type, subject);
    return subject.asObservable() as Observable<FromSwitch<MessageOf<T>>>;
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    const conn = new SwitchConnection(socket, this.log, this.options);
    conn
      .handshake(this.options.handshakeTimeoutMs)
      .then(() => this.register(conn))
      .catch((e: Error) => {
        // A switch that hangs up mid-handshake (OVS does when its bridge is reconfigured) is routine.
        const level = e instanceof ConnectionClosedError && !/HELLO_FAILED|speaks OpenFlow/.test(e.message) ? 'info' : 'warn';
        this.log.log(level, 'switch handshake failed', { peer: conn.peer, error: e.message });
        conn.close(`handshake failed: ${e.message}`);
      });
  }

  private register(conn: SwitchConnection): void {
    if (conn.isClosed) return;
    const dpid = conn.dpid;
    const previous = this.switches.get(dpid);
    if (previous !== undefined) previous.close('replaced by a new connection with the same datapath id');
    this.switches.set(dpid, conn);
    conn.onAsync = (message) => {
      if (message.type === MessageType.PACKET_IN) this.packetProcessors.dispatch(dpid, message);
      else this.byType.get(message.type)?.next({ dpid, message });
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
