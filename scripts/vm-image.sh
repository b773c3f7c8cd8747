#!/usr/bin/env bash
# The test VM's boot files, from Debian's packages only: the cloud kernel (apt-get download,
# unpacked with dpkg-deb -x) and an initramfs of busybox-static with the kernel's virtio
# modules and lab/vm-init.sh as /init. Written to build/vm/ (kernel, initramfs.gz); kept
# while the kernel package and lab/vm-init.sh are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."

out=build/vm
kernel_package() { apt-cache depends linux-image-cloud-amd64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }'; }
package=$(kernel_package)
if [ -z "$package" ]; then apt-get update -q >/dev/null 2>&1 || true; package=$(kernel_package); fi
[ -n "$package" ] || { echo "vm-image: no linux-image-cloud-amd64 in Debian's package lists" >&2; exit 1; }
stamp="$package $(sha256sum lab/vm-init.sh | cut -c1-16)"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$out/kernel" ] && [ -f "$out/initramfs.gz" ]; then exit 0; fi

echo "vm-image: building the test VM's kernel and initramfs from $package"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && apt-get download "$package" >/dev/null 2>&1) || { echo "vm-image: apt-get download $package failed" >&2; exit 1; }
dpkg-deb -x "$work"/linux-image-*.deb "$work/pkg"
version=${package#linux-image-}
modules="$work/pkg/lib/modules/$version/kernel"

root="$work/root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,lib/modules}
# The initramfs has no C library: only a static busybox runs there (Debian's busybox-static).
if ldd /bin/busybox >/dev/null 2>&1; then echo "vm-image: /bin/busybox is dynamically linked; install busybox-static" >&2; exit 1; fi
cp /bin/busybox "$root/bin/busybox"
# Dependency order: each module after those it needs (virtio before virtio_ring fails with "unknown symbol").
order=(drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci_modern_dev
  drivers/virtio/virtio_pci net/core/failover drivers/net/net_failover drivers/net/virtio_net)
for m in "${order[@]}"; do
  src="$modules/$m.ko"
  [ -f "$src" ] || src="$modules/$m.ko.xz"
  [ -f "$src" ] || { echo "vm-image: $m is not in $package" >&2; exit 1; }
  case "$src" in *.xz) xz -dc "$src" > "$root/lib/modules/$(basename "$m").ko" ;; *) cp "$src" "$root/lib/modules/" ;; esac
  echo "$(basename "$m").ko" >> "$root/lib/modules/order"
done
install -m 0755 lab/vm-init.sh "$root/init"
mkdir -p "$out"
(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null | gzip -9) > "$out/initramfs.gz.tmp"
cp "$work"/pkg/boot/vmlinuz-* "$out/kernel"
mv "$out/initramfs.gz.tmp" "$out/initramfs.gz"
echo "$stamp" > "$out/stamp"
