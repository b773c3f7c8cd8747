#!/bin/busybox sh
# /init of the test VM (scripts/vm-image.sh packs it with busybox and the virtio modules).
# Its address comes from the kernel command line: svc.ip=ADDR/LEN svc.gw=GATEWAY (and for a
# dual-stack VM svc.ip6=ADDR/LEN svc.gw6=GATEWAY). It runs a
# checked TCP sink on port 5001: each connection's bytes until the sender shuts its side,
# answered "ok SHA256 BYTES". Everything it says goes to the serial console.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
for m in $(cat /lib/modules/order); do insmod /lib/modules/$m || echo "svcswitch-vm: insmod $m failed"; done
for word in $(cat /proc/cmdline); do
  case $word in svc.ip=*) ip=${word#svc.ip=} ;; svc.gw=*) gw=${word#svc.gw=} ;; svc.ip6=*) ip6=${word#svc.ip6=} ;; svc.gw6=*) gw6=${word#svc.gw6=} ;; esac
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up
ip link set eth0 up
ip addr add "$ip" dev eth0
ip route add default via "$gw"
# A dual-stack VM (svc.ip6, svc.gw6): its IPv6 address without duplicate address detection (the fabric answers none) and its default route.
if [ -n "$ip6" ]; then
  echo 0 > /proc/sys/net/ipv6/conf/eth0/accept_dad  # busybox's ip has no "nodad"
  ip -6 addr add "$ip6" dev eth0
  ip -6 route add default via "$gw6" dev eth0
fi
cat > /bin/sink <<'SINK'
#!/bin/sh
f=/tmp/sink.$$
h=$(tee $f | sha256sum | cut -d' ' -f1)
n=$(wc -c < $f)
rm -f $f
echo "ok $h $n"
SINK
chmod 755 /bin/sink
nc -ll -p 5001 -e /bin/sink &
# What a booting guest does: ask for its gateway.
ping -c 1 -W 1 "$gw" > /dev/null 2>&1
echo "svcswitch-vm: ready $ip"
# A heartbeat on the console: a test that loses the VM can tell a hung guest from a lost path.
while :; do sleep 1; echo "svcswitch-vm: alive $(cut -d' ' -f1 /proc/uptime) rx $(cat /sys/class/net/eth0/statistics/rx_packets) tx $(cat /sys/class/net/eth0/statistics/tx_packets)"; done
