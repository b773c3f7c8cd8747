"""The os-ken (maintained Ryu) peer of svcswitch's ARP proxy, for `make bench-throughput`:
answer an ARP request for a subnet gateway with a PACKET_OUT carrying the reply, from the
same anycast gateway MAC svcswitch uses. Run by: osken-manager bench/peers/osken_arp.py"""
from os_ken.base import app_manager
from os_ken.controller import ofp_event
from os_ken.controller.handler import MAIN_DISPATCHER, set_ev_cls
from os_ken.lib.packet import arp, ether_types, ethernet, packet
from os_ken.ofproto import ofproto_v1_3

# The gateways of bench/topologies/access-64.yaml, which svcswitch reads: 10.1.i.1 for switch i.
GATEWAYS = {'10.1.%d.1' % i for i in range(64)}
GATEWAY_MAC = '02:53:56:00:00:01'


class GatewayArpResponder(app_manager.OSKenApp):
    OFP_VERSIONS = [ofproto_v1_3.OFP_VERSION]

    @set_ev_cls(ofp_event.EventOFPPacketIn, MAIN_DISPATCHER)
    def packet_in(self, ev):
        msg = ev.msg
        dp = msg.datapath
        ofp, parser = dp.ofproto, dp.ofproto_parser
        request = packet.Packet(msg.data).get_protocol(arp.arp)
        if request is None or request.opcode != arp.ARP_REQUEST or request.dst_ip not in GATEWAYS:
            return
        reply = packet.Packet()
        reply.add_protocol(ethernet.ethernet(ethertype=ether_types.ETH_TYPE_ARP, dst=request.src_mac, src=GATEWAY_MAC))
        reply.add_protocol(arp.arp(opcode=arp.ARP_REPLY, src_mac=GATEWAY_MAC, src_ip=request.dst_ip,
                                   dst_mac=request.src_mac, dst_ip=request.src_ip))
        reply.serialize()
        dp.send_msg(parser.OFPPacketOut(datapath=dp, buffer_id=ofp.OFP_NO_BUFFER, in_port=ofp.OFPP_CONTROLLER,
                                        actions=[parser.OFPActionOutput(msg.match['in_port'])], data=reply.data))
