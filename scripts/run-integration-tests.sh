#!/usr/bin/env bash
# Runs the integration tests (test/integration, pytest) against real servers on loopback ports.
# Extra arguments go to pytest (e.g. -k nginx, -x).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/oci-distribution-terraform-registry ] || make -s all

# The machine's python3 if it has pytest, else Debian's (python3-pytest, from install-deps.sh).
python=python3
"$python" -c 'import pytest' 2>/dev/null || python=/usr/bin/python3
exec "$python" -m pytest -q -rfE -p no:cacheprovider test/integration "$@"
