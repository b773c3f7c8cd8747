/** Ethernet, ARP/RARP, IPv4 and LLDP: what the controller reads from packet-ins and writes in packet-outs. */
export * from './errors.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './lldp.js';
