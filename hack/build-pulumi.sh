#!/usr/bin/env bash
# Builds the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) from the
# pinned wrapper module tools/pulumi into .tools/pulumi-<version>/bin/pulumi and
# prints the binary's path. Skips the build when that binary exists.
#
# The wrapper repeats pkg/v3's clipboard replace (a dependency's replace
# directives are ignored). The version is linked in with -X: without it the
# Automation API cannot parse `pulumi version` and refuses to destroy.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
. ./versions.env
: "${PULUMI_CLI_VERSION:?PULUMI_CLI_VERSION missing from versions.env}"

wrapper_dir="tools/pulumi"
if ! grep -Eq "^[[:space:]]*github.com/pulumi/pulumi/pkg/v3 ${PULUMI_CLI_VERSION}([[:space:]]|$)" "$wrapper_dir/go.mod"; then
	echo "build-pulumi: $wrapper_dir/go.mod does not require pkg/v3 ${PULUMI_CLI_VERSION} (versions.env)" >&2
	exit 1
fi

# bin/ is the layout the Automation API expects under a CLI root.
out="$repo_root/.tools/pulumi-${PULUMI_CLI_VERSION}/bin/pulumi"
if [[ -x "$out" ]]; then
	echo "$out"
	exit 0
fi
mkdir -p "$(dirname "$out")"
tmp="$(mktemp "$(dirname "$out")/.pulumi.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
echo "build-pulumi: building the Pulumi CLI ${PULUMI_CLI_VERSION} (about 12 CPU-minutes on a cold cache)..." >&2
(
	cd "$wrapper_dir"
	CGO_ENABLED=0 go build -mod=readonly -trimpath \
		-ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_CLI_VERSION}" \
		-o "$tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
)
chmod 0755 "$tmp"
mv -f "$tmp" "$out"
trap - EXIT
echo "$out"
