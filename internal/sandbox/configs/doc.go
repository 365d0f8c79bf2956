// Package configs renders the sandbox components' configuration files:
// from the upstream Go types where they exist (kubeconfigs with client-go's
// clientcmd/api, the kubelet's KubeletConfiguration, kube-proxy's
// KubeProxyConfiguration, the API server's EgressSelectorConfiguration,
// the Node and CoreDNS objects with k8s.io/api) and from small structs
// elsewhere (containerd's TOML, the CNI conflist, CoreDNS' Corefile).
// One file per configuration; nothing here writes a file or starts
// anything.
package configs
