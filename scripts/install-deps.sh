#!/usr/bin/env bash
# Installs, from Debian's packages, everything the project needs to build, run its tests and its demo.
# Safe to repeat: it only calls apt-get when something is missing.
set -euo pipefail

packages=(
  g++ make pkg-config
  libfcgi-dev libfcgi-bin libcurl4-openssl-dev libssl-dev libcjson-dev libzip-dev zlib1g-dev
  libboost-program-options-dev libboost-test-dev libgpgme-dev gnupg
  # make deb (dpkg-deb, dpkg-shlibdeps, help2man, lintian) and the package's own dependency
  dpkg-dev help2man lintian adduser
  # make fuzz and make fuzz-smoke: clang with libFuzzer and the ASan/UBSan runtimes (compiler-rt)
  clang-14 libclang-rt-14-dev
  # integration tests, demo and benchmarks
  docker-registry nginx-light lighttpd lighttpd-mod-openssl apache2 libapache2-mod-fcgid libapache2-mod-xsendfile apache2-utils
  wrk curl openssl python3 python3-pytest python3-prometheus-client
  # the catalogue's browser tests (test/integration/test_catalogue.py)
  chromium
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# Debian's web-server packages start their service on install; tests start their own on free ports.
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
  $sudo chmod 0755 /usr/sbin/policy-rc.d
  trap '$sudo rm -f /usr/sbin/policy-rc.d' EXIT
fi
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
