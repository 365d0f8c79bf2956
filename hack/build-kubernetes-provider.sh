#!/usr/bin/env bash
# Builds the Pulumi kubernetes provider plugin (pulumi-resource-kubernetes)
# from its module source into .tools/pulumi-resource-kubernetes-<version>/
# and prints the binary's path. Skips the build when that binary exists.
#
# The module proxy serves the provider source only as the pseudo-version in
# versions.env (exactly tag v<PULUMI_KUBERNETES_PROVIDER_VERSION>). Its go.mod
# points the SDK at ../sdk, which a module download lacks, so the source is
# copied under .tools/src (gitignored, never committed), the replace is
# pointed at the released SDK of the same version, and `go generate` makes
# the schema files the binary embeds.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
. ./versions.env
. hack/lib.sh
version="${PULUMI_KUBERNETES_PROVIDER_VERSION:?missing from versions.env}"
module_version="${PULUMI_KUBERNETES_PROVIDER_MODULE_VERSION:?missing from versions.env}"
module="github.com/pulumi/pulumi-kubernetes/provider/v4"

out="$repo_root/.tools/pulumi-resource-kubernetes-${version}/pulumi-resource-kubernetes"
if [[ -x "$out" ]]; then
	echo "$out"
	exit 0
fi

echo "build-kubernetes-provider: fetching ${module}@${module_version}..." >&2
src_dir="$(module_dir "${module}@${module_version}")"
[[ -d "$src_dir" ]] || { echo "build-kubernetes-provider: download of ${module}@${module_version} failed" >&2; exit 1; }

work="$repo_root/.tools/src/pulumi-kubernetes-provider-${module_version}"
rm -rf "$work"
mkdir -p "$(dirname "$work")"
cp -r "$src_dir" "$work"
chmod -R u+w "$work"
(
	cd "$work"
	go mod edit -replace "github.com/pulumi/pulumi-kubernetes/sdk/v4=github.com/pulumi/pulumi-kubernetes/sdk/v4@v${version}"
	GOFLAGS=-mod=mod go mod download github.com/pulumi/pulumi-kubernetes/sdk/v4
	echo "build-kubernetes-provider: generating the embedded schema..." >&2
	# The generator (go run ./generate.go) imports pulumi's codegen/schema,
	# which the provider imports too: run with the build's flags below, its
	# packages are compiled once for both (with go run's defaults, cgo on
	# and no -trimpath, every one of them was compiled twice on a cold cache).
	(cd cmd/pulumi-resource-kubernetes && CGO_ENABLED=0 GOFLAGS="-mod=mod -trimpath -gcflags=${tool_gcflags}" VERSION="${version}" go generate ./...)
	echo "build-kubernetes-provider: building provider ${version} (about 20 CPU-minutes, 5 GB peak, on a cold cache)..." >&2
	mkdir -p "$(dirname "$out")"
	CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -gcflags "$tool_gcflags" \
		-ldflags "-s -w -X github.com/pulumi/pulumi-kubernetes/provider/v4/pkg/version.Version=${version}" \
		-o "$out.tmp" ./cmd/pulumi-resource-kubernetes
)
mv -f "$out.tmp" "$out"
rm -rf "$work"
echo "$out"
