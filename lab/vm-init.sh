#!/bin/busybox sh
# /init of the test VM (scripts/vm-image.sh packs it with busybox and the virtio modules).
# Its address comes from the kernel command line: svc.ip=ADDR/LEN svc.gw=GATEWAY. It runs a
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
  case $word in svc.ip=*) ip=${word#svc.ip=} ;; svc.gw=*) gw=${word#svc.gw=} ;; esac
done
i=0
while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
ip link set lo up
ip link set eth0 up
ip addr add "$ip" dev eth0
ip route add default via "$gw"
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
