package configs

import (
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeproxyv1alpha1 "k8s.io/kube-proxy/config/v1alpha1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// KubeProxy is what kube-proxy's configuration is made from.
type KubeProxy struct {
	Kubeconfig string
	NodeName   string
	PodCIDR    string
}

// Render is the KubeProxyConfiguration.
func (k KubeProxy) Render() ([]byte, error) {
	cfg := kubeproxyv1alpha1.KubeProxyConfiguration{
		TypeMeta:           metav1.TypeMeta{APIVersion: kubeproxyv1alpha1.SchemeGroupVersion.String(), Kind: "KubeProxyConfiguration"},
		Mode:               "iptables",
		HostnameOverride:   k.NodeName,
		ClusterCIDR:        k.PodCIDR,
		HealthzBindAddress: "127.0.0.1:10256",
		MetricsBindAddress: "127.0.0.1:10249",
		// No negative score (no CAP_SYS_RESOURCE), and no conntrack
		// tuning: the conntrack table size is the host's, not the
		// namespace's.
		OOMScoreAdj: ptr.To[int32](0),
		Conntrack: kubeproxyv1alpha1.KubeProxyConntrackConfiguration{
			MaxPerCore:            ptr.To[int32](0),
			Min:                   ptr.To[int32](0),
			TCPEstablishedTimeout: &metav1.Duration{Duration: 0 * time.Second},
			TCPCloseWaitTimeout:   &metav1.Duration{Duration: 0 * time.Second},
		},
	}
	cfg.ClientConnection.Kubeconfig = k.Kubeconfig
	return yaml.Marshal(cfg)
}
