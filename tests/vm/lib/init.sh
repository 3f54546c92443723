#!/bin/busybox sh
# shellcheck shell=dash
# /init of the keymapd test-bed VM (copied into the initramfs by tests/vm/run.sh).
# Brings up a minimal system (proc, sysfs, devtmpfs, evdev, uinput, udev),
# runs keymapd-testbed over /scenarios and powers off. Everything the harness
# reads is a line starting with @@KEYMAPD-.

/bin/busybox --install -s /bin
export PATH=/usr/bin:/bin:/usr/sbin:/sbin
export HOME=/root

say() { echo "@@KEYMAPD-INIT $*"; }
die() {
	echo "@@KEYMAPD-ERROR $*"
	poweroff -f
	sleep 5
	exit 1
}

mkdir -p /proc /sys /dev /run /tmp /root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=1777 tmpfs /tmp
echo 3 >/proc/sys/kernel/printk

say "kernel $(uname -r), $(nproc) cpus, uptime $(cut -d' ' -f1 /proc/uptime) s"

# Users and groups first: udevd resolves GROUP= names when it loads its rules.
cat >/etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
keymapd:x:999:999:keymapd test user:/tmp:/bin/sh
alice:x:1000:1000:the control socket's active-session user:/tmp:/bin/sh
bob:x:1001:1001:another user, not the active one:/tmp:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >/etc/group <<'EOF'
root:x:0:
input:x:101:keymapd
uinput:x:102:keymapd
keymapd:x:999:
alice:x:1000:
bob:x:1001:
nogroup:x:65534:
EOF
cat >/etc/nsswitch.conf <<'EOF'
passwd: files
group: files
shadow: files
EOF

for m in evdev uinput; do
	insmod "/lib/modules/$m.ko" || die "insmod $m failed"
done
[ -c /dev/uinput ] || die "/dev/uinput missing after insmod uinput"

mkdir -p /run/udev
/lib/systemd/systemd-udevd --daemon --resolve-names=early >/tmp/udevd.log 2>&1 || die "systemd-udevd failed: $(cat /tmp/udevd.log)"
udevadm trigger --action=add >/dev/null 2>&1
udevadm settle --timeout=30 || say "udevadm settle timed out"
say "udev ready; uptime $(cut -d' ' -f1 /proc/uptime) s"

keymapd-testbed run /scenarios
rc=$?
say "keymapd-testbed exited with $rc; uptime $(cut -d' ' -f1 /proc/uptime) s"
sync
poweroff -f
sleep 10
