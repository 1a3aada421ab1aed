#!/usr/bin/env bash
# `make molecule`: `molecule test` for each scenario named, in turn, stopping at the first
# that fails. Each scenario's output is kept in .cache/molecule-logs/<scenario>.log. When a
# scenario fails, the failed tests and their assertion lines are printed again last:
# Molecule's destroy step comes after the verifier, and a CI log is often read from its
# end, where they would otherwise be hundreds of lines up.
set -uo pipefail
cd "$(dirname "$0")/.."
logs=.cache/molecule-logs
mkdir -p "$logs"
# Molecule and pytest wrap their lines at the terminal's width, 80 columns when the output
# is a pipe (tee, a CI log): then a failed test's name is cut over several lines.
if [ -t 1 ]; then export COLUMNS="${COLUMNS:-$(tput cols)}"; else export COLUMNS=200; fi

for scenario in "$@"; do
  echo "==> molecule test -s $scenario"
  started=$SECONDS
  molecule test -s "$scenario" 2>&1 | tee "$logs/$scenario.log"
  if [ "${PIPESTATUS[0]}" -ne 0 ]; then
    echo "==> molecule test -s $scenario FAILED after $((SECONDS - started)) s; the whole output is in $logs/$scenario.log"
    # pytest's short summary (FAILED or ERROR and a test; not Ansible's "FAILED -
    # RETRYING"), then the first assertion lines pytest printed; read without colours and
    # without the frame Molecule draws around each step.
    plain=$(sed -E 's/\x1b\[[0-9;]*m//g; s/^ *│ ?//' "$logs/$scenario.log")
    grep -E '^(FAILED|ERROR) [^- ]' <<<"$plain" || true
    grep -E '^E ' <<<"$plain" | head -40 || true
    exit 1
  fi
  echo "==> molecule test -s $scenario: passed in $((SECONDS - started)) s"
done
