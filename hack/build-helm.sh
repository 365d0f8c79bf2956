#!/usr/bin/env bash
# Builds Helm v3 (cmd/helm) from the pinned wrapper module tools/helm
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
require_pin tools/helm helm.sh/helm/v3 "$HELM_VERSION"
out="$repo_root/.tools/helm-${HELM_VERSION}/helm"
if [[ ! -x "$out" ]]; then
	# Helm's own release flags (static, trimmed, -s -w): version feeds
	# `helm version` and the User-Agent; the Kubernetes version that
	# `helm template` and `helm lint` assume (.Capabilities.KubeVersion,
	# without --kube-version) is derived, as Helm's Makefile does, from the
	# client-go it builds with (v0.<minor>.x is Kubernetes v1.<minor>);
	# left unset it would be Helm's fallback, v1.20.
	client_go="$(cd tools/helm && go list -mod=readonly -m -f '{{.Version}}' k8s.io/client-go)"
	IFS=. read -r k8s_major k8s_minor _ <<<"${client_go#v}"
	k8s_major=$((k8s_major + 1))
	ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
	for pkg in pkg/lint/rules pkg/chartutil; do
		ldflags+=" -X helm.sh/helm/v3/${pkg}.k8sVersionMajor=${k8s_major}"
		ldflags+=" -X helm.sh/helm/v3/${pkg}.k8sVersionMinor=${k8s_minor}"
	done
	go_build_atomic "$out" tools/helm helm.sh/helm/v3/cmd/helm "$ldflags"
fi
echo "$out"
