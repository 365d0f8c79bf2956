# The sandbox's real node (sourced by hack/sandbox.sh in real mode): its
# network namespace, containerd, kubelet and kube-proxy, the images it runs,
# cluster DNS, the host forwarder, and the clean-up of all of it.

# The namespace's name, and with it every name and path below. `up`
# records it before it makes anything, and it wins over SANDBOX_NETNS, so
# `down` and `status` act on what `up` made whatever the environment says.
# Names the sandbox would put in paths it deletes are checked first.
if [[ -f "$run/netns" ]]; then
	netns_name="$(<"$run/netns")"
else
	netns_name="${SANDBOX_NETNS:-play-kubernetes-sandbox}"
fi
[[ "$netns_name" =~ ^[a-z0-9]([a-z0-9-]{0,48}[a-z0-9])?$ ]] ||
	die "network namespace name ${netns_name@Q} (SANDBOX_NETNS, or recorded in ${run#"$repo_root/"}/netns) is not accepted; want lower-case letters, digits and '-', at most 50"
netns_path="/run/netns/$netns_name"
# Runtime files: sockets (short paths, whatever the checkout's), CNI
# configuration and plugins, IPAM leases, pod network namespaces.
rt="/run/$netns_name"
# The node's address is the CNI bridge's: the pods' gateway, where they
# reach the API server and the kubelet. Pods get 10.244.0.2 and up.
node_ip=10.244.0.1
pod_cidr=10.244.0.0/24
dns_ip=10.96.0.10
# The simulated ingress node's pods get addresses from a range with no
# route in the namespace: connecting to one fails at once.
simulated_pod_cidr=10.245.0.0/24
simulated_node=sandbox-ingress
simulated_label=play-kubernetes.io/simulated
# Every cgroup of the node (kubelet's kubepods and each container's) sits
# under this one, in every v1 controller: what `down` removes.
cg_root="$netns_name"
# Kernel settings the kubelet changes on start (pkg/kubelet/cm's
# setupKernelTunables); they are not namespaced, so `up` records them and
# `down` puts them back.
kubelet_sysctls=(vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes)
# Paths the kubelet and istio-cni write outside their configured
# directories (hard-coded: the device plugin socket directory, the
# /var/log/containers links, istio-cni's socket directory); `down` removes
# those that did not exist before `up`.
host_paths=(/var/lib/kubelet /var/log/containers /var/log/pods /var/run/istio-cni)
cni_plugins=(bridge host-local loopback)

containerd_bin="$(command -v containerd 2>/dev/null || echo /usr/bin/containerd)"
sandbox_bin="$repo_root/.tools/sandbox/sandbox"
images_dir="$repo_root/.tools/images"

in_ns() { nsenter --net="$netns_path" -- "$@"; }

check_node_tools() {
	local missing=() c
	for c in kubelet kube-proxy; do
		[[ -x "$k8s_bin/$c" ]] || missing+=("$k8s_bin/$c")
	done
	[[ -x "$sandbox_bin" ]] || missing+=("$sandbox_bin")
	for c in pause coredns nginx prometheus jaeger sample-app toolbox pilot install-cni; do
		[[ -f "$images_dir/$c.tar" ]] || missing+=("$images_dir/$c.tar")
	done
	if [[ ${#missing[@]} -gt 0 ]]; then
		die "not built: ${missing[*]#"$repo_root/"}; run make tools (hack/build-sandbox.sh, hack/build-images.sh) first"
	fi
	local pkgs=()
	command -v containerd >/dev/null && command -v ctr >/dev/null || pkgs+=(containerd)
	command -v containerd-shim-runc-v2 >/dev/null || pkgs+=(containerd)
	command -v runc >/dev/null || pkgs+=(runc)
	for c in "${cni_plugins[@]}"; do
		[[ -x "/usr/lib/cni/$c" ]] || pkgs+=(containernetworking-plugins)
	done
	command -v iptables >/dev/null || pkgs+=(iptables)
	command -v conntrack >/dev/null || pkgs+=(conntrack)
	command -v nsenter >/dev/null || pkgs+=(util-linux)
	command -v ip >/dev/null || pkgs+=(iproute2)
	if [[ ${#pkgs[@]} -gt 0 ]]; then
		die "missing Debian packages for real pods: $(printf '%s\n' "${pkgs[@]}" | sort -u | tr '\n' ' ')- run: apt-get install -y ${pkgs[*]} (or SANDBOX_MODE=kwok for simulated pods)"
	fi
	[[ "$(id -u)" == 0 ]] || die "real pods need root (network namespaces, containerd, the kubelet); run as root, or SANDBOX_MODE=kwok"
	[[ -d /sys/fs/cgroup/memory && -d /sys/fs/cgroup/cpu ]] || die "real pods need the cgroup v1 controllers under /sys/fs/cgroup (memory, cpu): this machine's layout is not supported"
}

# check_node_host: what a killed sandbox or another program left in the
# way, each with one line on how to fix it.
check_node_host() {
	if pid_of forward >/dev/null; then
		return 0 # already up: the rest is checked by each start
	fi
	if [[ -e "$netns_path" ]] && ! pid_of kube-apiserver >/dev/null; then
		die "a sandbox that was killed left its network namespace $netns_name behind: run make sandbox-down (hack/sandbox.sh down) first"
	fi
	if grep -qs " $rt" /proc/self/mountinfo || grep -qs " $state/" /proc/self/mountinfo; then
		die "a sandbox that was killed left mounts under $rt or .state/sandbox: run make sandbox-down (hack/sandbox.sh down) first"
	fi
	if [[ -d "/sys/fs/cgroup/memory/$cg_root" ]]; then
		die "a sandbox that was killed left its cgroups (/sys/fs/cgroup/*/$cg_root): run make sandbox-down (hack/sandbox.sh down) first"
	fi
	local owner
	if listening "$apiserver_port"; then
		owner="$(ss -Hltnp "sport = :$apiserver_port")"
		die "127.0.0.1:$apiserver_port (the API server's forward) is taken: $(awk '{print $NF}' <<<"$owner" | head -n1); stop it or set SANDBOX_APISERVER_PORT"
	fi
	# A fresh start: what the host looks like before anything is made.
	mkdir -p "$state"
	host_snapshot >"$state/host-before"
}

# host_snapshot: what the sandbox must leave as it was in the host's
# namespace. A fresh `up` records it (.state/sandbox/host-before, kept by
# `down`); test/e2e compares the first sections while the sandbox runs and
# all of them after `down` (the kubelet changes the kernel settings and
# creates the paths of the last two while it runs). Counters and
# timestamps are stripped.
host_snapshot() {
	echo "# links"
	ip -o link show | sed -E 's/^[0-9]+: //; s/ link\/.*//; s/ qlen [0-9]+//'
	echo "# routes"
	ip route show table all
	ip -6 route show table all 2>/dev/null || true
	echo "# iptables"
	iptables-save 2>/dev/null | sed -E '/^#/d; s/\[[0-9]+:[0-9]+\]//'
	echo "# nftables"
	nft list ruleset 2>/dev/null || true
	echo "# network sysctls"
	sysctl net.ipv4.ip_forward net.ipv4.conf.all.forwarding net.ipv4.conf.all.route_localnet \
		net.bridge.bridge-nf-call-iptables net.netfilter.nf_conntrack_max 2>/dev/null || true
	echo "# network namespaces"
	ip netns list 2>/dev/null | awk '{print $1}' | grep -vx "$netns_name" | sort || true
	echo "# kernel sysctls (the kubelet's, restored by down)"
	sysctl "${kubelet_sysctls[@]}" 2>/dev/null || true
	echo "# host paths (the kubelet's and istio-cni's, removed by down)"
	local p
	for p in "${host_paths[@]}"; do
		[[ -e "$p" ]] && echo "$p"
	done
	return 0
}

make_node_pki() {
	cert kubelet "/O=system:nodes/CN=system:node:$node_name" "IP:$node_ip,DNS:$node_name"
	cert kube-proxy "/CN=system:kube-proxy"
	cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
}

# update_file <file>: write stdin to the file only if it differs, so an
# `up` of a running sandbox leaves running daemons' configuration alone
# (kube-proxy exits when its configuration file changes).
update_file() {
	local tmp
	tmp="$(mktemp "$1.XXXXXX")"
	cat >"$tmp"
	if cmp -s "$tmp" "$1"; then
		rm -f "$tmp"
	else
		mv -f "$tmp" "$1"
	fi
}

write_node_configs() {
	write_kubeconfig "$run/kubelet.kubeconfig" kubelet
	write_kubeconfig "$run/kube-proxy.kubeconfig" kube-proxy
	mkdir -p "$rt/cni/bin" "$rt/cni/net.d" "$rt/cni/ipam"
	local p
	for p in "${cni_plugins[@]}"; do
		ln -sfn "/usr/lib/cni/$p" "$rt/cni/bin/$p"
	done
	# The pod network: one bridge, addresses from host-local, a default
	# route to the bridge that ends in the namespace (it has none of its
	# own). No masquerade: there is nowhere outside to masquerade to.
	update_file "$rt/cni/net.d/10-sandbox.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "sandbox",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "$pod_cidr", "gateway": "$node_ip"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "$rt/cni/ipam"
      }
    }
  ]
}
EOF
	update_file "$run/containerd.toml" <<EOF
version = 2
root = "$state/containerd"
state = "$rt/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.zfs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$rt/containerd.sock"

[ttrpc]
  address = "$rt/containerd.sock.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "$state/containerd/opt"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$SANDBOX_PAUSE_IMAGE"
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  # This machine's root lacks CAP_SYS_RESOURCE: never ask runc for an
  # oom_score_adj below containerd's own.
  restrict_oom_score_adj = true
  # Pod network namespaces under the state directory, not /run/netns.
  netns_mounts_under_state_dir = true
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "$rt/cni/bin"
    conf_dir = "$rt/cni/net.d"
EOF
	# Pods get the cluster's DNS and nothing of the host's resolver: an
	# empty base resolv.conf (kubelet adds the cluster's nameserver and
	# search domains to pods with dnsPolicy ClusterFirst).
	: >"$run/resolv.conf"
	update_file "$run/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine has cgroup v1 only; leave its layout alone (Kubernetes 1.34
# warns that v1 is in maintenance mode).
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$cg_root
containerRuntimeEndpoint: unix://$rt/containerd.sock
address: $node_ip
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: $pki/kubelet.crt
tlsPrivateKeyFile: $pki/kubelet.key
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: $pki/ca.crt
authorization:
  mode: Webhook
clusterDNS: [$dns_ip]
clusterDomain: cluster.local
resolvConf: $run/resolv.conf
volumePluginDir: $state/kubelet/volume-plugins
podLogsDir: $state/pod-logs
# The root of this machine lacks CAP_SYS_RESOURCE: no negative score.
oomScoreAdj: 0
failSwapOn: false
serializeImagePulls: false
# Imported images cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: 100Mi
  nodefs.available: 1%
  imagefs.available: 1%
  nodefs.inodesFree: 1%
EOF
	update_file "$run/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: $run/kube-proxy.kubeconfig
mode: iptables
hostnameOverride: $node_name
clusterCIDR: $pod_cidr
healthzBindAddress: 127.0.0.1:10256
metricsBindAddress: 127.0.0.1:10249
# No negative score (no CAP_SYS_RESOURCE), and no conntrack tuning: the
# conntrack table size is the host's, not the namespace's.
oomScoreAdj: 0
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
EOF
}

# netns_up: the namespace with its loopback and the (empty) CNI bridge
# holding the node's address; forwarding on inside it only.
netns_up() {
	if [[ ! -e "$netns_path" ]]; then
		log "creating network namespace $netns_name (lo and the CNI bridge only, no route out)"
		ip netns add "$netns_name"
	fi
	in_ns ip link set lo up
	in_ns ip link show cni0 >/dev/null 2>&1 || in_ns ip link add cni0 type bridge
	in_ns ip addr show dev cni0 | grep -q "inet $node_ip/" || in_ns ip addr add "$node_ip/${pod_cidr#*/}" dev cni0
	in_ns ip link set cni0 up
	# Service addresses are virtual (kube-proxy rewrites them to a pod's),
	# but a connection from the namespace itself (the API server calling a
	# webhook, istio-cni's plugin calling the API) needs a route to choose
	# before that rewrite: the bridge. Still nothing leads out.
	in_ns ip route show "$service_cidr" | grep -q . || in_ns ip route add "$service_cidr" dev cni0 src "$node_ip"
	# Namespaced settings, inside the sandbox: pods reach Services through
	# the node (forwarding), and Service replies between pods on the bridge
	# pass kube-proxy's rules (bridge netfilter).
	in_ns sysctl -qw net.ipv4.ip_forward=1
	in_ns sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
}

# listening <port>: something listens on the host's 127.0.0.1:<port>.
listening() { ss -Hltn "sport = :$1" | grep -q .; }

start_forwarder() {
	start forward forward \
		-netns "$netns_path" \
		-listen "$apiserver_port=$host:$apiserver_port" \
		-nodeports "$node_ip" \
		-kubeconfig "$kubeconfig"
	wait_for forward "the forwarder's 127.0.0.1:$apiserver_port" 10 listening "$apiserver_port"
}

# record_host_state: the host's sysctls the kubelet will change, and the
# paths it will create, remembered once per sandbox.
record_host_state() {
	if [[ ! -f "$state/host-sysctls" ]]; then
		sysctl "${kubelet_sysctls[@]}" 2>/dev/null | sed 's/ = /=/' >"$state/host-sysctls.tmp"
		mv "$state/host-sysctls.tmp" "$state/host-sysctls"
	fi
	if [[ ! -f "$state/host-paths-created" ]]; then
		local p
		for p in "${host_paths[@]}"; do
			[[ -e "$p" ]] || echo "$p"
		done >"$state/host-paths-created"
	fi
}

make_cgroups() {
	local ctrl
	for ctrl in /sys/fs/cgroup/*/; do
		[[ -f "$ctrl/cgroup.procs" ]] || continue
		mkdir -p "$ctrl$cg_root"
	done
	# A new cpuset cgroup starts with no CPUs and no memory nodes.
	if [[ -d /sys/fs/cgroup/cpuset/$cg_root ]]; then
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$cg_root/cpuset.cpus"
		cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$cg_root/cpuset.mems"
	fi
}

ctr_k8s() { ctr --address "$rt/containerd.sock" --namespace k8s.io "$@"; }

# all_listed <" list "> <name...>: every name is a word of the list.
all_listed() {
	local list="$1" name
	shift
	for name in "$@"; do
		[[ "$list" == *" $name "* ]] || return 1
	done
}

# import_images loads each image tarball that containerd does not hold
# yet. An import is recorded beside containerd's own data (so it goes
# when the data does) as the tarball's digest and names (its .digest
# file), and counts while containerd still lists every name (the kubelet's
# image GC may remove one): an `up` of a running sandbox, which every
# `make up` and `make preview` does, then re-imports nothing (9 imports
# took about 5 s).
import_images() {
	local tar stamp names imported=0 kept=0
	local stamps="$state/containerd/playk8s-imported"
	mkdir -p "$stamps"
	names=" $(ctr_k8s images ls -q | tr '\n' ' ') "
	for tar in "$images_dir"/*.tar; do
		stamp="$stamps/$(basename "$tar").digest"
		if [[ -f "$tar.digest" ]] && cmp -s "$tar.digest" "$stamp" && all_listed "$names" $(cut -d' ' -f2- "$tar.digest"); then
			kept=$((kept + 1))
			continue
		fi
		ctr_k8s images import "$tar" >/dev/null ||
			die "importing $(basename "$tar") into containerd failed; its log: ${logs#"$repo_root/"}/containerd.log"
		[[ -f "$tar.digest" ]] && cp "$tar.digest" "$stamp"
		imported=$((imported + 1))
	done
	log "imported $imported images, $kept already there (hack/build-images.sh): $(ctr_k8s images ls -q | grep -c . ) names"
}

node_up() {
	record_host_state
	make_cgroups
	mkdir -p "$state/containerd" "$state/kubelet" "$state/pod-logs" "$rt/containerd"
	start containerd --config "$run/containerd.toml" --log-level warn
	wait_for containerd "containerd's socket" 30 ctr --address "$rt/containerd.sock" version
	import_images
	start kubelet \
		--config "$run/kubelet.yaml" \
		--kubeconfig "$run/kubelet.kubeconfig" \
		--root-dir "$state/kubelet" \
		--cert-dir "$pki" \
		--node-ip "$node_ip" \
		--hostname-override "$node_name"
	start kube-proxy --config "$run/kube-proxy.yaml"
	wait_for kubelet "node $node_name Ready" 90 kctl wait --for=condition=Ready "node/$node_name" --timeout=2s
}

# dns_up: CoreDNS as the cluster's kube-dns (hack/sandbox/coredns.yaml).
dns_up() {
	sed -e "s|@COREDNS_IMAGE@|$SANDBOX_COREDNS_IMAGE|; s|@DNS_IP@|$dns_ip|" hack/sandbox/coredns.yaml |
		kctl apply --server-side --field-manager=sandbox -f - >/dev/null
	wait_for kubelet "CoreDNS ready" 120 kctl -n kube-system rollout status deployment/coredns --timeout=2s
	log "cluster DNS at $dns_ip (CoreDNS, no upstream: names outside the cluster do not resolve)"
}

# node_kill_pods: every process in the node's cgroups, then containerd's
# record of them (so a restarted containerd holds nothing stale).
node_kill_pods() {
	local procs pid ctrl=/sys/fs/cgroup/pids
	[[ -d "$ctrl/$cg_root" ]] || ctrl=/sys/fs/cgroup/memory
	for _ in $(seq 50); do
		procs="$(find "$ctrl/$cg_root" -name cgroup.procs -exec cat {} + 2>/dev/null || true)"
		[[ -n "$procs" ]] || break
		for pid in $procs; do
			kill -9 "$pid" 2>/dev/null || true
		done
		sleep 0.1
	done
	if [[ -S "$rt/containerd.sock" ]] && pid_of containerd >/dev/null; then
		local id
		for id in $(ctr_k8s tasks ls -q 2>/dev/null); do
			ctr_k8s tasks delete -f "$id" >/dev/null 2>&1 || true
		done
	fi
}

# node_cleanup: everything real mode made on this machine, whether or not
# the processes and PID files are still there (a killed run leaves them).
node_cleanup() {
	local pid mnt ctrl p
	# Whatever still runs in the namespace: containerd's shims, a daemon
	# whose PID file was lost.
	if [[ -e "$netns_path" ]]; then
		for _ in $(seq 50); do
			local pids
			pids="$(ip netns pids "$netns_name" 2>/dev/null || true)"
			[[ -n "$pids" ]] || break
			for pid in $pids; do
				kill -9 "$pid" 2>/dev/null || true
			done
			sleep 0.1
		done
	fi
	node_kill_pods
	# Mounts: containers' root filesystems, pod volumes, pod network
	# namespaces; deepest first.
	while read -r mnt; do
		umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || log "could not unmount $mnt"
	done < <(awk -v a="$rt" -v b="$state/" '$5 == a || index($5, a "/") == 1 || index($5, b) == 1 {print $5}' /proc/self/mountinfo |
		awk '{print length, $0}' | sort -rn | cut -d' ' -f2-)
	for ctrl in /sys/fs/cgroup/*/; do
		[[ -d "$ctrl$cg_root" ]] || continue
		find "$ctrl$cg_root" -depth -type d -exec rmdir {} + 2>/dev/null || log "could not remove cgroup $ctrl$cg_root"
	done
	if [[ -e "$netns_path" ]]; then
		ip netns del "$netns_name" || log "could not delete network namespace $netns_name"
	fi
	# The records are files under .state/: down, as root, acts only on the
	# entries up can write (the kubelet's sysctls with a number, its
	# hard-coded paths) and refuses any other by name.
	if [[ -f "$state/host-sysctls" ]]; then
		while IFS= read -r kv; do
			if ! allowed_sysctl "$kv"; then
				log "refusing ${kv@Q} in ${state#"$repo_root/"}/host-sysctls: not one of the kubelet's sysctls (${kubelet_sysctls[*]}) set to a number"
				refused=1
				continue
			fi
			sysctl -qw "$kv" 2>/dev/null || log "could not restore $kv"
		done <"$state/host-sysctls"
		rm -f "$state/host-sysctls"
	fi
	if [[ -f "$state/host-paths-created" ]]; then
		while IFS= read -r p; do
			[[ -n "$p" ]] || continue
			if ! in_list "$p" "${host_paths[@]}"; then
				log "refusing ${p@Q} in ${state#"$repo_root/"}/host-paths-created: not one of the paths the sandbox creates (${host_paths[*]})"
				refused=1
				continue
			fi
			rm -rf "$p"
		done <"$state/host-paths-created"
		rm -f "$state/host-paths-created"
	fi
	rm -rf "$rt" "$state/containerd" "$state/kubelet" "$state/pod-logs"
}

# in_list <word> <list...>: whether word is one of the list.
in_list() {
	local w="$1" x
	shift
	for x in "$@"; do
		[[ "$x" == "$w" ]] && return 0
	done
	return 1
}

# allowed_sysctl <key=value>: one of the kubelet's sysctls, set to a number.
allowed_sysctl() {
	local key="${1%%=*}" value="${1#*=}"
	[[ "$1" == *=* && "$value" =~ ^-?[0-9]+$ ]] && in_list "$key" "${kubelet_sysctls[@]}"
}
