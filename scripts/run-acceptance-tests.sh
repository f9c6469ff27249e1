#!/usr/bin/env bash
# Runs the acceptance tests (test/acceptance, pytest): the real OpenTofu CLI installing providers through
# the product behind real web servers with TLS, out of Debian's docker-registry. Builds the client tools
# first (scripts/build-test-tools.sh, cached). Extra arguments go to pytest (e.g. -k apache, -x).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -x build/oci-distribution-terraform-registry ] || make -s all

tool_settings=$(scripts/build-test-tools.sh)
while IFS='=' read -r name value; do export "$name=$value"; done <<<"$tool_settings"
echo "acceptance: OpenTofu $OTR_TOFU_VERSION ($OTR_TOFU)" >&2

python=python3
"$python" -c 'import pytest' 2>/dev/null || python=/usr/bin/python3
exec "$python" -m pytest -q -rfE -p no:cacheprovider test/acceptance "$@"
