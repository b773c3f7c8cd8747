/**
 * OpenFlow 1.3 wire protocol. Self-contained: depends on nothing else in svcswitch.
 */
export * from './enums.js';
export * from './error-codes.js';
export * from './errors.js';
export * from './addresses.js';
export { Reader } from './reader.js';
export { Writer } from './writer.js';
export { Framer } from './framer.js';
export * from './match.js';
export * from './actions.js';
export * from './instructions.js';
export * from './message.js';
export * from './messages/symmetric.js';
export * from './messages/error.js';
export * from './messages/switch-config.js';
export * from './messages/port.js';
export * from './messages/packet.js';
export * from './messages/flow.js';
export * from './messages/group.js';
export * from './messages/meter.js';
export * from './messages/queue.js';
export * from './messages/multipart.js';
