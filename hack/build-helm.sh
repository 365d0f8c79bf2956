#!/usr/bin/env bash
# Builds Helm v4 (cmd/helm) from the pinned wrapper module tools/helm
# into .tools/helm-<version>/helm and prints the binary's absolute path,
# so callers can do: HELM_BIN="$(hack/build-helm.sh)".
#
# The version comes from versions.env (HELM_VERSION); tools/helm/go.mod
# must require the same version (checked below) so the two cannot drift.
# A binary that already exists is reused: the path is keyed by version.
# Progress goes to stderr; stdout carries only the path.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# shellcheck source=/dev/null
. ./versions.env
: "${HELM_VERSION:?HELM_VERSION missing from versions.env}"

. hack/lib.sh
require_pin tools/helm helm.sh/helm/v4 "$HELM_VERSION"
out="$repo_root/.tools/helm-${HELM_VERSION}/helm"
if [[ ! -x "$out" ]]; then
	# Helm's own release flags (static, trimmed, -s -w): version feeds
	# `helm version` and the User-Agent. Helm 4 reads the Kubernetes
	# version that `helm template` assumes from its client-go in the
	# binary's build information, so no other flag is needed.
	go_build_atomic "$out" tools/helm helm.sh/helm/v4/cmd/helm \
		"-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}"
fi
echo "$out"
