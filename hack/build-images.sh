#!/usr/bin/env bash
# Builds the images the sandbox runs into .tools/images/<name>.tar (one
# tarball per hack/sandbox/images/<name>.json) and prints their paths;
# hack/sandbox.sh imports them into the sandbox's containerd, as
# `kind load` or `minikube image load` would. Nothing is pulled: no
# registry can be reached here.
#
#   pause, coredns, pilot, install-cni, prometheus   binaries of hack/build-sandbox.sh
#   jaeger                               hack/build-jaeger.sh
#   sample-app                           this checkout's sample-app, built as its Dockerfile does
#   toolbox                              test/toolbox (lookup, get: what busybox would be in a pod)
#   nginx (a stand-in)                   Debian's package (apt-get download; nothing is installed)
#
# Usage: hack/build-images.sh [name ...]   (default: all)
# The image names are versions.env's SANDBOX_*_IMAGE; the builds are
# reproducible (same inputs, same digest), so re-importing is a no-op.
# `make tools` (cmd/tools) runs this only for the images whose inputs
# changed since they were built (<name>.tar.inputs holds their key); keep
# inputs() below and specInputs of cmd/tools/images.go together.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=/dev/null
. ./versions.env
. hack/lib.sh

out_dir="$repo_root/.tools/images"
debs_dir="$repo_root/.tools/debs"
mkdir -p "$out_dir" "$debs_dir"

# The image builder and forwarder (cmd/sandbox), rebuilt when its source
# changed (go build's cache makes an unchanged rebuild a second). It runs on
# this machine only, so it is built with go's defaults, the flags the test
# builds use: on a cold machine both share one compile of its dependencies.
sandbox_bin="$repo_root/.tools/sandbox/sandbox"
mkdir -p "$(dirname "$sandbox_bin")"
go build -o "$sandbox_bin" ./cmd/sandbox

# deb_root <package...>: the packages' files, unpacked (not installed:
# nothing runs a maintainer script or starts a service on this machine)
# into one directory keyed by the versions apt-get downloaded. Downloaded
# once; `make clean` forgets them, so the next build takes the newest.
deb_root() {
	local dir key deb p have=1
	for p in "$@"; do
		compgen -G "$debs_dir/${p}_*.deb" >/dev/null || have=0
	done
	if ((!have)); then
		(cd "$debs_dir" && apt-get download "$@" >/dev/null 2>"$debs_dir/apt.log") || {
			echo "build-images: apt-get download $* failed ($(tail -n1 "$debs_dir/apt.log")); run: apt-get update" >&2
			return 1
		}
	fi
	key="$(cd "$debs_dir" && for p in "$@"; do ls "${p}"_*.deb | sort | tail -n1; done | tr '\n' ' ' | sha256sum | cut -c1-12)"
	dir="$debs_dir/root-$1-$key"
	if [[ ! -d "$dir" ]]; then
		rm -rf "$dir.tmp"
		mkdir -p "$dir.tmp"
		for p in "$@"; do
			deb="$(cd "$debs_dir" && ls "${p}"_*.deb | sort | tail -n1)"
			dpkg-deb -x "$debs_dir/$deb" "$dir.tmp"
		done
		mv "$dir.tmp" "$dir"
	fi
	echo "$dir"
}

# The inputs each spec expands (hack/sandbox/images/*.json).
export SANDBOX_IMAGES_DIR="$repo_root/hack/sandbox/images"
export K8S_VERSION PAUSE_VERSION COREDNS_VERSION JAEGER_VERSION ISTIO_MODULE_VERSION PROMETHEUS_MODULE_VERSION \
	SANDBOX_PAUSE_IMAGE SANDBOX_COREDNS_IMAGE SANDBOX_NGINX_IMAGE SANDBOX_NGINX_UPDATE_IMAGE \
	SANDBOX_PROMETHEUS_IMAGE SANDBOX_JAEGER_IMAGE SANDBOX_SAMPLE_APP_IMAGE SANDBOX_TOOLBOX_IMAGE SANDBOX_ISTIO_HUB SANDBOX_ISTIO_TAG

inputs() {
	case "$1" in
	pause) PAUSE_BIN="$(hack/build-sandbox.sh pause)" && export PAUSE_BIN ;;
	coredns) COREDNS_BIN="$(hack/build-sandbox.sh coredns)" && export COREDNS_BIN ;;
	pilot) PILOT_BIN="$(hack/build-sandbox.sh pilot-discovery)" && export PILOT_BIN ;;
	install-cni)
		local bins
		bins="$(hack/build-sandbox.sh install-cni istio-cni)" || return 1
		INSTALL_CNI_BIN="$(sed -n 1p <<<"$bins")" ISTIO_CNI_BIN="$(sed -n 2p <<<"$bins")"
		export INSTALL_CNI_BIN ISTIO_CNI_BIN
		;;
	jaeger) JAEGER_BIN="$(hack/build-jaeger.sh)" && export JAEGER_BIN ;;
	sample-app)
		# The flags of sample-app/Dockerfile: static, trimmed, grpcnotrace.
		SAMPLE_APP_BIN="$repo_root/.tools/sample-app/sample-app"
		(cd sample-app && CGO_ENABLED=0 go build -trimpath -tags grpcnotrace -ldflags "-s -w" -o "$SAMPLE_APP_BIN" .) || return 1
		export SAMPLE_APP_BIN
		;;
	toolbox)
		TOOLBOX_BIN="$repo_root/.tools/toolbox/toolbox"
		go_build_atomic "$TOOLBOX_BIN" . ./test/toolbox "-s -w" || return 1
		export TOOLBOX_BIN
		;;
	nginx) NGINX_ROOT="$(deb_root nginx nginx-common)" && export NGINX_ROOT ;;
	prometheus) PROMETHEUS_BIN="$(hack/build-sandbox.sh prometheus)" && export PROMETHEUS_BIN ;;
	*)
		echo "build-images: unknown image '$1' (want one of: $(cd hack/sandbox/images && ls ./*.json | sed 's|./||; s|.json||' | tr '\n' ' '))" >&2
		return 2
		;;
	esac
}

names=("$@")
if [[ ${#names[@]} -eq 0 ]]; then
	for spec in hack/sandbox/images/*.json; do
		names+=("$(basename "$spec" .json)")
	done
fi
# cmd/sandbox skips an image whose packed files are unchanged (its
# <name>.tar.key); <name>.tar.builder records which build of cmd/sandbox
# packed it, so a changed builder (its code, its dependencies, the Go
# toolchain) packs the image again.
builder_sum="$(sha256sum "$sandbox_bin" | cut -d' ' -f1)"
for name in "${names[@]}"; do
	inputs "$name"
	out="$out_dir/$name.tar"
	[[ "$(cat "$out.builder" 2>/dev/null)" == "$builder_sum" ]] || rm -f "$out.key"
	"$sandbox_bin" image -spec "hack/sandbox/images/$name.json" -o "$out" >/dev/null
	echo "$builder_sum" >"$out.builder"
	echo "$out"
done
