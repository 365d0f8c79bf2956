#!/usr/bin/env bash
# Builds the sandbox control plane (hack/sandbox.sh) from the Go module proxy
# into .tools/, keyed by version, and prints one path per binary:
#
#   .tools/kubernetes-<K8S_VERSION>/{kube-apiserver,kube-controller-manager,kube-scheduler}
#   .tools/etcd-<ETCD_VERSION>/etcd
#   .tools/kwok-<KWOK_VERSION>/kwok
#   .tools/kwok-<KWOK_VERSION>/stages.yaml   (kwok's own "fast" stages, from its module)
#
# Usage: hack/build-sandbox.sh [name ...]   (default: all five)
#
# The Kubernetes binaries and etcd come from the wrapper module
# tools/kubernetes (its go.mod pins k8s.io/kubernetes and etcd and points the
# staging modules at their releases). kwok is built from its own go.mod with
# `go install module@version`, so its newer client libraries never mix with
# the control plane's. Binaries are built one after the other (each is a
# heavy link) to a temporary name and renamed, so an interrupted build never
# leaves a half-written binary that the existence check would trust.
# Progress goes to stderr; stdout carries only the paths.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=/dev/null
. ./versions.env
. hack/lib.sh
: "${K8S_VERSION:?K8S_VERSION missing from versions.env}"
: "${ETCD_VERSION:?ETCD_VERSION missing from versions.env}"
: "${KWOK_VERSION:?KWOK_VERSION missing from versions.env}"

wrapper_dir="tools/kubernetes"
for pin in "k8s.io/kubernetes ${K8S_VERSION}" "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"; do
	if ! grep -Eq "^[[:space:]]*${pin}([[:space:]]|$)" "$wrapper_dir/go.mod"; then
		echo "build-sandbox: $wrapper_dir/go.mod does not require ${pin} (versions.env)" >&2
		exit 1
	fi
done

k8s_dir="$repo_root/.tools/kubernetes-${K8S_VERSION}"
etcd_dir="$repo_root/.tools/etcd-${ETCD_VERSION}"
kwok_dir="$repo_root/.tools/kwok-${KWOK_VERSION}"

# Version variables the Kubernetes release build links in
# (hack/lib/version.sh upstream). Without them the API server reports
# v0.0.0-master, which version checks (a chart's kubeVersion, templates on
# .Capabilities.KubeVersion) take for older than any release.
k8s_minor="${K8S_VERSION#v*.}"
k8s_minor="${k8s_minor%%.*}"
k8s_major="${K8S_VERSION#v}"
k8s_major="${k8s_major%%.*}"
k8s_ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
	k8s_ldflags+=" -X ${pkg}.gitVersion=${K8S_VERSION} -X ${pkg}.gitMajor=${k8s_major} -X ${pkg}.gitMinor=${k8s_minor}"
	k8s_ldflags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
done
# Upstream's build tags for release binaries.
k8s_tags="selinux,notest,grpcnotrace"

# build <out> <package> <ldflags> [tags]: go build in the wrapper module.
build() {
	go_build_atomic "$1" "$wrapper_dir" "$2" "$3" "${4:-}"
}
# build_kwok <out>: go install into a temporary GOBIN, then rename.
build_kwok() {
	local out="$1" gobin
	mkdir -p "$(dirname "$out")"
	gobin="$(mktemp -d "$(dirname "$out")/.build.XXXXXX")"
	echo "build-sandbox: building kwok ${KWOK_VERSION}..." >&2
	# Outside any module so only kwok's own go.mod counts.
	if ! (cd "$gobin" && CGO_ENABLED=0 GOBIN="$gobin" GOFLAGS=-trimpath \
		go install -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}"); then
		rm -rf "$gobin"
		return 1
	fi
	mv -f "$gobin/kwok" "$out"
	rm -rf "$gobin"
}

# write_stages <out>: kwok ships its stage sets as kustomize directories in
# its module; the sandbox uses the "fast" set (node ready at once with a
# lease heartbeat, pods Running and Ready at once, deleted pods removed),
# concatenated here from the pinned module so it moves with KWOK_VERSION.
write_stages() {
	local out="$1" dir tmp f
	dir="$(module_dir "sigs.k8s.io/kwok@${KWOK_VERSION}")"
	[[ -d "$dir" ]] || { echo "build-sandbox: download of sigs.k8s.io/kwok@${KWOK_VERSION} failed" >&2; return 1; }
	tmp="$(mktemp "$(dirname "$out")/.stages.XXXXXX")"
	for f in node/fast/node-initialize.yaml node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
		pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
		echo "---"
		echo "# kwok ${KWOK_VERSION} kustomize/stage/$f"
		cat "$dir/kustomize/stage/$f"
	done >"$tmp"
	# Our own stage: a readiness probe on a port no container declares never
	# passes (the tutorial's probe on port 88). kwok's pod-ready stage must
	# leave those pods alone, so it gets the opposite condition.
	python3 - "$tmp" "$repo_root/hack/sandbox/pod-probe-unready.yaml" <<'PY'
import sys
path, ours = sys.argv[1], sys.argv[2]
text = open(path).read()
probe = open(ours).read()
key = [l for l in probe.splitlines() if "readinessProbe.httpGet.port" in l and "key:" in l][0]
marker = "  name: pod-ready\n"
head, sep, tail = text.partition(marker)
if not sep:
    sys.exit("build-sandbox: kwok's pod-ready stage not found")
anchor = "    matchExpressions:\n"
i = tail.index(anchor) + len(anchor)
tail = tail[:i] + key + "\n      operator: 'In'\n      values:\n      - 'false'\n" + tail[i:]
open(path, "w").write(head + sep + tail + "---\n" + probe)
PY
	chmod 0644 "$tmp"
	mv -f "$tmp" "$out"
}

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)
for name in "${names[@]}"; do
	case "$name" in
	kube-apiserver | kube-controller-manager | kube-scheduler)
		out="$k8s_dir/$name"
		[[ -x "$out" ]] || build "$out" "k8s.io/kubernetes/cmd/$name" "$k8s_ldflags" "$k8s_tags"
		;;
	etcd)
		out="$etcd_dir/etcd"
		[[ -x "$out" ]] || build "$out" go.etcd.io/etcd/server/v3 "-s -w"
		;;
	kwok)
		out="$kwok_dir/kwok"
		[[ -x "$out" ]] || build_kwok "$out"
		# Rewritten every time: it is cheap, and it follows our own stage file.
		write_stages "$kwok_dir/stages.yaml"
		;;
	*)
		echo "build-sandbox: unknown binary '$name' (want kube-apiserver, kube-controller-manager, kube-scheduler, etcd or kwok)" >&2
		exit 2
		;;
	esac
	echo "$out"
done
