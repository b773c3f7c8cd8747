#!/usr/bin/python3
"""Build a datacenter from a svcswitch topology file in Mininet, exactly as declared.

    /usr/bin/python3 mininet/dc.py --topology topologies/dc-small.yaml --controller 127.0.0.1:6653

Switch names, datapath ids, port numbers, MACs, IPs and default gateways come from the file,
read through `svcswitch topology json` so that the controller and Mininet can never disagree.
Switches are Open vSwitch, userspace datapath, OpenFlow 1.3 only.

Modes: the Mininet CLI (default), --control (JSON lines on stdin/stdout, for tests and
scripts), or --scenario pingall. The network is always cleaned up, also on errors and signals.
"""
import argparse
import codecs
import json
import os
import signal
import subprocess
import sys
import time
from functools import partial

import mininet.node
from mininet.cli import CLI
from mininet.log import setLogLevel
from mininet.net import Mininet
from mininet.node import OVSBridge, OVSSwitch, RemoteController
from mininet.topo import Topo

# Mininet decodes what a node's shell prints as strict UTF-8, and dies on a byte that is not
# (it happened once in CI, starting a controller node: dc.py exited with a UnicodeDecodeError).
# Nothing here reads non-text output: an undecodable byte becomes U+FFFD instead.
mininet.node.getincrementaldecoder = lambda: codecs.getincrementaldecoder('utf-8')(errors='replace')

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from announce import announcement_command  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load_topology(path):
    """The validated topology, as the controller sees it (exit 1 with its errors otherwise)."""
    cli = os.path.join(ROOT, 'dist', 'src', 'cli.js')
    proc = subprocess.run(['node', cli, 'topology', 'json', path], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        sys.exit(1)
    return json.loads(proc.stdout)


def prefix_len(topo, network):
    for net in topo['subnets'] + topo['externals']:
        if net['name'] == network:
            return int(net['prefix'].split('/')[1]), net['gateway']
    raise ValueError('unknown network %s' % network)


class DatacenterTopo(Topo):
    def build(self, topo, vms=()):  # pylint: disable=arguments-differ
        for s in topo['switches']:
            self.addSwitch(s['name'], dpid=s['dpid'], protocols='OpenFlow13')
        for link in topo['links']:
            a, b = link['a'], link['b']
            self.addLink(a['switch'], b['switch'], port1=a['port'], port2=b['port'])
        # A hypervisor: a bridge of its own (OVS in standalone mode, a learning switch that no
        # controller drives), plugged into its access switch's port; its VMs behind it.
        for i, hv in enumerate(topo.get('hypervisors', [])):
            self.addSwitch(hv['name'], cls=OVSBridge, datapath='user', dpid='%016x' % (0xfeed0000 + i))
            self.addLink(hv['name'], hv['switch'], port2=hv['port'])
        for h in topo['hosts']:
            if h['name'] in vms:
                continue  # a real VM (lab/qemu-vm.ts) plugs its tap into the switch itself
            length, gateway = prefix_len(topo, h['network'])
            self.addHost(h['name'], ip='%s/%d' % (h['ip'], length), mac=h['mac'], defaultRoute='via %s' % gateway)
            if h.get('hypervisor'):
                self.addLink(h['name'], h['hypervisor'], port1=0)
            else:
                self.addLink(h['name'], h['switch'], port1=0, port2=h['port'])


def configure_ipv6(net, topo):
    """Each dual-stack host's IPv6 address and its default route: through the gateway's
    link-local address, as the router advertisements the fabric will send would set it
    (docs/ipv6.md). The address skips duplicate address detection (nothing in the fabric
    answers it), and the wait for the kernel's own link-local address to finish its detection
    is bounded, so the first neighbour solicitation for the gateway leaves at once."""
    gateway = topo['fabric']['gatewayLinkLocal']
    lengths = {n['name']: int(n['ipv6']['prefix'].split('/')[1]) for n in topo['subnets'] + topo['externals'] if n.get('ipv6')}
    hosts = [h for h in topo['hosts'] if h.get('ip6') and h['name'] in net]
    for h in hosts:
        node = net.get(h['name'])
        intf = node.defaultIntf().name
        node.cmd('ip -6 addr add %s/%d dev %s nodad' % (h['ip6'], lengths[h['network']], intf))
        node.cmd('ip -6 route replace default via %s dev %s' % (gateway, intf))
        # The route is given: no router solicitation reaches the controller in the middle of a test (test/fabric/ipv6.e2e.test.ts sends its own).
        node.cmd('sysctl -qw net.ipv6.conf.%s.router_solicitations=0' % intf)
    deadline = time.time() + 5
    while hosts and time.time() < deadline:
        if not any(net.get(h['name']).cmd('ip -6 addr show tentative').strip() for h in hosts):
            break
        time.sleep(0.2)


def switch_intf(host):
    """The switch-side interface of a host's (only) link."""
    link = host.defaultIntf().link
    return link.intf2 if link.intf1.node is host else link.intf1


def forget_intf(switch, intf):
    del switch.intfs[switch.ports[intf]]
    del switch.ports[intf]
    del switch.nameToIntf[intf.name]


def stop_network(net, topo):
    """net.stop(), and if that fails, at least remove our bridges, so no run leaves switches behind."""
    try:
        net.stop()
    except Exception as e:  # pylint: disable=broad-except
        sys.stderr.write('dc.py: net.stop() failed (%s); removing the bridges directly\n' % e)
    finally:
        for s in topo['switches'] + topo.get('hypervisors', []):
            subprocess.run(['ovs-vsctl', '--if-exists', 'del-br', s['name']], check=False)
            subprocess.run(['ip', 'link', 'del', s['name']], check=False, stderr=subprocess.DEVNULL)


def parse_controller(text):
    """'[tcp:|ssl:]HOST:PORT' -> (protocol, host, port)."""
    protocol = 'tcp'
    if text.startswith(('tcp:', 'ssl:')):
        protocol, text = text[:3], text[4:]
    host, port = text.rsplit(':', 1)
    return protocol, host, int(port)


def vsctl(*args):
    """ovs-vsctl run directly (not through a node's shell: one that stops answering hangs dc.py), bounded in time."""
    return subprocess.run(['ovs-vsctl', '--timeout=10', *args], check=True, capture_output=True, text=True, timeout=15).stdout


def reconnect_fast(net, wait_s=10):
    """OVS retries a lost controller with a backoff that grows to 8 s; 1 s brings every switch
    back within a second of a controller restart (docs/reliability.md: the same for real switches).
    Every controller of the bridge (a cluster's members: one record each).

    Open vSwitch 3.1.0 (Debian 12) applies a controller's max_backoff only to a connection that
    is up when the setting changes; one still connecting keeps 8 s for as long as the bridge
    lives (fixed in 3.1.3). So once every controller is connected (at most `wait_s`), the
    settings are applied again by touching the records' external_ids."""
    records = []
    for sw in net.switches:
        listed = vsctl('get', 'bridge', sw.name, 'controller').strip().strip('[]')
        records += [r.strip() for r in listed.split(',') if r.strip()]
    if not records:
        return
    backoff = [arg for uuid in records for arg in ('--', 'set', 'controller', uuid, 'max_backoff=1000')]
    vsctl(*backoff[1:])
    deadline = time.time() + wait_s
    while time.time() < deadline:
        rows = json.loads(vsctl('--format=json', '--columns=_uuid,is_connected', 'list', 'controller'))['data']
        connected = {row[0][1] for row in rows if row[1] is True}
        if all(uuid in connected for uuid in records):
            break
        time.sleep(0.1)
    touch = [arg for uuid in records for arg in ('--', 'set', 'controller', uuid, 'external_ids:svcswitch-backoff-applied=true')]
    vsctl(*touch[1:])


def move_host(net, host_name, switch_name, port):
    """Moves a host's link to another switch port in one ovsdb transaction, as a live
    migration moves a VM's tap: the host keeps its namespace, addresses, ARP cache and sockets."""
    host, new = net.get(host_name), net.get(switch_name)
    intf = switch_intf(host)
    old = intf.node
    subprocess.run(['ovs-vsctl', 'del-port', old.name, intf.name, '--', 'add-port', new.name, intf.name,
                    '--', 'set', 'Interface', intf.name, 'ofport_request=%d' % port], check=True)
    # Every emulated switch shares one userspace datapath, and the moved port keeps its datapath
    # port number, so the megaflows made for it at the old switch live on at the new one, where
    # no real switch would have any. Open vSwitch 3.1.0 can then leave one of them stale for
    # good: its revalidator modifies overlapping megaflows by key and may change the wrong one
    # (fixed in 3.1.3 by "dpif-netdev: Fix dpif_netdev_flow_put"; docs/cluster.md). The purge
    # gives the new switch a clean datapath, as a new tap on another switch would have.
    subprocess.run(['ovs-appctl', 'revalidator/purge'], check=True)
    # Mininet's own bookkeeping, so that the CLI and net.stop() see the new attachment.
    forget_intf(old, intf)
    new.intfs[port] = intf
    new.ports[intf] = port
    new.nameToIntf[intf.name] = intf
    intf.node = new
    return {'host': host_name, 'from': {'switch': old.name}, 'to': {'switch': new.name, 'port': port}}


def detach_host(net, host_name):
    """Unplugs a host's switch port (a VM shut down or gone): the switch reports the port deleted."""
    intf = switch_intf(net.get(host_name))
    old = intf.node
    subprocess.run(['ovs-vsctl', 'del-port', old.name, intf.name], check=True)
    forget_intf(old, intf)
    return {'host': host_name, 'from': {'switch': old.name}}


def ping(net, src, dst, count=3, interval=0.2, timeout=1):
    out = net.get(src).cmd('ping -c %d -i %s -W %s %s' % (count, interval, timeout, dst))
    received = 0
    for line in out.splitlines():
        if 'packets transmitted' in line:
            received = int(line.split(',')[1].split()[0])
    return {'sent': count, 'received': received, 'output': out}


def ping_all(net, count=1, timeout=1, addresses=None):
    """Every host pings every other host (external ones included), by IP; or, given
    `addresses` (host name -> address, IPv6 ones for instance), each of those hosts every
    other at that address."""
    hosts = [h for h in net.hosts if addresses is None or h.name in addresses]
    failed, pairs = [], 0
    for src in hosts:
        for dst in hosts:
            if src is dst:
                continue
            pairs += 1
            out = src.cmd('ping -c %d -W %s %s' % (count, timeout, addresses[dst.name] if addresses else dst.IP()))
            if ' 0% packet loss' not in out:
                failed.append([src.name, dst.name])
    return {'pairs': pairs, 'failed': failed}


def handle(net, req):
    op = req.get('op')
    if op == 'pingall':
        return ping_all(net, req.get('count', 1), req.get('timeout', 1), req.get('addresses'))
    if op == 'ping':
        return ping(net, req['src'], req['dst'], req.get('count', 3), req.get('interval', 0.2), req.get('timeout', 1))
    if op == 'link':
        net.configLinkStatus(req['a'], req['b'], req['state'])
        return {'a': req['a'], 'b': req['b'], 'state': req['state']}
    if op == 'move':
        return move_host(net, req['host'], req['switch'], int(req['port']))
    if op == 'detach':
        return detach_host(net, req['host'])
    if op == 'announce':
        host = net.get(req['host'])
        # 'ip' and 'mac' let a test claim an address or a MAC that is not the host's, as an attacker would.
        out = host.cmd(announcement_command(host.defaultIntf().name, req.get('mac', host.MAC()), req.get('ip', host.IP()), req.get('kind', 'rarp')))
        return {'host': req['host'], 'kind': req.get('kind', 'rarp'), 'output': out.strip()}
    if op == 'cmd':
        return {'output': net.get(req['host']).cmd(req['cmd'])}
    raise ValueError('unknown op %r' % op)


def control(net):
    """One JSON request a line on stdin, one JSON answer a line on stdout; EOF stops."""
    print(json.dumps({'ready': True}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
            if req.get('op') == 'quit':
                print(json.dumps({'ok': True, 'bye': True}), flush=True)
                return
            print(json.dumps({'ok': True, **handle(net, req)}), flush=True)
        except Exception as e:  # pylint: disable=broad-except
            print(json.dumps({'ok': False, 'error': '%s: %s' % (type(e).__name__, e)}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--topology', required=True)
    parser.add_argument('--controller', default='127.0.0.1:6653',
                        help='[tcp:|ssl:]HOST:PORT of svcswitch, or of each member of a cluster, comma-separated (ssl: needs the switch certificate set with ovs-vsctl set-ssl)')
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument('--control', action='store_true', help='JSON-lines control on stdin/stdout')
    mode.add_argument('--scenario', choices=['pingall'], help='run a scripted scenario and exit')
    parser.add_argument('--log', default='warning')
    parser.add_argument('--vm', action='append', default=[], metavar='HOST',
                        help='a declared host that is a real VM (QEMU, its own tap): no Mininet host for it')
    args = parser.parse_args()
    setLogLevel(args.log)
    topo = load_topology(args.topology)
    # A cluster's members, comma-separated: every switch connects to each (c0, c1, ...).
    controllers = [parse_controller(c) for c in args.controller.split(',')]

    def stop_on_signal(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, stop_on_signal)

    net = Mininet(topo=DatacenterTopo(topo=topo, vms=set(args.vm)), build=False, autoSetMacs=False,
                  # fail-mode secure: while the controller is away the switch keeps forwarding on
                  # its tables (standalone would flush them and turn into a learning switch).
                  switch=partial(OVSSwitch, datapath='user', protocols='OpenFlow13', failMode='secure'),
                  controller=None)
    for i, (protocol, host, port) in enumerate(controllers):
        net.addController(RemoteController('c%d' % i, ip=host, port=port, protocol=protocol))
    try:
        net.build()
        net.start()
        reconnect_fast(net)
        for h in net.hosts:
            # Userspace datapath: TCP needs checksum offload off on every host interface.
            h.cmd('ethtool -K %s tx off' % h.defaultIntf().name)
        configure_ipv6(net, topo)
        if args.control:
            control(net)
        elif args.scenario == 'pingall':
            loss = net.pingAll(timeout=1)
            sys.exit(0 if loss == 0 else 1)
        else:
            CLI(net)
    finally:
        stop_network(net, topo)


if __name__ == '__main__':
    main()
