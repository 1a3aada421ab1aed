#!/usr/bin/env bash
# `make demo` / `make demo-down`: one local Debian 12 container with systemd and sshd,
# provisioned with `ansible-playbook site.yml` over SSH exactly as a real server would be.
# Its ports are published on 127.0.0.1 at free ports Docker picks; .demo/state.json
# records them with the URLs so scripts (and inventory/demo) can find the host.
set -euo pipefail
cd "$(dirname "$0")/.."

container=flaskstack-demo
image=flaskstack-target:bookworm
state_dir=.demo
state=$state_dir/state.json

down() {
  docker rm -f "$container" >/dev/null 2>&1 || true
  rm -rf "$state_dir"
  echo "==> Demo host removed"
}

published_port() {
  docker port "$container" "$1/tcp" | head -n 1 | sed 's/.*://'
}

up() {
  mkdir -p "$state_dir"
  if ! docker container inspect "$container" >/dev/null 2>&1; then
    echo "==> Starting the demo host ($container, Debian 12 with systemd)"
    rm -f "$state_dir/known_hosts"
    # systemd as PID 1 without --privileged: why, and each setting, in molecule/README.md.
    docker run --detach --name "$container" --hostname "$container" \
      --cap-add SYS_ADMIN --cgroupns host \
      --volume /sys/fs/cgroup:/sys/fs/cgroup:rw \
      --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
      --security-opt seccomp=unconfined --security-opt apparmor=unconfined \
      --publish 127.0.0.1::22 --publish 127.0.0.1::80 --publish 127.0.0.1::443 \
      "$image" >/dev/null
  elif [ "$(docker container inspect -f '{{.State.Running}}' "$container")" != true ]; then
    docker start "$container" >/dev/null
  fi

  # A key for the demo only, installed the way a cloud image installs one at first boot.
  [ -f "$state_dir/id_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C flaskstack-demo -f "$state_dir/id_ed25519"
  docker exec -i "$container" sh -c \
    'mkdir -p -m 0700 /root/.ssh && cat >/root/.ssh/authorized_keys && chmod 0600 /root/.ssh/authorized_keys' \
    <"$state_dir/id_ed25519.pub"

  ssh_port=$(published_port 22)
  http_port=$(published_port 80)
  https_port=$(published_port 443)
  cat >"$state" <<JSON
{
  "container": "$container",
  "ssh_port": $ssh_port,
  "http_port": $http_port,
  "https_port": $https_port,
  "urls": ["https://localhost:$https_port/", "http://localhost:$http_port/"]
}
JSON

  echo "==> Waiting for sshd on 127.0.0.1:$ssh_port"
  for _ in $(seq 1 30); do
    if .venv/bin/ansible demo -i inventory/demo/hosts.yml -m ansible.builtin.ping >/dev/null 2>&1; then
      break
    fi
    sleep 1
  done

  echo "==> Provisioning the demo host over SSH: ansible-playbook -i inventory/demo site.yml"
  .venv/bin/ansible-playbook -i inventory/demo/hosts.yml site.yml

  echo "==> Checking the page through nginx"
  if ! curl --silent --show-error --fail --insecure --max-time 10 \
    "https://localhost:$https_port/" -o /dev/null; then
    echo "error: the demo host was provisioned but https://localhost:$https_port/ does not answer" >&2
    exit 1
  fi
  cat <<DONE

The demo is up (self-signed certificate: your browser will ask you to accept it):

    https://localhost:$https_port/
    http://localhost:$http_port/   (redirects to HTTPS)

SSH:    ssh -i $state_dir/id_ed25519 -p $ssh_port root@127.0.0.1
State:  $state
Remove: make demo-down
DONE
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
