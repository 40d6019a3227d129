#!/usr/bin/env bash
# Installs a hash lock into a virtualenv exactly as it is written, then checks that it is whole.
#
#   scripts/install_lock.sh VENV LOCK [--exact]
#
# Nothing is resolved again: the lock names every package of the tree with its hashes, so uv
# takes those files and no others (`pip sync`, or `pip install --no-deps`). A resolver that goes
# back to the index takes a newer release than the lock pins as soon as one appears: pip 23.2
# re-resolved pytest-cov's `coverage[toml]` against coverage 7.18 on 2026-12-06 and refused the
# whole install. `uv pip check` then proves the tree complete: a dependency the lock lacks fails
# here, not at import.
# --exact (a lock of the whole environment, the dev lock) also removes what the lock no longer
# has; without it the install only adds (the runtime lock, a subset of the dev lock).
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 || ( $# -eq 3 && $3 != --exact ) ]]; then
  echo "usage: $0 VENV LOCK [--exact]" >&2
  exit 2
fi
venv=$1 lock=$2
python="$venv/bin/python"
uv="$venv/bin/uv"

if [[ ${3:-} == --exact ]]; then
  "$uv" pip sync --quiet --python "$python" --require-hashes "$lock"
else
  "$uv" pip install --quiet --python "$python" --no-deps --require-hashes -r "$lock"
fi
"$uv" pip check --quiet --python "$python"
