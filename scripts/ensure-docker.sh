#!/usr/bin/env bash
# Make sure a Docker engine answers. A fresh build machine may have only the client and
# no engine running; as root on Debian we install docker.io and start dockerd.
# Anywhere else we say what is missing and change nothing.
set -euo pipefail

if docker info >/dev/null 2>&1; then
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "error: no Docker engine answers ('docker info' fails) and we are not root." >&2
  echo "       Install and start Docker (https://docs.docker.com/engine/install/), make sure" >&2
  echo "       your user may use it ('docker info' works), then run this again." >&2
  exit 1
fi
if ! grep -qs '^ID=debian' "${OS_RELEASE_FILE:-/etc/os-release}"; then
  echo "error: no Docker engine answers and this is not Debian, so we will not install one." >&2
  echo "       Install and start Docker for your system, then run this again." >&2
  exit 1
fi

if ! command -v dockerd >/dev/null 2>&1; then
  echo "==> No Docker engine answers: installing Debian's docker.io (about a minute)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io >/dev/null
fi

echo "==> Starting dockerd (log: /var/log/dockerd.log)"
nohup dockerd >/var/log/dockerd.log 2>&1 &
for _ in $(seq 1 60); do
  if docker info >/dev/null 2>&1; then
    exit 0
  fi
  sleep 1
done
echo "error: dockerd did not answer within 60 s; see /var/log/dockerd.log" >&2
exit 1
