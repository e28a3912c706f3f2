#!/bin/sh
# Install the Debian 12 packages the build and the tests need.
# As root: installs what is missing. Otherwise: prints the apt-get line, fails.
set -eu

PACKAGES="
gcc make pkg-config
libdrm-dev libnl-genl-3-dev liburing-dev check libsubunit-dev
linux-image-amd64 linux-headers-amd64 kmod
qemu-system-x86 busybox-static cpio zstd xz-utils
dpkg-dev ninja-build meson libglib2.0-dev libpixman-1-dev libfdt-dev flex bison python3
sparse iproute2
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "edgebert: missing Debian packages; run as root:" >&2
	echo "  apt-get install --no-install-recommends$missing" >&2
	exit 1
fi
echo "edgebert: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2 || true
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
