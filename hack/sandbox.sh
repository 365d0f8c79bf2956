#!/usr/bin/env bash
# The local sandbox: a real Kubernetes control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler) with kwok faking one node and the
# kubelet's work, for deploying the stack (Pulumi.sandbox.yaml) and the e2e
# tests (test/e2e) without a container engine, VM or network.
#
#   hack/sandbox.sh up       start what is not running; wait for /readyz and the node Ready
#   hack/sandbox.sh down     stop everything and delete the cluster's data (the next up is fresh)
#   hack/sandbox.sh status   each process, the API's /readyz, the node
#
# Binaries come from hack/build-sandbox.sh (.tools/, keyed by version).
# Everything lives in .state/sandbox/: PID files, logs, certificates, etcd
# data, and the admin kubeconfig (.state/sandbox/kubeconfig).
#
# What is real: the API server with its validation, defaulting, RBAC and
# Pod Security admission, the controllers (Deployments, ReplicaSets,
# EndpointSlices, garbage collection, namespaces), the scheduler. What is
# not: no container runs. kwok marks scheduled pods Running and Ready and
# gives them an address; nothing listens there and no packet is ever sent.
#
# Network safety: every server binds to 127.0.0.1, and nothing dials outside
# 127.0.0.0/8:
# - the node's address is 127.0.0.1; there is no kube-proxy;
# - Service cluster IPs come from a loopback range (SANDBOX_SERVICE_CIDR);
# - the API server's admission webhooks are switched off (Istio's charts
#   register webhooks at Service addresses of pods that never run), and every
#   connection it would open into the "cluster" (pod, service and node
#   proxies, kubelet logs/exec, webhooks, aggregated APIs) is routed by an
#   egress selector to a Unix socket that does not exist, so it fails
#   before any packet;
# - pod IPs come from SANDBOX_POD_CIDR. Endpoints and EndpointSlices may not
#   hold loopback addresses (API validation), so a loopback pod range would
#   leave every Service without endpoints. The default is the
#   organization-local multicast range 239.255.0.0/16: valid for the API,
#   and the kernel refuses a TCP connection to a multicast address
#   (ENETUNREACH) without sending anything. Set SANDBOX_POD_CIDR to a
#   127.x range to trade endpoints for addresses that are loopback outright.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
# shellcheck source=/dev/null
. ./versions.env
. hack/lib.sh

state="$repo_root/.state/sandbox"
pki="$state/pki"
logs="$state/logs"
run="$state/run"
kubeconfig="$state/kubeconfig"

host=127.0.0.1
etcd_port="${SANDBOX_ETCD_PORT:-12379}"
etcd_peer_port="${SANDBOX_ETCD_PEER_PORT:-12380}"
apiserver_port="${SANDBOX_APISERVER_PORT:-16443}"
kcm_port="${SANDBOX_KCM_PORT:-10257}"
scheduler_port="${SANDBOX_SCHEDULER_PORT:-10259}"
kwok_port="${SANDBOX_KWOK_PORT:-10247}"
service_cidr="${SANDBOX_SERVICE_CIDR:-127.96.0.0/16}"
pod_cidr="${SANDBOX_POD_CIDR:-239.255.0.0/16}"
node_name="${SANDBOX_NODE_NAME:-sandbox-node}"
# kwok manages only nodes carrying this annotation (kwok's own convention).
node_annotation="kwok.x-k8s.io/node=fake"

k8s_bin="$repo_root/.tools/kubernetes-${K8S_VERSION}"
etcd_bin="$repo_root/.tools/etcd-${ETCD_VERSION}/etcd"
kwok_bin="$repo_root/.tools/kwok-${KWOK_VERSION}/kwok"
kwok_stages="$repo_root/.tools/kwok-${KWOK_VERSION}/stages.yaml"

components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)

log() { echo "sandbox: $*" >&2; }
die() {
	log "$*"
	exit 1
}

kctl() { kubectl --kubeconfig "$kubeconfig" "$@"; }

# binary_of <component>: the executable it runs.
binary_of() {
	case "$1" in
	etcd) echo "$etcd_bin" ;;
	kwok) echo "$kwok_bin" ;;
	*) echo "$k8s_bin/$1" ;;
	esac
}

# pid_of <component>: its PID when it is running (and is still our binary:
# a PID file can outlive its process and the number be reused).
pid_of() {
	local file="$run/$1.pid" pid exe
	[[ -f "$file" ]] || return 1
	pid="$(<"$file")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
	[[ "$exe" == "$(binary_of "$1")" ]] || return 1
	echo "$pid"
}

# start <component> <args...>: run it detached, logging to logs/<component>.log.
start() {
	local name="$1" bin
	shift
	if pid_of "$name" >/dev/null; then
		return 0
	fi
	bin="$(binary_of "$name")"
	log "starting $name"
	setsid "$bin" "$@" >>"$logs/$name.log" 2>&1 </dev/null &
	echo $! >"$run/$name.pid"
}

# wait_for <component> <what> <seconds> <command...>: poll until the
# command succeeds; stop at once, showing its log, if the component exits
# (a port in use, a bad flag).
wait_for() {
	local component="$1" what="$2" deadline=$((SECONDS + $3))
	shift 3
	until "$@" >/dev/null 2>&1; do
		if ! pid_of "$component" >/dev/null; then
			tail -n 20 "$logs/$component.log" >&2 || true
			die "$component exited while waiting for $what; its log: $logs/$component.log"
		fi
		if ((SECONDS >= deadline)); then
			die "timed out waiting for $what; logs in $logs"
		fi
		sleep 0.2
	done
}

check_tools() {
	local missing=()
	for c in "${components[@]}"; do
		[[ -x "$(binary_of "$c")" ]] || missing+=("$(binary_of "$c")")
	done
	[[ -f "$kwok_stages" ]] || missing+=("$kwok_stages")
	if [[ ${#missing[@]} -gt 0 ]]; then
		die "not built: ${missing[*]#"$repo_root/"}; run hack/build-sandbox.sh (make sandbox-tools) first"
	fi
	command -v openssl >/dev/null || die "openssl is needed for the certificates"
	for cmd in go kubectl curl setsid; do
		command -v "$cmd" >/dev/null || die "$cmd is needed"
	done
}

# cert <name> <subject> [SANs]: a key and a certificate signed by the sandbox CA.
cert() {
	local name="$1" subj="$2" san="${3:-}" ext=(-addext "basicConstraints=critical,CA:FALSE")
	[[ -f "$pki/$name.crt" ]] && return 0
	if [[ -n "$san" ]]; then
		ext+=(-addext "subjectAltName=$san" -addext "extendedKeyUsage=serverAuth,clientAuth")
	else
		ext+=(-addext "extendedKeyUsage=clientAuth")
	fi
	openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "$subj" \
		-CA "$pki/ca.crt" -CAkey "$pki/ca.key" "${ext[@]}" \
		-keyout "$pki/$name.key" -out "$pki/$name.crt" 2>/dev/null
}

# first_ip <cidr>: the first address of an IPv4 range (the kubernetes Service's ClusterIP).
first_ip() {
	local ip="${1%/*}" a b c d
	IFS=. read -r a b c d <<<"$ip"
	echo "$a.$b.$c.$((d + 1))"
}

make_pki() {
	mkdir -p "$pki"
	chmod 0700 "$pki"
	if [[ ! -f "$pki/ca.crt" ]]; then
		openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=play-kubernetes-sandbox-ca" \
			-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
			-keyout "$pki/ca.key" -out "$pki/ca.crt" 2>/dev/null
	fi
	cert apiserver "/CN=kube-apiserver" \
		"IP:$host,IP:$(first_ip "$service_cidr"),DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	# The users of the API: the admin (the kubeconfig users and tests get),
	# the two controllers under the names the bootstrap RBAC roles bind, and
	# kwok, which stands in for every kubelet and node controller and so gets
	# the admin's group rather than a node identity.
	cert admin "/O=system:masters/CN=sandbox-admin"
	cert kube-controller-manager "/CN=system:kube-controller-manager"
	cert kube-scheduler "/CN=system:kube-scheduler"
	cert kwok "/O=system:masters/CN=kwok-controller"
	if [[ ! -f "$pki/sa.key" ]]; then
		openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
		openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
	fi
}

# write_kubeconfig <file> <cert name>: certificates embedded, so the file
# can be copied or pointed at from anywhere.
write_kubeconfig() {
	local file="$1" name="$2" tmp
	tmp="$(mktemp "$file.XXXXXX")"
	cat >"$tmp" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: sandbox
  cluster:
    server: https://$host:$apiserver_port
    certificate-authority-data: $(base64 -w0 "$pki/ca.crt")
users:
- name: $name
  user:
    client-certificate-data: $(base64 -w0 "$pki/$name.crt")
    client-key-data: $(base64 -w0 "$pki/$name.key")
contexts:
- name: sandbox
  context:
    cluster: sandbox
    user: $name
current-context: sandbox
EOF
	chmod 0600 "$tmp"
	mv -f "$tmp" "$file"
}

write_configs() {
	write_kubeconfig "$kubeconfig" admin
	for c in kube-controller-manager kube-scheduler kwok; do
		write_kubeconfig "$run/$c.kubeconfig" "$c"
	done
	# Every API server connection into the cluster goes through this egress
	# selection, to a socket that never exists: see the header.
	cat >"$run/egress-selector.yaml" <<EOF
apiVersion: apiserver.k8s.io/v1beta1
kind: EgressSelectorConfiguration
egressSelections:
- name: cluster
  connection:
    proxyProtocol: HTTPConnect
    transport:
      uds:
        udsName: $run/no-cluster-egress.sock
EOF
	cat >"$run/node.yaml" <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $node_name
  annotations:
    ${node_annotation%%=*}: ${node_annotation#*=}
  labels:
    kubernetes.io/hostname: $node_name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
EOF
}

start_etcd() {
	mkdir -p "$state/etcd"
	chmod 0700 "$state/etcd"
	# Plain HTTP on loopback, no fsync: a throwaway single-member cluster.
	start etcd \
		--name sandbox \
		--data-dir "$state/etcd" \
		--listen-client-urls "http://$host:$etcd_port" \
		--advertise-client-urls "http://$host:$etcd_port" \
		--listen-peer-urls "http://$host:$etcd_peer_port" \
		--initial-advertise-peer-urls "http://$host:$etcd_peer_port" \
		--initial-cluster "sandbox=http://$host:$etcd_peer_port" \
		--initial-cluster-state new \
		--unsafe-no-fsync \
		--log-level warn
	wait_for etcd "etcd" 30 curl -fsS --max-time 2 "http://$host:$etcd_port/health"
}

start_apiserver() {
	# --endpoint-reconciler-type=none: the API server refuses to publish a
	# loopback address as the kubernetes Service's endpoint.
	start kube-apiserver \
		--bind-address "$host" \
		--advertise-address "$host" \
		--secure-port "$apiserver_port" \
		--etcd-servers "http://$host:$etcd_port" \
		--service-cluster-ip-range "$service_cidr" \
		--service-node-port-range 30000-32767 \
		--endpoint-reconciler-type none \
		--authorization-mode Node,RBAC \
		--disable-admission-plugins MutatingAdmissionWebhook,ValidatingAdmissionWebhook \
		--egress-selector-config-file "$run/egress-selector.yaml" \
		--client-ca-file "$pki/ca.crt" \
		--tls-cert-file "$pki/apiserver.crt" \
		--tls-private-key-file "$pki/apiserver.key" \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$pki/sa.pub" \
		--service-account-signing-key-file "$pki/sa.key" \
		--allow-privileged=true \
		--profiling=false
	wait_for kube-apiserver "the API server's /readyz" 60 kctl --request-timeout=5s get --raw /readyz
	log "API ready after ${SECONDS}s"
}

start_controllers() {
	start kube-controller-manager \
		--kubeconfig "$run/kube-controller-manager.kubeconfig" \
		--authentication-kubeconfig "$run/kube-controller-manager.kubeconfig" \
		--authorization-kubeconfig "$run/kube-controller-manager.kubeconfig" \
		--bind-address "$host" \
		--secure-port "$kcm_port" \
		--use-service-account-credentials \
		--service-account-private-key-file "$pki/sa.key" \
		--root-ca-file "$pki/ca.crt" \
		--leader-elect=false \
		--profiling=false
	start kube-scheduler \
		--kubeconfig "$run/kube-scheduler.kubeconfig" \
		--authentication-kubeconfig "$run/kube-scheduler.kubeconfig" \
		--authorization-kubeconfig "$run/kube-scheduler.kubeconfig" \
		--bind-address "$host" \
		--secure-port "$scheduler_port" \
		--leader-elect=false \
		--profiling=false
	# kwok's pinned "fast" stages (node ready at once, lease heartbeat, pods
	# Running and Ready at once, deleted pods removed): see build-sandbox.sh.
	start kwok \
		--kubeconfig "$run/kwok.kubeconfig" \
		--config "$kwok_stages" \
		--manage-nodes-with-annotation-selector "$node_annotation" \
		--node-ip "$host" \
		--node-port "$kwok_port" \
		--server-address "$host:$kwok_port" \
		--cidr "$pod_cidr" \
		--node-lease-duration-seconds 40
}

# link_charts: .state/istio-charts -> the Istio charts of the pinned
# istio.io/istio module (Pulumi.sandbox.yaml's istio:chartDir), refreshed on
# every up so it follows ISTIO_MODULE_VERSION; the module comes from the Go
# module cache or proxy, no chart repository is contacted.
link_charts() {
	local dir
	dir="$(module_dir "istio.io/istio@${ISTIO_MODULE_VERSION}")"
	[[ -d "$dir/manifests/charts" ]] || die "no Istio charts in istio.io/istio@${ISTIO_MODULE_VERSION}"
	mkdir -p "$repo_root/.state"
	ln -sfn "$dir/manifests/charts" "$repo_root/.state/istio-charts"
}

up() {
	check_tools
	link_charts
	mkdir -p "$logs" "$run"
	make_pki
	write_configs
	start_etcd
	start_apiserver
	start_controllers
	# create, not apply: apply fetches the OpenAPI schema, which a starting
	# API server takes seconds to build.
	kctl get node "$node_name" >/dev/null 2>&1 || kctl create --validate=false -f "$run/node.yaml" >/dev/null
	wait_for kwok "node $node_name Ready" 60 kctl wait --for=condition=Ready "node/$node_name" --timeout=2s
	# Pods need their namespace's default ServiceAccount; wait for the
	# controller to make the first one so the cluster is usable at once.
	wait_for kube-controller-manager "the default ServiceAccount" 30 kctl --request-timeout=5s get serviceaccount default -n default
	log "up in ${SECONDS}s: kubectl --kubeconfig ${kubeconfig#"$repo_root/"} get nodes"
}

# stop <component...>: SIGTERM to each, then SIGKILL to any still running
# after 10 s. A process is gone once /proc no longer shows its executable
# (an unreaped zombie has none).
stop() {
	local c pid pids=()
	for c in "$@"; do
		if pid="$(pid_of "$c")"; then
			log "stopping $c ($pid)"
			kill "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
		rm -f "$run/$c.pid"
	done
	for _ in $(seq 50); do
		local alive=()
		for pid in "${pids[@]}"; do
			readlink "/proc/$pid/exe" >/dev/null 2>&1 && alive+=("$pid")
		done
		pids=("${alive[@]}")
		[[ ${#pids[@]} -eq 0 ]] && return 0
		sleep 0.2
	done
	kill -9 "${pids[@]}" 2>/dev/null || true
}

down() {
	# The API's clients first (together), then the API server, then etcd.
	stop kwok kube-scheduler kube-controller-manager
	stop kube-apiserver
	stop etcd
	rm -rf "$state/etcd"
	log "down; the cluster's data is deleted (a stack deployed to it has stale state: refresh or remove it)"
}

status() {
	local c pid rc=0
	for c in "${components[@]}"; do
		if pid="$(pid_of "$c")"; then
			printf '%-24s running (pid %s)\n' "$c" "$pid"
		else
			printf '%-24s stopped\n' "$c"
			rc=1
		fi
	done
	if [[ -f "$kubeconfig" ]] && kctl get --raw /readyz >/dev/null 2>&1; then
		printf '%-24s ready (https://%s:%s)\n' "api" "$host" "$apiserver_port"
		kctl get node "$node_name" --no-headers 2>/dev/null | awk '{printf "%-24s %s\n", "node " $1, $2}'
	else
		printf '%-24s not ready\n' "api"
		rc=1
	fi
	return "$rc"
}

case "${1:-}" in
up) up ;;
down) down ;;
status) status ;;
*)
	echo "usage: hack/sandbox.sh up|down|status" >&2
	exit 2
	;;
esac
