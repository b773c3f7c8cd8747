"""The frames a hypervisor sends when a migrated VM resumes: QEMU/KVM broadcasts RARP
requests with the VM's MAC, Xen a gratuitous ARP. Sent from inside the host with a raw socket."""
import base64

SENDER = """
import socket, struct, sys
intf, mac, ip, kind = sys.argv[1:5]
mac = bytes.fromhex(mac.replace(":", ""))
ip = socket.inet_aton(ip)
if kind == "rarp":
    body, etype = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 3) + mac + bytes(4) + mac + bytes(4), 0x8035
else:
    body, etype = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac + ip + bytes(6) + ip, 0x0806
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((intf, 0))
s.send(b"\\xff" * 6 + mac + struct.pack("!H", etype) + body)
print("sent", kind)
"""


def announcement_command(intf, mac, ip, kind):
    """A shell command that, run in the host's namespace, sends one announcement on intf."""
    if kind not in ('rarp', 'garp'):
        raise ValueError('kind must be rarp or garp')
    code = base64.b64encode(SENDER.encode()).decode()
    return "/usr/bin/python3 -c 'import base64,sys; exec(base64.b64decode(\"%s\"))' %s %s %s %s" % (code, intf, mac, ip, kind)
