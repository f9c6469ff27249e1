#!/usr/bin/env bash
# Builds the client-side tools the acceptance tests drive, from Go modules only (the ordinary Go module
# proxy; nothing from release download sites), and caches each build by the hash of its module files
# and the Go version, so later runs take seconds.
#
#   test/tools/opentofu/         the OpenTofu CLI (its version is the one require line of that go.mod)
#   test/tools/terraform/        HashiCorp Terraform v1.5.7, the last MPL-licensed release
#   test/tools/provider-widget/  terraform-provider-widget, a small real provider for `tofu apply`
#   test/tools/oras/             the oras CLI, to read back what `push` wrote (integration tests)
#
# Usage: scripts/build-test-tools.sh [opentofu] [terraform] [provider-widget] [oras]   (default: all of them)
#
# Prints shell assignments for the test runner on stdout, progress on stderr:
#   OTR_TOFU=/path/to/tofu
#   OTR_TOFU_VERSION=v1.12.6
#   OTR_TERRAFORM=/path/to/terraform
#   OTR_WIDGET_PROVIDER=/path/to/terraform-provider-widget   (built for this machine's os_arch)
#   OTR_ORAS=/path/to/oras
# Cache: $OTR_TOOLS_CACHE, default ${XDG_CACHE_HOME:-~/.cache}/oci-distribution-terraform-registry/tools.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache=${OTR_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/oci-distribution-terraform-registry/tools}
mkdir -p "$cache"
command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || PATH=$PATH:/usr/local/go/bin
command -v go >/dev/null || { echo "build-test-tools: Go is needed to build the test tools (https://go.dev/doc/install)" >&2; exit 1; }

# build NAME PACKAGE OUTPUT_NAME: builds PACKAGE in module test/tools/NAME unless an identical build is cached;
# prints the binary's path.
build() {
  local name=$1 package=$2 output=$3 dir=test/tools/$1 key target started
  key=$( (cd "$dir" && cat go.mod go.sum $(find . -name '*.go' | sort); go version) | sha256sum | cut -c1-16)
  target=$cache/$name-$key/$output
  if [ ! -x "$target" ]; then
    echo "build-test-tools: building $name (first run on this machine: a few minutes)..." >&2
    started=$SECONDS
    mkdir -p "$cache/$name-$key"
    (cd "$dir" && CGO_ENABLED=0 go build -trimpath -o "$target.partial" "$package")
    mv "$target.partial" "$target"
    echo "build-test-tools: built $name in $((SECONDS - started)) s -> $target" >&2
  fi
  echo "$target"
}

wanted=" ${*:-opentofu terraform provider-widget oras} "
if [[ $wanted == *" opentofu "* ]]; then
  tofu_version=$(awk '$1 == "require" && $2 == "github.com/opentofu/opentofu" { print $3 }' test/tools/opentofu/go.mod)
  tofu=$(build opentofu github.com/opentofu/opentofu/cmd/tofu tofu)
  echo "OTR_TOFU=$tofu"
  echo "OTR_TOFU_VERSION=$tofu_version"
fi
if [[ $wanted == *" terraform "* ]]; then
  terraform=$(build terraform github.com/hashicorp/terraform terraform)
  echo "OTR_TERRAFORM=$terraform"
fi
if [[ $wanted == *" provider-widget "* ]]; then
  widget=$(build provider-widget . terraform-provider-widget)
  echo "OTR_WIDGET_PROVIDER=$widget"
fi
if [[ $wanted == *" oras "* ]]; then
  oras=$(build oras oras.land/oras/cmd/oras oras)
  echo "OTR_ORAS=$oras"
fi
