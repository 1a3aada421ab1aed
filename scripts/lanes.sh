#!/usr/bin/env bash
# `make test`'s long half: commands in lanes that run at the same time, each line of a
# lane's output prefixed with its name, then one line per lane saying how it ended.
#
#   scripts/lanes.sh NAME=COMMAND [NAME=COMMAND ...]
#
# Why lanes: an Ansible run keeps about one of a machine's cores busy (the controller's
# loop, one host's module at a time), so one scenario after another leaves the second core
# mostly idle. The lanes share nothing: each Molecule scenario, the demo and the bench
# make containers and networks of their own names, Docker picks their host ports, and
# the controller's wheelhouse cache is safe for two runs at once. Every lane runs to its
# end even when another fails, so one CI run reports every failure. The whole output of
# lane NAME is also in .cache/lanes/NAME.log.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=.cache/lanes
mkdir -p "$logs"
# A lane that dies before it ends writes no status: never read the last run's.
rm -f "$logs"/*.status

names=()
for lane in "$@"; do
  name=${lane%%=*}
  command=${lane#*=}
  echo "==> lane $name: $command"
  (
    started=$SECONDS
    # The lane's lines as they come, each marked with the lane it belongs to.
    bash -c "$command" 2>&1 | tee "$logs/$name.log" | sed -u "s/^/[$name] /"
    echo "${PIPESTATUS[0]} $((SECONDS - started))" >"$logs/$name.status"
  ) &
  names+=("$name")
done
wait

failed=0
for name in "${names[@]}"; do
  read -r status took <"$logs/$name.status" 2>/dev/null || status=killed took=?
  if [ "$status" = 0 ]; then
    echo "==> lane $name: passed in $took s"
  else
    failed=1
    echo "==> lane $name FAILED (exit $status) after $took s; its whole output is in $logs/$name.log; its end:"
    tail -n 60 "$logs/$name.log"
  fi
done
exit "$failed"
