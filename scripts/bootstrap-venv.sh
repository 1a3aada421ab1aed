#!/usr/bin/env bash
# Create or refresh the project's virtualenv (.venv) from the pinned requirements.txt.
# A stamp holding the requirements' checksum makes a second run instant.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=.venv
stamp=$venv/.requirements.sha256
want=$(sha256sum requirements.txt | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi

if ! python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: Python 3.11 or newer is needed on the controller (python3 is $(python3 --version 2>&1))" >&2
  exit 1
fi
if ! python3 -m venv --help >/dev/null 2>&1; then
  echo "error: python3 cannot create virtualenvs; install it (apt-get install python3-venv)" >&2
  exit 1
fi

echo "==> Installing pinned controller tools into $venv (about 30 s)"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
echo "$want" >"$stamp"
