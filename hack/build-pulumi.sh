#!/usr/bin/env bash
# Builds the Pulumi CLI (github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) from the
# pinned wrapper module tools/pulumi into .tools/pulumi-<version>/bin/pulumi
# (bin/ is the layout the Automation API expects under a CLI root) and prints
# the binary's path. Skips the build when that binary exists.
#
# The wrapper repeats pkg/v3's clipboard replace (a dependency's replace
# directives are ignored). The version is linked in with -X: without it the
# Automation API cannot parse `pulumi version` and refuses to destroy.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
. ./versions.env
. hack/lib.sh
: "${PULUMI_CLI_VERSION:?PULUMI_CLI_VERSION missing from versions.env}"

require_pin tools/pulumi github.com/pulumi/pulumi/pkg/v3 "$PULUMI_CLI_VERSION"
out="$repo_root/.tools/pulumi-${PULUMI_CLI_VERSION}/bin/pulumi"
if [[ ! -x "$out" ]]; then
	go_build_atomic "$out" tools/pulumi github.com/pulumi/pulumi/pkg/v3/cmd/pulumi \
		"-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=${PULUMI_CLI_VERSION}"
fi
echo "$out"
