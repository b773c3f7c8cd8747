/**
 * svcswitch as a library: the OpenFlow 1.3 codec, switch connections and their event streams.
 */
export * as openflow from './openflow/index.js';
export { OpenFlowServer, DEFAULT_SERVER_OPTIONS, type SwitchUp, type SwitchDown, type FromSwitch, type ServerOptions } from './controller/openflow-server.js';
export { SwitchConnection, DEFAULT_CONNECTION_OPTIONS, type ConnectionOptions, type AsyncMessage } from './controller/switch-connection.js';
export { OpenFlowErrorReply, RequestTimeoutError, ConnectionClosedError, BatchRejectedError } from './controller/errors.js';
export { formatDpid, parseDpid, type Dpid } from './controller/dpid.js';
export { createLogger, type Logger, type LogFormat } from './app/logger.js';
