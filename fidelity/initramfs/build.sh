#!/usr/bin/env bash
# Build the test initramfs (busybox-static + dkfid.ko + static dkfid-test).
# usage: initramfs/build.sh OUT.cpio.gz MODULE.ko TEST-BINARY
set -euo pipefail
out=$1 ko=$2 test=$3
bb=${BUSYBOX:-/bin/busybox}
here=$(cd "$(dirname "$0")" && pwd)
[ -x "$bb" ] || { echo "busybox not found at $bb (apt-get install busybox-static)" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'statically linked' || echo "warning: $bb may not be static" >&2
root=$(mktemp -d "${TMPDIR:-/tmp}/dkfid-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,etc}
cp "$bb" "$root/bin/busybox"
for a in sh mount umount insmod rmmod cat echo tee sleep poweroff uname sync dmesg grep ls tr cut; do
  ln -s busybox "$root/bin/$a"
done
cp "$ko" "$root/dkfid.ko"
cp "$test" "$root/dkfid-test"
chmod 755 "$root/dkfid-test"
cp "$here/init" "$root/init"
chmod 755 "$root/init"
(cd "$root" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet --owner 0:0) | gzip -9 > "$out"
echo "initramfs: $out ($(stat -c %s "$out") bytes)"
