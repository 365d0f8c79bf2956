#!/usr/bin/env bash
# The local sandbox: a single-node Kubernetes cluster built only from what
# this machine can reach (the Go module proxy and Debian's packages), for
# deploying the stack (Pulumi.sandbox.yaml) and the e2e tests (test/e2e)
# without a VM, a container engine or a network.
#
#   hack/sandbox.sh up       start what is not running; wait for the API, the node and DNS
#                            (on a sandbox a complete `up` started from the same inputs,
#                            with every process running and the API ready: only the images)
#   hack/sandbox.sh down     stop everything, remove what it made, delete the cluster's data
#   hack/sandbox.sh status   each process, the API, the nodes
#   hack/sandbox.sh host-snapshot   the host's network state (routes, rules, sysctls) that
#                            the sandbox must never change; compared by test/e2e
#
# Two modes (SANDBOX_MODE at `up`; `down` reads it back):
#
# real (default): real pods. etcd, the API server, controller manager,
# scheduler, containerd (Debian's, with runc and the CNI plugins), a kubelet
# and kube-proxy all run inside one network namespace of the sandbox's own
# (SANDBOX_NETNS, default play-kubernetes-sandbox). It holds only `lo`, the
# CNI bridge and the pods' veths, and has no default route: there is no
# interface, veth or route into the host's namespace or anywhere else. Pod
# (10.244.0.0/24) and Service (10.96.0.0/16) addresses exist only there. The
# host reaches the cluster through one process of ours, `sandbox forward`,
# which listens on the host's 127.0.0.1 and dials inside the namespace: the
# API server (127.0.0.1:16443) and every NodePort of the cluster
# (127.0.0.1:<nodePort>). Images are built here (hack/build-images.sh) and
# imported, since nothing can be pulled. One more node, sandbox-ingress, is
# simulated by kwok and tainted, so only pods that ask for it land there:
# the Istio ingress gateway, which needs Envoy, and no registry here has it.
#
# kwok: the earlier sandbox, kept for benchmarks of many objects (30-hop
# chains): the control plane on the host's 127.0.0.1 and kwok faking the one
# node and every pod; no container runs, no traffic flows, webhooks are off.
#
# Binaries come from hack/build-sandbox.sh (.tools/, keyed by version). State
# lives in .state/sandbox/ (PID files, logs, certificates, etcd and
# containerd data, the admin kubeconfig .state/sandbox/kubeconfig); runtime
# files (sockets, CNI configuration, pod network namespaces) in
# /run/<SANDBOX_NETNS>/.
#
# Network safety: in real mode the host's routes, links, iptables and
# nftables are never touched (every rule kube-proxy writes lives in the
# sandbox's namespace), and the only sockets in the host's namespace are the
# forwarder's, on 127.0.0.1. In kwok mode every server binds to 127.0.0.1 and
# nothing dials outside 127.0.0.0/8: see kwok_mode_notes below.
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
node_name="${SANDBOX_NODE_NAME:-sandbox-node}"
# kwok manages only nodes carrying this annotation (kwok's own convention).
node_annotation="kwok.x-k8s.io/node=fake"

# The mode of a running sandbox wins over SANDBOX_MODE: `down` and
# `status` must act on what `up` started.
if [[ -f "$run/mode" ]]; then
	mode="$(<"$run/mode")"
else
	mode="${SANDBOX_MODE:-real}"
fi
case "$mode" in
real | kwok) ;;
*)
	echo "sandbox: SANDBOX_MODE=$mode is not accepted; want real (real pods, the default) or kwok (simulated pods)" >&2
	exit 2
	;;
esac

k8s_bin="$repo_root/.tools/kubernetes-${K8S_VERSION}"
etcd_bin="$repo_root/.tools/etcd-${ETCD_VERSION}/etcd"
kwok_bin="$repo_root/.tools/kwok-${KWOK_VERSION}/kwok"
kwok_stages="$repo_root/.tools/kwok-${KWOK_VERSION}/stages.yaml"
kubectl_bin="$k8s_bin/kubectl"

log() { echo "sandbox: $*" >&2; }
die() {
	log "$*"
	exit 1
}

kctl() { "$kubectl_bin" --kubeconfig "$kubeconfig" "$@"; }

# refused is set when down meets a recorded entry it does not act on.
refused=0

# The node's part (network namespace, containerd, kubelet, kube-proxy,
# images, DNS, the forwarder, and the clean-up of all of it).
. hack/sandbox/node.sh

if [[ "$mode" == real ]]; then
	components=(etcd kube-apiserver kube-controller-manager kube-scheduler containerd kubelet kube-proxy kwok forward)
	# Inside the namespace the API server listens on every address it has
	# (lo and the bridge: nothing else exists there), so pods reach it at
	# the node's address and the host through the forwarder.
	apiserver_bind=0.0.0.0
	advertise_address="$node_ip"
	service_cidr="${SANDBOX_SERVICE_CIDR:-10.96.0.0/16}"
	kwok_cidr="$simulated_pod_cidr"
else
	components=(etcd kube-apiserver kube-controller-manager kube-scheduler kwok)
	apiserver_bind="$host"
	advertise_address="$host"
	# kwok_mode_notes: the node's address is 127.0.0.1 and there is no
	# kube-proxy; Service cluster IPs come from a loopback range; admission
	# webhooks are off (Istio's charts register webhooks at Service
	# addresses of pods that never run), and every connection the API
	# server would open into the "cluster" (pod, service and node proxies,
	# kubelet logs/exec, webhooks, aggregated APIs) is routed by an egress
	# selector to a Unix socket that does not exist, so it fails before any
	# packet. Pod IPs come from the organization-local multicast range
	# 239.255.0.0/16: valid for the API (Endpoints may not hold loopback
	# addresses), and the kernel refuses a TCP connection to a multicast
	# address (ENETUNREACH) without sending anything.
	service_cidr="${SANDBOX_SERVICE_CIDR:-127.96.0.0/16}"
	kwok_cidr="${SANDBOX_POD_CIDR:-239.255.0.0/16}"
fi

# binary_of <component>: the executable it runs.
binary_of() {
	case "$1" in
	etcd) echo "$etcd_bin" ;;
	kwok) echo "$kwok_bin" ;;
	containerd) echo "$containerd_bin" ;;
	forward) echo "$sandbox_bin" ;;
	*) echo "$k8s_bin/$1" ;;
	esac
}

# pid_of <component>: its PID when it is running (and is still our binary:
# a PID file can outlive its process and the number be reused). A binary
# rebuilt since the start shows as "<path> (deleted)": still ours.
pid_of() {
	local file="$run/$1.pid" pid exe bin
	[[ -f "$file" ]] || return 1
	pid="$(<"$file")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	exe="$(readlink "/proc/$pid/exe" 2>/dev/null)" || return 1
	bin="$(binary_of "$1")"
	[[ "$exe" == "$bin" || "$exe" == "$bin (deleted)" ]] || return 1
	echo "$pid"
}

# start <component> <args...>: run it detached, logging to
# logs/<component>.log; in real mode inside the sandbox's namespace
# (except the forwarder, the one process that bridges the two).
start() {
	local name="$1" bin pid
	shift
	if pid_of "$name" >/dev/null; then
		return 0
	fi
	bin="$(binary_of "$name")"
	log "starting $name"
	if [[ "$mode" == real && "$name" != forward ]]; then
		# nsenter enters the namespace and execs the binary in the same
		# process, so $! is the daemon's own PID.
		setsid nsenter --net="$netns_path" -- "$bin" "$@" >>"$logs/$name.log" 2>&1 </dev/null &
	else
		setsid "$bin" "$@" >>"$logs/$name.log" 2>&1 </dev/null &
	fi
	pid=$!
	echo "$pid" >"$run/$name.pid"
	# Until nsenter has exec'd, the PID is nsenter's: wait so pid_of sees
	# the daemon (or its early exit) from here on.
	for _ in $(seq 50); do
		[[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" == "$bin" ]] && return 0
		[[ -e "/proc/$pid" ]] || break
		sleep 0.02
	done
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
			die "$component exited while waiting for $what; its log: ${logs#"$repo_root/"}/$component.log"
		fi
		if ((SECONDS >= deadline)); then
			die "timed out waiting for $what; logs in ${logs#"$repo_root/"}"
		fi
		sleep 0.2
	done
}

# on_cluster <command...>: run where the cluster's own addresses are
# reachable: inside the namespace in real mode, here in kwok mode.
on_cluster() {
	if [[ "$mode" == real ]]; then
		nsenter --net="$netns_path" -- "$@"
	else
		"$@"
	fi
}

check_tools() {
	local missing=() c
	for c in etcd kube-apiserver kube-controller-manager kube-scheduler kwok; do
		[[ -x "$(binary_of "$c")" ]] || missing+=("$(binary_of "$c")")
	done
	[[ -x "$kubectl_bin" ]] || missing+=("$kubectl_bin")
	[[ -f "$kwok_stages" ]] || missing+=("$kwok_stages")
	if [[ ${#missing[@]} -gt 0 ]]; then
		die "not built: ${missing[*]#"$repo_root/"}; run hack/build-sandbox.sh (make tools) first"
	fi
	command -v openssl >/dev/null || die "openssl is needed for the certificates: apt-get install openssl"
	for c in go curl setsid; do
		command -v "$c" >/dev/null || die "$c is needed"
	done
	if [[ "$mode" == real ]]; then
		check_node_tools
	fi
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
	local api_ips="IP:$host,IP:$(first_ip "$service_cidr")"
	[[ "$mode" == real ]] && api_ips+=",IP:$node_ip"
	cert apiserver "/CN=kube-apiserver" \
		"$api_ips,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
	# The users of the API: the admin (the kubeconfig users and tests get),
	# the two controllers under the names the bootstrap RBAC roles bind, and
	# kwok, which stands in for a kubelet and node controller and so gets the
	# admin's group rather than a node identity.
	cert admin "/O=system:masters/CN=sandbox-admin"
	cert kube-controller-manager "/CN=system:kube-controller-manager"
	cert kube-scheduler "/CN=system:kube-scheduler"
	cert kwok "/O=system:masters/CN=kwok-controller"
	if [[ "$mode" == real ]]; then
		make_node_pki
	fi
	if [[ ! -f "$pki/sa.key" ]]; then
		openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
		openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
	fi
}

# write_kubeconfig <file> <cert name>: certificates embedded, so the file
# can be copied or pointed at from anywhere. The server is 127.0.0.1: on
# the host that is the forwarder, inside the namespace the API server.
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

# kwok_node <name> <taint?>: a Node for kwok to simulate.
kwok_node() {
	local name="$1" tainted="$2"
	cat <<EOF
apiVersion: v1
kind: Node
metadata:
  name: $name
  annotations:
    ${node_annotation%%=*}: ${node_annotation#*=}
  labels:
    kubernetes.io/hostname: $name
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    type: kwok
EOF
	if [[ "$tainted" == tainted ]]; then
		cat <<EOF
    $simulated_label: "true"
spec:
  taints:
  - key: $simulated_label
    value: "true"
    effect: NoSchedule
EOF
	fi
}

write_configs() {
	write_kubeconfig "$kubeconfig" admin
	for c in kube-controller-manager kube-scheduler kwok; do
		write_kubeconfig "$run/$c.kubeconfig" "$c"
	done
	if [[ "$mode" == real ]]; then
		write_node_configs
		kwok_node "$simulated_node" tainted >"$run/node.yaml"
		return
	fi
	kwok_node "$node_name" plain >"$run/node.yaml"
	# Every API server connection into the cluster goes through this egress
	# selection, to a socket that never exists (kwok mode: see above).
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
	wait_for etcd "etcd" 30 on_cluster curl -fsS --max-time 2 "http://$host:$etcd_port/health"
}

start_apiserver() {
	local mode_flags=()
	if [[ "$mode" == real ]]; then
		# Webhooks on (istiod judges every Istio resource, the injector is
		# live); the kubelet is reached at the node's InternalIP (by name it
		# would ask a resolver the namespace cannot reach) and verified
		# against the sandbox CA; NodeRestriction keeps the kubelet to its
		# own node and pods.
		mode_flags=(
			--enable-admission-plugins NodeRestriction
			--kubelet-preferred-address-types InternalIP
			--kubelet-certificate-authority "$pki/ca.crt"
			--kubelet-client-certificate "$pki/apiserver-kubelet-client.crt"
			--kubelet-client-key "$pki/apiserver-kubelet-client.key"
		)
	else
		# The API server refuses to publish a loopback address as the
		# kubernetes Service's endpoint, hence no reconciler.
		mode_flags=(
			--endpoint-reconciler-type none
			--disable-admission-plugins MutatingAdmissionWebhook,ValidatingAdmissionWebhook
			--egress-selector-config-file "$run/egress-selector.yaml"
		)
	fi
	start kube-apiserver \
		--bind-address "$apiserver_bind" \
		--advertise-address "$advertise_address" \
		--secure-port "$apiserver_port" \
		--etcd-servers "http://$host:$etcd_port" \
		--service-cluster-ip-range "$service_cidr" \
		--service-node-port-range 30000-32767 \
		--authorization-mode Node,RBAC \
		"${mode_flags[@]}" \
		--client-ca-file "$pki/ca.crt" \
		--tls-cert-file "$pki/apiserver.crt" \
		--tls-private-key-file "$pki/apiserver.key" \
		--service-account-issuer https://kubernetes.default.svc.cluster.local \
		--service-account-key-file "$pki/sa.pub" \
		--service-account-signing-key-file "$pki/sa.key" \
		--allow-privileged=true \
		--profiling=false
	wait_for kube-apiserver "the API server's /readyz" 90 kctl --request-timeout=5s get --raw /readyz
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
}

# start_kwok: kwok's pinned "fast" stages (node ready at once, lease
# heartbeat, pods Running and Ready at once, deleted pods removed; see
# build-sandbox.sh) for the nodes carrying kwok's annotation: the one node
# in kwok mode, the tainted ingress node in real mode. Its pods' addresses
# lead nowhere: a multicast range in kwok mode, a range with no route in
# real mode.
start_kwok() {
	start kwok \
		--kubeconfig "$run/kwok.kubeconfig" \
		--config "$kwok_stages" \
		--manage-nodes-with-annotation-selector "$node_annotation" \
		--node-ip "$host" \
		--node-port "$kwok_port" \
		--server-address "$host:$kwok_port" \
		--cidr "$kwok_cidr" \
		--node-lease-duration-seconds 40
	local name
	name="$(sed -n 's/^  name: //p' "$run/node.yaml" | head -n1)"
	# create, not apply: apply fetches the OpenAPI schema, which a starting
	# API server takes seconds to build.
	kctl get node "$name" >/dev/null 2>&1 || kctl create --validate=false -f "$run/node.yaml" >/dev/null
	wait_for kwok "node $name Ready" 60 kctl wait --for=condition=Ready "node/$name" --timeout=2s
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

# up_key: what a running sandbox was started from: the mode, this script
# and hack/sandbox/, the pinned versions and every SANDBOX_* setting. A
# complete `up` records it (run/up.key); a different key means the next
# `up` takes the full path.
up_key() {
	{
		echo "mode $mode"
		sha256sum hack/sandbox.sh versions.env
		find hack/sandbox -type f -print0 | sort -z | xargs -0 sha256sum
		env | grep '^SANDBOX_' | sort || true
	} | sha256sum | cut -d' ' -f1
}

# already_up: a complete `up` from the same inputs, every process still
# ours and running, and the API server ready (one request). Then an `up`,
# which every make up and preview runs, has nothing to start or wait for.
# The full path would not recheck the network seal either: check_node_host
# returns at once when the forwarder runs, and each start keeps a running
# process; the seal is asserted by test/e2e.
already_up() {
	local c
	[[ -f "$run/up.key" && "$(<"$run/up.key")" == "$(up_key)" ]] || return 1
	for c in "${components[@]}"; do
		pid_of "$c" >/dev/null || return 1
	done
	kctl --request-timeout=5s get --raw /readyz >/dev/null 2>&1
}

up() {
	check_tools
	link_charts
	if already_up; then
		# An image rebuilt since (make tools) still reaches the node: the
		# import skips, in a few ctr calls, every image containerd holds.
		if [[ "$mode" == real ]]; then
			import_images
		fi
		log "already up ($mode), every process running and the API ready: nothing to start (hack/sandbox.sh status for details)"
		return 0
	fi
	# From here on the sandbox counts as complete only once this up ends.
	rm -f "$run/up.key"
	if [[ "$mode" == real ]]; then
		check_node_host
	fi
	mkdir -p "$logs" "$run"
	echo "$mode" >"$run/mode"
	[[ "$mode" == real ]] && echo "$netns_name" >"$run/netns"
	make_pki
	write_configs
	if [[ "$mode" == real ]]; then
		netns_up
		start_forwarder
	fi
	start_etcd
	start_apiserver
	start_controllers
	if [[ "$mode" == real ]]; then
		node_up
	fi
	start_kwok
	# Pods need their namespace's default ServiceAccount; wait for the
	# controller to make the first one so the cluster is usable at once.
	wait_for kube-controller-manager "the default ServiceAccount" 30 kctl --request-timeout=5s get serviceaccount default -n default
	if [[ "$mode" == real ]]; then
		dns_up
	fi
	up_key >"$run/up.key"
	log "up ($mode) in ${SECONDS}s: kubectl --kubeconfig ${kubeconfig#"$repo_root/"} get nodes"
}

# stop <component...>: SIGTERM to each, then SIGKILL to any still running
# after 20 s (a stopping API server drains for up to 15 s). A process is
# gone once /proc no longer shows its executable (an unreaped zombie has
# none): wait for the PID, not the port.
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
	for _ in $(seq 100); do
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
	if [[ "$mode" == real ]]; then
		# What runs on the node first (the kubelet would restart it), then
		# the API's clients, the API server, etcd; then what a killed run
		# may have left (node_cleanup needs none of the PID files).
		stop forward kubelet
		node_kill_pods
		stop kube-proxy containerd
	fi
	stop kwok kube-scheduler kube-controller-manager
	stop kube-apiserver
	stop etcd
	if [[ "$mode" == real ]]; then
		node_cleanup
	fi
	rm -rf "$state/etcd"
	rm -f "$run/mode" "$run/netns" "$run/up.key"
	if ((refused)); then
		die "down refused the entries above; everything else the sandbox made is removed"
	fi
	log "down; the cluster's data is deleted (a stack deployed to it has stale state: refresh or remove it)"
}

status() {
	local c pid rc=0
	printf '%-24s %s\n' "mode" "$mode"
	[[ "$mode" == real ]] && printf '%-24s %s\n' "network namespace" "$netns_name"
	for c in "${components[@]}"; do
		if pid="$(pid_of "$c")"; then
			printf '%-24s running (pid %s)\n' "$c" "$pid"
		else
			printf '%-24s stopped\n' "$c"
			rc=1
		fi
	done
	if [[ -f "$kubeconfig" ]] && kctl --request-timeout=5s get --raw /readyz >/dev/null 2>&1; then
		printf '%-24s ready (https://%s:%s)\n' "api" "$host" "$apiserver_port"
		kctl get nodes --no-headers 2>/dev/null | awk '{printf "%-24s %s\n", "node " $1, $2}'
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
host-snapshot) host_snapshot ;;
*)
	echo "usage: hack/sandbox.sh up|down|status|host-snapshot" >&2
	exit 2
	;;
esac
