"""The frames a hypervisor sends when a migrated VM resumes: QEMU/KVM broadcasts RARP
requests with the VM's MAC, Xen a gratuitous ARP, and a dual-stack guest's kernel an
unsolicited neighbour advertisement (`na`, to all nodes, Override set); and, for the tests of
what a tenant can claim, an ARP request for the gateway and an IPv4 packet, each from any MAC
and address. Sent from inside the host with a raw socket."""
import base64

SENDER = """
import socket, struct, sys
intf, mac, ip, kind = sys.argv[1:5]
mac = bytes.fromhex(mac.replace(":", ""))
dst = b"\\xff" * 6
if kind != "na":
    ip = socket.inet_aton(ip)
if kind == "na":
    # RFC 4861 4.4 and 7.2.6: from the address, for the address, to ff02::1, hop limit 255, with the target link-layer address.
    src = socket.inet_pton(socket.AF_INET6, ip)
    all_nodes = socket.inet_pton(socket.AF_INET6, "ff02::1")
    icmp = struct.pack("!BBHI", 136, 0, 0, 0x20000000) + src + struct.pack("!BB", 2, 1) + mac
    pseudo = src + all_nodes + struct.pack("!I3xB", len(icmp), 58) + icmp
    csum = sum(struct.unpack("!%dH" % (len(pseudo) // 2), pseudo))
    while csum >> 16:
        csum = (csum & 0xffff) + (csum >> 16)
    icmp = icmp[:2] + struct.pack("!H", ~csum & 0xffff) + icmp[4:]
    body, etype = struct.pack("!IHBB", 0x60000000, len(icmp), 58, 255) + src + all_nodes + icmp, 0x86dd
    dst = bytes.fromhex("333300000001")
elif kind == "rarp":
    body, etype = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 3) + mac + bytes(4) + mac + bytes(4), 0x8035
elif kind == "garp":
    body, etype = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + bytes(6) + ip, 0x0806
elif kind == "arp":
    # A request for the subnet's first address (the gateway, .1) from that MAC and address.
    gw = ip[:3] + bytes([1])
    body, etype = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + bytes(6) + gw, 0x0806
else:
    # IPv4 (UDP to port 9, discard) from that MAC and address, to the gateway MAC: routed if admitted.
    gw = ip[:3] + bytes([1])
    udp = struct.pack("!HHHH", 9, 9, 8 + 4, 0) + b"svc!"
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0, 0, 64, 17, 0, ip, gw)
    csum = sum(struct.unpack("!10H", hdr))
    csum = ~((csum & 0xffff) + (csum >> 16)) & 0xffff
    body, etype = hdr[:10] + struct.pack("!H", csum) + hdr[12:] + udp, 0x0800
    dst = bytes.fromhex("025356000001")
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((intf, 0))
s.send(dst + mac + struct.pack("!H", etype) + body)
print("sent", kind)
"""


def announcement_command(intf, mac, ip, kind):
    """A shell command that, run in the host's namespace, sends one announcement on intf."""
    if kind not in ('rarp', 'garp', 'arp', 'ipv4', 'na'):
        raise ValueError('kind must be rarp, garp, arp, ipv4 or na')
    code = base64.b64encode(SENDER.encode()).decode()
    return "/usr/bin/python3 -c 'import base64,sys; exec(base64.b64decode(\"%s\"))' %s %s %s %s" % (code, intf, mac, ip, kind)
