#!/usr/bin/env bash
# Build a Debian target image with systemd, sshd, sudo and python3 from Debian's archive.
#
# No container registry is needed: images are made with debootstrap from Debian's
# archive and `docker import`, never pulled (see molecule/README.md). An image that
# already exists, built from the same recipe (this script), is left alone.
#
# Usage: scripts/build-target-image.sh bookworm|trixie [IMAGE_NAME]
set -euo pipefail

suite=${1:?usage: $0 bookworm|trixie [image]}
image=${2:-flaskstack-target:${suite}}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}

case "$suite" in
  bookworm | trixie) ;;
  *) echo "error: suite must be bookworm or trixie, got '$suite'" >&2; exit 2 ;;
esac

# The image carries the checksum of this script: a changed recipe means a rebuild.
recipe=$(sha256sum "$0" | cut -c1-16)
if [ "$(docker image inspect -f '{{ index .Config.Labels "flaskstack.recipe" }}' "$image" 2>/dev/null)" = "$recipe" ]; then
  echo "==> Target image $image is up to date"
  exit 0
fi

if ! command -v debootstrap >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "error: debootstrap is needed to build $image; install it (apt-get install debootstrap)" >&2
    exit 1
  fi
  echo "==> Installing debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
fi

rootfs=$(mktemp -d "${TMPDIR:-/tmp}/rootfs-${suite}.XXXXXX")
trap 'rm -rf "$rootfs"' EXIT

echo "==> Building target image $image from Debian $suite (debootstrap, about a minute)"
debootstrap --variant=minbase \
  --include=systemd,systemd-sysv,dbus,python3,python3-apt,iproute2,ca-certificates,openssh-server,sudo \
  "$suite" "$rootfs" "$mirror" >"$rootfs.log" 2>&1 || {
  echo "error: debootstrap failed; last lines of its log:" >&2
  tail -n 20 "$rootfs.log" >&2
  exit 1
}
rm -f "$rootfs.log"

# Point apt at the same mirror, drop services a container does not need, and let
# systemd start sshd. Host keys are generated at first boot, not baked into the image.
echo "deb $mirror $suite main" >"$rootfs/etc/apt/sources.list"
rm -f "$rootfs"/etc/ssh/ssh_host_*
mkdir -p "$rootfs/etc/systemd/system/ssh.service.d"
cat >"$rootfs/etc/systemd/system/ssh.service.d/hostkeys.conf" <<'UNIT'
[Service]
ExecStartPre=
ExecStartPre=/usr/bin/ssh-keygen -A
ExecStartPre=/usr/sbin/sshd -t
UNIT
for unit in systemd-resolved.service systemd-timesyncd.service getty@tty1.service \
  console-getty.service systemd-logind.service; do
  ln -sf /dev/null "$rootfs/etc/systemd/system/$unit"
done
: >"$rootfs/etc/machine-id"

tar -C "$rootfs" -c . | docker import -c 'CMD ["/lib/systemd/systemd"]' \
  -c "LABEL flaskstack.recipe=$recipe" - "$image" >/dev/null
echo "==> Built $image"
