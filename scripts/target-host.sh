#!/usr/bin/env bash
# A local Debian container that stands in for a server: systemd as PID 1, sshd, and one
# SSH key installed the way a cloud image installs one at first boot. `make demo`
# (scripts/demo.sh) and `make bench` (bench/) make every local host this way and then
# provision it over SSH, exactly as real servers are.
#
#   start NAME IMAGE PUBLIC_KEY [DOCKER_RUN_ARG ...]   start it unless it runs already
#   authorize NAME PUBLIC_KEY                          let PUBLIC_KEY in as root (start does it;
#                                                      for containers made otherwise, as Molecule's)
#   port NAME PORT                                     the host port Docker published for PORT/tcp
#   ssh-config FILE KEY NAME ...                       write an ssh_config that reaches each NAME
#   wait INVENTORY                                     wait (30 s at most) until sshd answers on every
#                                                      host site.yml provisions (web, app, db)
set -euo pipefail
cd "$(dirname "$0")/.."

# NET_ADMIN is for nftables. Why each setting (and why not --privileged): molecule/README.md.
# Port 22 is published on 127.0.0.1 at a free port Docker picks; the caller publishes others.
start() {
  local name=$1 image=$2 public_key=$3
  shift 3
  if ! docker container inspect "$name" >/dev/null 2>&1; then
    echo "==> Starting $name ($image, with systemd)"
    docker run --detach --name "$name" --hostname "$name" \
      --cap-add SYS_ADMIN --cap-add NET_ADMIN --cgroupns host --stop-signal SIGRTMIN+3 \
      --volume /sys/fs/cgroup:/sys/fs/cgroup:rw \
      --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --publish 127.0.0.1::22 "$@" "$image" >/dev/null
  elif [ "$(docker container inspect -f '{{.State.Running}}' "$name")" != true ]; then
    docker start "$name" >/dev/null
  fi
  authorize "$name" "$public_key"
}

authorize() {
  docker exec -i "$1" sh -c \
    'mkdir -p -m 0700 /root/.ssh && cat >/root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys' \
    <"$2"
}

port() {
  docker port "$1" "$2/tcp" | head -n 1 | sed 's/.*://'
}

# Each host is reached by its own name, as servers usually are, through an ssh_config file
# (ssh -F FILE NAME). The inventory then sets no port: a port templated from
# inventory_hostname would be the delegating host's under delegate_to, and reach the
# wrong container.
ssh_config() {
  local file=$1 key=$2 name
  shift 2
  key=$(realpath "$key")
  {
    echo "# Written by scripts/target-host.sh: how to reach each local host over SSH."
    for name in "$@"; do
      cat <<CONFIG
Host $name
  HostName 127.0.0.1
  Port $(port "$name" 22)
  User root
  IdentityFile $key
  IdentitiesOnly yes
  UserKnownHostsFile $(dirname "$key")/known_hosts
  StrictHostKeyChecking accept-new
CONFIG
    done
  } >"$file.part"
  mv "$file.part" "$file"
}

wait_for_ssh() {
  for _ in $(seq 1 30); do
    if .venv/bin/ansible "web:app:db" -i "$1" -m ansible.builtin.ping >/dev/null 2>&1; then
      return 0
    fi
    sleep 1
  done
  echo "error: sshd does not answer on every host of $1 after 30 s" >&2
  .venv/bin/ansible "web:app:db" -i "$1" -m ansible.builtin.ping >&2 || true
  exit 1
}

case "${1:-}" in
  start) shift; start "$@" ;;
  authorize) shift; authorize "$@" ;;
  port) shift; port "$@" ;;
  ssh-config) shift; ssh_config "$@" ;;
  wait) shift; wait_for_ssh "$@" ;;
  *) echo "usage: $0 start NAME IMAGE PUBLIC_KEY [DOCKER_RUN_ARG ...] | authorize NAME PUBLIC_KEY | port NAME PORT | ssh-config FILE KEY NAME ... | wait INVENTORY" >&2; exit 2 ;;
esac
