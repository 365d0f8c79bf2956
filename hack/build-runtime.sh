#!/usr/bin/env bash
# Builds the sandbox's container runtime from the Go module proxy into
# .tools/, keyed by version, and prints one path per binary:
#
#   .tools/containerd-<CONTAINERD_VERSION>/{containerd,ctr,containerd-shim-runc-v2}
#   .tools/runc-<RUNC_VERSION>/runc
#
# Kubernetes 1.36's kubelet needs containerd 2.x, and Debian's packages are
# 1.6: both come from their modules instead (tools/containerd, tools/runc),
# with upstream's release tags and version variables. containerd and ctr
# are pure Go; the shim drops its gRPC server as upstream's does (no_grpc);
# runc needs cgo and libseccomp (Debian's libseccomp-dev and pkg-config)
# for its seccomp filters, and leaves out libpathrs (a Rust library).
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=/dev/null
. ./versions.env
. hack/lib.sh
for v in CONTAINERD_VERSION RUNC_VERSION; do
	[[ -n "${!v:-}" ]] || { echo "build-runtime: $v missing from versions.env" >&2; exit 1; }
done
require_pin tools/containerd github.com/containerd/containerd/v2 "$CONTAINERD_VERSION"
require_pin tools/runc github.com/opencontainers/runc "$RUNC_VERSION"

containerd_dir="$repo_root/.tools/containerd-${CONTAINERD_VERSION}"
runc_dir="$repo_root/.tools/runc-${RUNC_VERSION}"
pkg=github.com/containerd/containerd/v2
containerd_ldflags="-s -w -X ${pkg}/version.Version=${CONTAINERD_VERSION} -X ${pkg}/version.Package=${pkg}"
containerd_tags="urfave_cli_no_docs no_devmapper no_zfs no_tracing"

if [[ ! -x "$containerd_dir/containerd" || ! -x "$containerd_dir/ctr" ]]; then
	echo "build-runtime: building containerd, ctr (${CONTAINERD_VERSION})..." >&2
	go_build_many "$containerd_dir" tools/containerd "$containerd_ldflags" "$containerd_tags" \
		"${pkg}/cmd/containerd" "${pkg}/cmd/ctr"
fi
[[ -x "$containerd_dir/containerd-shim-runc-v2" ]] ||
	go_build_atomic "$containerd_dir/containerd-shim-runc-v2" tools/containerd "${pkg}/cmd/containerd-shim-runc-v2" \
		"$containerd_ldflags" "$containerd_tags no_grpc"
if [[ ! -x "$runc_dir/runc" ]]; then
	command -v gcc >/dev/null && pkg-config --exists libseccomp 2>/dev/null || {
		echo "build-runtime: runc needs gcc, pkg-config and libseccomp (apt-get install gcc pkg-config libseccomp-dev)" >&2
		exit 1
	}
	BUILD_CGO=1 go_build_atomic "$runc_dir/runc" tools/runc github.com/opencontainers/runc \
		"-s -w -X main.version=${RUNC_VERSION#v}" "seccomp urfave_cli_no_docs"
fi
for b in containerd ctr containerd-shim-runc-v2; do echo "$containerd_dir/$b"; done
echo "$runc_dir/runc"
