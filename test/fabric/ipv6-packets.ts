import { ICMPV6_TYPE } from '../../src/packet/icmpv6.js';
import { GATEWAY_MAC } from '../../src/topology/model.js';

/** IPv6 packets as svcswitch trace takes them: an echo request, neighbour solicitations and advertisements. */

export const ping6 = (src: { mac: string; ip6?: string }, dst: string, from = src.ip6!) => ({
  eth_src: src.mac, eth_dst: GATEWAY_MAC, eth_type: 0x86dd, ipv6_src: from, ipv6_dst: dst, ip_proto: 58, icmpv6_type: ICMPV6_TYPE.ECHO_REQUEST, icmpv6_code: 0, ttl: 64,
});
/** A neighbour solicitation from `src` for `target`, with a source link-layer address option (`sll`) or without (NUD). */
export const ns = (src: { mac: string }, from: string, target: string, sll: string | undefined, ethDst = '33:33:ff:00:00:01') => ({
  eth_src: src.mac, eth_dst: ethDst, eth_type: 0x86dd, ipv6_src: from, ipv6_dst: 'ff02::1:ff00:1', ip_proto: 58, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_SOLICIT, icmpv6_code: 0,
  ipv6_nd_target: target, ipv6_nd_sll: sll ?? '00:00:00:00:00:00', nd_reserved: 0, nd_options_type: sll === undefined ? 0 : 1, ttl: 255,
});
export const na = (src: { mac: string }, from: string, target: string, ethDst: string, dst: string) => ({
  eth_src: src.mac, eth_dst: ethDst, eth_type: 0x86dd, ipv6_src: from, ipv6_dst: dst, ip_proto: 58, icmpv6_type: ICMPV6_TYPE.NEIGHBOR_ADVERT, icmpv6_code: 0,
  ipv6_nd_target: target, ipv6_nd_tll: src.mac, nd_reserved: 0x60000000, nd_options_type: 2, ttl: 255,
});
