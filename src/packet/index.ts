/** Ethernet, ARP/RARP, IPv4, IPv6 with ICMPv6 and neighbour discovery, and LLDP: what the controller reads from packet-ins and writes in packet-outs. */
export * from './errors.js';
export * from './ethernet.js';
export * from './arp.js';
export * from './ipv4.js';
export * from './ipv6.js';
export * from './icmpv6.js';
export * from './lldp.js';
