# Sourced by bin/run and bin/test: a virtualenv in .venv with exactly requirements.lock installed.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  echo "› creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi
stamp=.venv/.requirements.lock.sha
want=$(sha256sum requirements.lock | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "› installing requirements.lock"
  .venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.lock
  echo "$want" > "$stamp"
fi
