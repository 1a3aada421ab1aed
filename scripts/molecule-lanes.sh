#!/usr/bin/env bash
# `make molecule`: every Molecule scenario, in lanes that run side by side.
#
#   scripts/molecule-lanes.sh fleet:database:default releases:acme:nginx_failsafe
#   scripts/molecule-lanes.sh --check LANE...   (only: does every scenario have a lane?)
#
# Each argument is a lane: its scenarios, separated by colons, run one after the other;
# the lanes run at once. One scenario leaves much of a two-core machine idle (its
# playbooks wait on the hosts, its tests on requests), so two lanes take about the time
# of the longer one. Scenarios can share the machine because each has its own Docker
# network and container names, and host ports are picked at run time.
#
# Each scenario's output goes to .molecule-logs/<scenario>.log; a failed one's end is
# printed here. Every scenario must be in a lane: one left out would never run.
set -euo pipefail
cd "$(dirname "$0")/.."

check_only=
if [ "${1:-}" = --check ]; then
  check_only=1
  shift
fi
if [ $# -eq 0 ]; then
  echo "usage: $0 [--check] LANE... (each lane: scenario:scenario...)" >&2
  exit 2
fi

listed=$(printf '%s\n' "$@" | tr ':' '\n' | sort)
present=$(find molecule -mindepth 2 -maxdepth 2 -name molecule.yml | cut -d/ -f2 | sort)
if [ "$listed" != "$present" ]; then
  echo "MOLECULE_LANES must name every scenario in molecule/ exactly once." >&2
  diff <(echo "$present") <(echo "$listed") | sed -n 's/^< /  in no lane: /p; s/^> /  not a scenario, or twice: /p' >&2 || true
  exit 2
fi
[ -z "$check_only" ] || exit 0

logs=.molecule-logs
mkdir -p "$logs"

run_lane() {
  local scenario started
  for scenario in ${1//:/ }; do
    started=$SECONDS
    echo "==> molecule test -s $scenario: started (log: $logs/$scenario.log)"
    if molecule test -s "$scenario" >"$logs/$scenario.log" 2>&1; then
      echo "==> molecule test -s $scenario: passed in $((SECONDS - started)) s"
    else
      echo "==> molecule test -s $scenario: FAILED after $((SECONDS - started)) s"
      echo "$scenario" >>"$logs/failed"
      return 1
    fi
  done
}

rm -f "$logs/failed"
started=$SECONDS
pids=()
for lane in "$@"; do
  run_lane "$lane" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done

if [ "$status" -ne 0 ]; then
  while read -r scenario; do
    echo
    echo "==> The end of $logs/$scenario.log:"
    tail -n 200 "$logs/$scenario.log"
  done <"$logs/failed"
  exit 1
fi
echo "==> Every scenario passed, in $((SECONDS - started)) s"
