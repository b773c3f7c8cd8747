#!/usr/bin/env bash
# Idempotent machine setup: Debian packages, Open vSwitch running (userspace datapath),
# node modules. Safe to run again; does only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
command -v ovs-vsctl >/dev/null || need_apt+=(openvswitch-switch)
[ -x /usr/bin/mn ] || need_apt+=(mininet)
command -v tshark >/dev/null || need_apt+=(tshark)
command -v iperf3 >/dev/null || need_apt+=(iperf3)
command -v arping >/dev/null || need_apt+=(iputils-arping)
command -v ping >/dev/null || need_apt+=(iputils-ping)
command -v tcpdump >/dev/null || need_apt+=(tcpdump)
command -v curl >/dev/null || need_apt+=(curl)
command -v ethtool >/dev/null || need_apt+=(ethtool)
command -v openssl >/dev/null || need_apt+=(openssl)
# The test VM (lab/qemu-vm.ts): QEMU, and busybox for its initramfs (scripts/vm-image.sh);
# without their recommends (QEMU's pull in a desktop's worth of packages it does not need here).
need_lean=()
command -v qemu-system-x86_64 >/dev/null || need_lean+=(qemu-system-x86)
# The static busybox: the initramfs has no C library (Debian's `busybox` package is dynamic).
dpkg -s busybox-static >/dev/null 2>&1 || need_lean+=(busybox-static)
# Prometheus scrapes /metrics in test/api/prometheus.integration.test.ts (its web UI's recommends are not needed).
command -v prometheus >/dev/null || need_lean+=(prometheus)
# A cluster's state and elections (docs/cluster.md; test/cluster/): etcd, three members on loopback per test.
command -v etcd >/dev/null || need_lean+=(etcd-server)
command -v etcdctl >/dev/null || need_lean+=(etcd-client)
# The web view's browser test (test/api/web-view.e2e.test.ts) drives Debian's Chromium, headless.
command -v chromium >/dev/null || need_lean+=(chromium)
# better-sqlite3 (the state file) is compiled at npm ci by node-gyp, against Node's own headers.
{ command -v g++ && command -v make; } >/dev/null || need_apt+=(g++ make)
if [ $((${#need_apt[@]} + ${#need_lean[@]})) -gt 0 ]; then
  echo "setup: installing ${need_apt[*]} ${need_lean[*]} from Debian's packages"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # tshark asks whether non-root users may capture; the preseed answers no.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  [ ${#need_apt[@]} -eq 0 ] || apt-get install -y -q "${need_apt[@]}" >/dev/null
  [ ${#need_lean[@]} -eq 0 ] || apt-get install -y -q --no-install-recommends "${need_lean[@]}" >/dev/null
fi

# Open vSwitch: no systemd and no kernel module here, so start the daemons directly.
if ! ovs-vsctl --timeout=3 show >/dev/null 2>&1; then
  echo "setup: starting Open vSwitch"
  /usr/share/openvswitch/scripts/ovs-ctl start --system-id=random >/dev/null 2>&1 || true
  ovs-vsctl --timeout=10 show >/dev/null || { echo "setup: Open vSwitch did not start (see /var/log/openvswitch/)" >&2; exit 1; }
fi

# The test VM's kernel and initramfs (build/vm), from Debian's packages; kept while unchanged.
bash scripts/vm-image.sh

# node modules, when the lock file changed since the last install.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi
