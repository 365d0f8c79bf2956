#!/usr/bin/env bash
# Builds the sandbox cluster (cmd/sandbox runs it) from the Go module proxy and
# Debian's gcc into .tools/, keyed by version, and prints one path per binary:
#
#   .tools/kubernetes-<K8S_VERSION>/{kube-apiserver,kube-controller-manager,kube-scheduler,kubelet,kube-proxy,kubectl}
#   .tools/etcd-<ETCD_VERSION>/etcd
#   .tools/kwok-<KWOK_VERSION>/kwok, stages.yaml   (kwok's own "fast" stages, from its module)
#   .tools/coredns-<COREDNS_VERSION>/coredns       (tools/coredns: only the plugins the sandbox uses)
#   .tools/istio-<ISTIO_MODULE_VERSION>/{pilot-discovery,install-cni,istio-cni,pilot-agent,istio-analyze}
#   .tools/pause-<PAUSE_VERSION>/pause             (Kubernetes' build/pause/linux/pause.c, gcc -static)
#   .tools/prometheus-<PROMETHEUS_MODULE_VERSION>/prometheus   (Kubernetes discovery only)
#
# Usage: hack/build-sandbox.sh [name ...]   (default: all of them)
#
# The Kubernetes binaries and etcd come from the wrapper module
# tools/kubernetes (its go.mod pins k8s.io/kubernetes and etcd and points the
# staging modules at their releases), CoreDNS from tools/coredns,
# Prometheus from tools/prometheus, and istiod, istio-cni and kwok from
# tools/sandbox: one dependency graph (istiod imports the same client
# libraries as kwok), so on a cold machine their shared packages compile
# once. The binaries of one build are built by one `go build`, to a
# temporary directory and renamed, so an interrupted build never leaves a
# half-written binary that the existence check would trust. Progress goes to
# stderr; stdout carries only the paths.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=/dev/null
. ./versions.env
. hack/lib.sh
for v in K8S_VERSION ETCD_VERSION KWOK_VERSION COREDNS_VERSION ISTIO_MODULE_VERSION PAUSE_VERSION PROMETHEUS_MODULE_VERSION; do
	[[ -n "${!v:-}" ]] || { echo "build-sandbox: $v missing from versions.env" >&2; exit 1; }
done

wrapper_dir="tools/kubernetes"
for pin in "k8s.io/kubernetes ${K8S_VERSION}" "go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"; do
	if ! grep -Eq "^[[:space:]]*${pin}([[:space:]]|$)" "$wrapper_dir/go.mod"; then
		echo "build-sandbox: $wrapper_dir/go.mod does not require ${pin} (versions.env)" >&2
		exit 1
	fi
done
require_pin tools/coredns github.com/coredns/coredns "$COREDNS_VERSION"
require_pin tools/sandbox istio.io/istio "$ISTIO_MODULE_VERSION"
require_pin tools/prometheus github.com/prometheus/prometheus "$PROMETHEUS_MODULE_VERSION"
require_pin tools/sandbox sigs.k8s.io/kwok "$KWOK_VERSION"

k8s_dir="$repo_root/.tools/kubernetes-${K8S_VERSION}"
etcd_dir="$repo_root/.tools/etcd-${ETCD_VERSION}"
kwok_dir="$repo_root/.tools/kwok-${KWOK_VERSION}"
coredns_dir="$repo_root/.tools/coredns-${COREDNS_VERSION}"
istio_dir="$repo_root/.tools/istio-${ISTIO_MODULE_VERSION}"
pause_dir="$repo_root/.tools/pause-${PAUSE_VERSION}"
prometheus_dir="$repo_root/.tools/prometheus-${PROMETHEUS_MODULE_VERSION}"
# Prometheus' release version (v0.316.0 -> 3.16.0) for `prometheus --version`,
# and its tags for one service discovery: the stack's scrape configuration
# asks only for kubernetes_sd_configs.
prometheus_release="${PROMETHEUS_MODULE_VERSION#v0.}"
prometheus_release="3.$((10#${prometheus_release%%.*} - 300)).${prometheus_release#*.}"
prometheus_ldflags="-s -w -X github.com/prometheus/common/version.Version=${prometheus_release} -X github.com/prometheus/common/version.Branch=release"
prometheus_tags="remove_all_sd,enable_kubernetes_sd"

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

# Istio's release build links its version in (pkg/version); the module
# commit stands for it here, so `pilot-discovery version` names it.
istio_commit="${ISTIO_MODULE_VERSION##*-}"
istio_ldflags="-s -w -X istio.io/istio/pkg/version.buildVersion=${ISTIO_MODULE_VERSION} -X istio.io/istio/pkg/version.buildGitRevision=${istio_commit}"
istio_ldflags+=" -X istio.io/istio/pkg/version.buildStatus=Clean -X istio.io/istio/pkg/version.buildTag=${ISTIO_MODULE_VERSION}"
# Upstream's tags (Makefile.core.mk): STANDARD_TAGS for istiod, AGENT_TAGS
# for the CNI binaries and pilot-agent; so one build per tag set.
istiod_tags="vtprotobuf,disable_pgv"
cni_tags="agent,disable_pgv,grpcnotrace,retrynotrace"

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
	chmod 0644 "$tmp"
	mv -f "$tmp" "$out"
}

# build_pause <out>: the pod sandbox's pause process, from the same
# Kubernetes release's source (what its pause image holds), static.
build_pause() {
	local out="$1" dir tmp
	command -v gcc >/dev/null || { echo "build-sandbox: gcc is needed for the pause binary (apt-get install gcc libc6-dev)" >&2; return 1; }
	dir="$(module_dir "k8s.io/kubernetes@${K8S_VERSION}")"
	[[ -f "$dir/build/pause/linux/pause.c" ]] || { echo "build-sandbox: no build/pause/linux/pause.c in k8s.io/kubernetes@${K8S_VERSION}" >&2; return 1; }
	mkdir -p "$(dirname "$out")"
	tmp="$(mktemp "$(dirname "$out")/.build.XXXXXX")"
	echo "build-sandbox: building pause ${PAUSE_VERSION}..." >&2
	# Kubernetes' own flags (build/pause/Makefile), stripped.
	if ! gcc -Os -Wall -Werror -static -s -DVERSION="v${PAUSE_VERSION}" -o "$tmp" "$dir/build/pause/linux/pause.c"; then
		rm -f "$tmp"
		return 1
	fi
	chmod 0755 "$tmp"
	mv -f "$tmp" "$out"
}

k8s_names=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
istio_names=(pilot-discovery install-cni istio-cni pilot-agent istio-analyze)
declare -A istio_pkg=([pilot-discovery]=istio.io/istio/pilot/cmd/pilot-discovery
	[istio-analyze]=github.com/play-kubernetes/play-kubernetes/tools/sandbox/istioanalyze
	[install-cni]=istio.io/istio/cni/cmd/install-cni [istio-cni]=istio.io/istio/cni/cmd/istio-cni
	[pilot-agent]=istio.io/istio/pilot/cmd/pilot-agent)

names=("$@")
[[ ${#names[@]} -gt 0 ]] || names=("${k8s_names[@]}" etcd kwok coredns "${istio_names[@]}" pause prometheus)

# The binaries of one module that were asked for and are missing, built
# together first.
want_k8s=() want_cni=()
for name in "${names[@]}"; do
	case " ${k8s_names[*]} " in *" $name "*) [[ -x "$k8s_dir/$name" ]] || want_k8s+=("k8s.io/kubernetes/cmd/$name") ;; esac
	case "$name" in install-cni | istio-cni | pilot-agent) [[ -x "$istio_dir/$name" ]] || want_cni+=("${istio_pkg[$name]}") ;; esac
done
if ((${#want_k8s[@]})); then
	echo "build-sandbox: building ${want_k8s[*]##*/} (Kubernetes ${K8S_VERSION})..." >&2
	go_build_many "$k8s_dir" "$wrapper_dir" "$k8s_ldflags" "$k8s_tags" "${want_k8s[@]}"
fi
if ((${#want_cni[@]})); then
	echo "build-sandbox: building ${want_cni[*]##*/} (istio.io/istio ${ISTIO_MODULE_VERSION})..." >&2
	go_build_many "$istio_dir" tools/sandbox "$istio_ldflags" "$cni_tags" "${want_cni[@]}"
fi

for name in "${names[@]}"; do
	case "$name" in
	kube-apiserver | kube-controller-manager | kube-scheduler | kubelet | kube-proxy | kubectl)
		out="$k8s_dir/$name"
		;;
	pilot-discovery)
		out="$istio_dir/$name"
		[[ -x "$out" ]] || go_build_atomic "$out" tools/sandbox "${istio_pkg[$name]}" "$istio_ldflags" "$istiod_tags"
		;;
	istio-analyze)
		# This checkout's own program: make tools asks for it when its
		# sources changed (toolbuild's Step.Sources), so it always builds.
		out="$istio_dir/$name"
		go_build_atomic "$out" tools/sandbox "${istio_pkg[$name]}" "$istio_ldflags" "$istiod_tags"
		;;
	install-cni | istio-cni | pilot-agent)
		out="$istio_dir/$name"
		;;
	etcd)
		out="$etcd_dir/etcd"
		[[ -x "$out" ]] || go_build_atomic "$out" "$wrapper_dir" go.etcd.io/etcd/server/v3 "-s -w"
		;;
	kwok)
		out="$kwok_dir/kwok"
		[[ -x "$out" ]] || go_build_atomic "$out" tools/sandbox sigs.k8s.io/kwok/cmd/kwok \
			"-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=${KWOK_VERSION#v}"
		# Rewritten every time: it is cheap, and it follows the pinned module.
		write_stages "$kwok_dir/stages.yaml"
		;;
	coredns)
		out="$coredns_dir/coredns"
		[[ -x "$out" ]] || go_build_atomic "$out" tools/coredns . \
			"-s -w -X github.com/coredns/coredns/coremain.GitCommit=${COREDNS_VERSION}"
		;;
	pause)
		out="$pause_dir/pause"
		[[ -x "$out" ]] || build_pause "$out"
		;;
	prometheus)
		out="$prometheus_dir/prometheus"
		[[ -x "$out" ]] || go_build_atomic "$out" tools/prometheus github.com/prometheus/prometheus/cmd/prometheus \
			"$prometheus_ldflags" "$prometheus_tags"
		;;
	*)
		echo "build-sandbox: unknown binary '$name' (want ${k8s_names[*]} etcd kwok coredns ${istio_names[*]} pause prometheus)" >&2
		exit 2
		;;
	esac
	echo "$out"
done
