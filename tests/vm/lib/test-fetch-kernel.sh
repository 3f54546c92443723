#!/usr/bin/env bash
# Self-test of the harness's kernel unpacking (fetch_kernel in common.sh), on the
# host, without a VM or a download: fake kernel packages whose evdev and uinput
# modules are plain (.ko, Debian up to bookworm), xz- (.ko.xz, Debian trixie),
# zstd- (.ko.zst) and gzip-compressed (.ko.gz) must all give back the modules
# byte for byte, and the harness must install the decompressor when it is
# missing (here it is made to look missing, and the install is only recorded).
# Run by `cargo test -p keymapd-testbed` (tests/harness.rs); needs dpkg-deb,
# xz, zstd and gzip.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
T="$(mktemp -d "${TMPDIR:-/tmp}/keymapd-fetch-kernel.XXXXXX")"
trap 'rm -rf "$T"' EXIT
command -v dpkg-deb >/dev/null || {
	echo "test-fetch-kernel: dpkg-deb is missing (the harness needs it too)" >&2
	exit 1
}

KVER=6.99.0-1-amd64
printf 'not a kernel\n' >"$T/vmlinuz"
head -c 4096 /dev/urandom >"$T/evdev.ko"
head -c 3000 /dev/urandom >"$T/uinput.ko"

for comp in ko xz zst gz; do
	pkg="$T/pkg-$comp"
	mods="$pkg/lib/modules/$KVER/kernel/drivers/input"
	mkdir -p "$pkg/DEBIAN" "$pkg/boot" "$mods/misc"
	cat >"$pkg/DEBIAN/control" <<EOF
Package: linux-image-$KVER
Version: 6.99.0-1
Architecture: amd64
Maintainer: keymapd test <test@invalid>
Description: fake kernel package for tests/vm/lib/test-fetch-kernel.sh
EOF
	cp "$T/vmlinuz" "$pkg/boot/vmlinuz-$KVER"
	for m in evdev:"$mods" uinput:"$mods/misc"; do
		name="${m%%:*}" dir="${m#*:}"
		case "$comp" in
		ko) cp "$T/$name.ko" "$dir/$name.ko" ;;
		xz) xz -c "$T/$name.ko" >"$dir/$name.ko.xz" ;;
		zst) zstd -q -c "$T/$name.ko" >"$dir/$name.ko.zst" ;;
		gz) gzip -c "$T/$name.ko" >"$dir/$name.ko.gz" ;;
		esac
	done
	mkdir -p "$T/cache-$comp" "$T/out"
	dpkg-deb -Znone --build "$pkg" "$T/cache-$comp/linux-image-${KVER}_6.99.0-1_amd64.deb" >/dev/null
	(
		CACHE="$T/cache-$comp" OUT="$T/out" ROOT="$T" LOG=/dev/null
		# shellcheck source=tests/vm/lib/common.sh
		. "$HERE/common.sh"
		# No decompressor until the harness installs it (recorded, not done).
		installed=""
		have() {
			case "$1" in
			xz | zstd | gzip) case " $installed " in *" $1 "*) command -v "$1" >/dev/null ;; *) return 1 ;; esac ;;
			*) command -v "$1" >/dev/null 2>&1 ;;
			esac
		}
		install_packages() {
			echo "$*" >>"$T/installed-$comp"
			case "$*" in xz-utils) installed="$installed xz" ;; *) installed="$installed $*" ;; esac
		}
		fetch_kernel
		want="$(case "$comp" in xz) echo xz-utils ;; zst) echo zstd ;; gz) echo gzip ;; esac)"
		got="$(sort -u "$T/installed-$comp" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
		[ "$got" = "$want" ] || {
			echo "test-fetch-kernel: .$comp modules: installed '${got}', expected '${want}'" >&2
			exit 1
		}
		cmp "$VMLINUZ" "$T/vmlinuz"
		cmp "$MOD_EVDEV" "$T/evdev.ko"
		cmp "$MOD_UINPUT" "$T/uinput.ko"
		# Extracted once: a second call uses what is there.
		fetch_kernel
		cmp "$MOD_UINPUT" "$T/uinput.ko"
	) || {
		echo "test-fetch-kernel: modules packed as .$comp were not unpacked right" >&2
		exit 1
	}
done
echo "test-fetch-kernel: ok (.ko, .ko.xz, .ko.zst, .ko.gz)"
