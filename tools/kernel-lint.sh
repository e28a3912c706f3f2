#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# tools/kernel-lint.sh [KDIR]: lint edgebert.ko the way a DRM maintainer would.
#  - checkpatch.pl --strict, from Debian's linux-source-6.1 tarball (the
#    script and its data files are extracted once into a cache outside the
#    checkout);
#  - sparse (make C=2) and W=1, on every source file.
# Exits non-zero on any checkpatch message or any compiler/sparse warning.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
kdir=${1:-$(ls -d /lib/modules/6.1.*-amd64/build 2>/dev/null | sort -V | tail -n1)}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/edgebert/checkpatch-6.1
tarball=$(ls /usr/src/linux-source-6.1.tar.* 2>/dev/null | head -n1 || true)

if [ ! -x "$cache/scripts/checkpatch.pl" ]; then
	if [ -z "$tarball" ]; then
		echo "kernel-lint: no /usr/src/linux-source-6.1.tar.*; run as root:" >&2
		echo "  apt-get install linux-source-6.1" >&2
		exit 1
	fi
	mkdir -p "$cache"
	top_dir=$(tar -tf "$tarball" | head -n1 | cut -d/ -f1)
	tar -xf "$tarball" -C "$cache" --strip-components=1 \
		"$top_dir/scripts/checkpatch.pl" \
		"$top_dir/scripts/spelling.txt" \
		"$top_dir/scripts/const_structs.checkpatch"
fi

status=0
cd "$top"

echo "== checkpatch --strict"
cp="$cache/scripts/checkpatch.pl --strict --no-tree --terse --show-types"
# shellcheck disable=SC2046,SC2086
$cp -f $(ls kernel/*.c kernel/*.h) Kbuild || status=1
# uapi/ is include/uapi/ in-tree, where checkpatch knows BIT() is unusable.
# shellcheck disable=SC2086
$cp --ignore BIT_MACRO -f uapi/*.h || status=1

echo "== sparse + W=1"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! make -s -C "$kdir" M="$top" W=1 C=2 modules >"$log" 2>&1; then
	status=1
fi
if grep -E 'warning:|error:' "$log"; then
	status=1
else
	echo "no sparse or compiler warnings"
fi

[ $status = 0 ] && echo "kernel-lint: clean"
exit $status
