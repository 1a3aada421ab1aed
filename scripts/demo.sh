#!/usr/bin/env bash
# `make demo`, `make demo-fleet`, `make demo-down`: local Debian containers with systemd
# and sshd, provisioned with `ansible-playbook site.yml` over SSH exactly as real servers
# are. Their ports are published on 127.0.0.1 at free ports Docker picks; a state file in
# .demo/ records them with the URL, so scripts and the inventories can find the hosts.
#
#   up      one host carrying every tier (inventory/demo, .demo/state.json)
#   fleet   a web host, two app hosts (Debian 12 and 13) and a db host
#           (inventory/fleet, .demo/fleet.json)
#   down    remove every demo host
set -euo pipefail
cd "$(dirname "$0")/.."

state_dir=.demo
key=$state_dir/id_ed25519

# Each host is made by scripts/target-host.sh, as `make bench` makes its own.
start_host() {
  local name=$1 image=$2
  shift 2
  scripts/target-host.sh start "$name" "$image" "$key.pub" "$@"
}

published_port() {
  scripts/target-host.sh port "$1" "$2"
}

prepare() {
  mkdir -p "$state_dir"
  [ -f "$key" ] || ssh-keygen -q -t ed25519 -N '' -C flaskstack-demo -f "$key"
}

# Wait for sshd on every host of the inventory, then provision them all with site.yml.
provision() {
  local inventory=$1
  echo "==> Waiting for sshd on the demo hosts"
  scripts/target-host.sh wait "$inventory"
  echo "==> Provisioning over SSH: ansible-playbook -i $inventory site.yml"
  .venv/bin/ansible-playbook -i "$inventory" site.yml
}

check_page() {
  echo "==> Checking the page through nginx"
  if ! curl --silent --show-error --fail --insecure --max-time 10 "$1" -o /dev/null; then
    echo "error: the demo was provisioned but $1 does not answer" >&2
    exit 1
  fi
}

up() {
  local container=flaskstack-demo
  prepare
  docker container inspect "$container" >/dev/null 2>&1 || rm -f "$state_dir/known_hosts"
  start_host "$container" flaskstack-target:bookworm --publish 127.0.0.1::80 --publish 127.0.0.1::443
  local ssh_port http_port https_port
  ssh_port=$(published_port "$container" 22)
  http_port=$(published_port "$container" 80)
  https_port=$(published_port "$container" 443)
  cat >"$state_dir/state.json" <<JSON
{
  "container": "$container",
  "ssh_port": $ssh_port,
  "http_port": $http_port,
  "https_port": $https_port,
  "urls": ["https://localhost:$https_port/", "http://localhost:$http_port/"]
}
JSON
  provision inventory/demo/hosts.yml
  check_page "https://localhost:$https_port/"
  cat <<DONE

The demo is up (self-signed certificate: your browser will ask you to accept it):

    https://localhost:$https_port/
    http://localhost:$http_port/   (redirects to HTTPS)

SSH:    ssh -i $key -p $ssh_port -o UserKnownHostsFile=$state_dir/known_hosts root@127.0.0.1
State:  $state_dir/state.json
Remove: make demo-down
DONE
}

fleet() {
  local web=flaskstack-demo-web app1=flaskstack-demo-app1 app2=flaskstack-demo-app2 db=flaskstack-demo-db
  prepare
  docker container inspect "$web" >/dev/null 2>&1 || rm -f "$state_dir/known_hosts"
  start_host "$web" flaskstack-target:bookworm --publish 127.0.0.1::80 --publish 127.0.0.1::443
  start_host "$app1" flaskstack-target:bookworm
  start_host "$app2" flaskstack-target:trixie
  start_host "$db" flaskstack-target:bookworm
  local http_port https_port
  http_port=$(published_port "$web" 80)
  https_port=$(published_port "$web" 443)
  cat >"$state_dir/fleet.json" <<JSON
{
  "url": "https://localhost:$https_port/",
  "http_port": $http_port,
  "https_port": $https_port,
  "inventory": "inventory/fleet",
  "containers": {"web": ["$web"], "app": ["$app1", "$app2"], "db": ["$db"]},
  "ssh_ports": {
    "$web": $(published_port "$web" 22),
    "$app1": $(published_port "$app1" 22),
    "$app2": $(published_port "$app2" 22),
    "$db": $(published_port "$db" 22)
  }
}
JSON
  scripts/target-host.sh ssh-config "$state_dir/ssh_config" "$key" "$web" "$app1" "$app2" "$db"
  provision inventory/fleet
  check_page "https://localhost:$https_port/"
  cat <<DONE

The fleet is up: nginx on $web balances over $app1 (Debian 12) and $app2
(Debian 13), which keep their notes in PostgreSQL on $db.

    https://localhost:$https_port/   (self-signed certificate)

SSH:    ssh -F $state_dir/ssh_config $web  (or $app1, $app2, $db)
Deploy: .venv/bin/ansible-playbook -i inventory/fleet playbooks/deploy.yml
Remove: make demo-down
DONE
}

down() {
  docker rm -f flaskstack-demo flaskstack-demo-web flaskstack-demo-app1 flaskstack-demo-app2 \
    flaskstack-demo-db >/dev/null 2>&1 || true
  rm -rf "$state_dir"
  echo "==> Demo hosts removed"
}

case "${1:-}" in
  up) up ;;
  fleet) fleet ;;
  down) down ;;
  *) echo "usage: $0 up|fleet|down" >&2; exit 2 ;;
esac
