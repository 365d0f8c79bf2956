package configs

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kubeletv1beta1 "k8s.io/kubelet/config/v1beta1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"
)

// Kubelet is what the kubelet's configuration is made from.
type Kubelet struct {
	CgroupRoot       string
	ContainerdSocket string
	NodeIP           string
	CertFile         string
	KeyFile          string
	ClientCAFile     string
	DNSIP            string
	ClusterDomain    string
	ResolvConf       string
	VolumePluginDir  string
	PodLogsDir       string
}

// Render is the KubeletConfiguration.
func (k Kubelet) Render() ([]byte, error) {
	cfg := kubeletv1beta1.KubeletConfiguration{
		TypeMeta: metav1.TypeMeta{APIVersion: kubeletv1beta1.SchemeGroupVersion.String(), Kind: "KubeletConfiguration"},
		// This machine has cgroup v1 only; leave its layout alone
		// (Kubernetes 1.34 warns that v1 is in maintenance mode).
		FailCgroupV1:             ptr.To(false),
		CgroupDriver:             "cgroupfs",
		CgroupRoot:               "/" + k.CgroupRoot,
		ContainerRuntimeEndpoint: "unix://" + k.ContainerdSocket,
		Address:                  k.NodeIP,
		Port:                     10250,
		ReadOnlyPort:             0,
		HealthzBindAddress:       "127.0.0.1",
		HealthzPort:              ptr.To[int32](10248),
		TLSCertFile:              k.CertFile,
		TLSPrivateKeyFile:        k.KeyFile,
		Authentication: kubeletv1beta1.KubeletAuthentication{
			Anonymous: kubeletv1beta1.KubeletAnonymousAuthentication{Enabled: ptr.To(false)},
			Webhook:   kubeletv1beta1.KubeletWebhookAuthentication{Enabled: ptr.To(true)},
			X509:      kubeletv1beta1.KubeletX509Authentication{ClientCAFile: k.ClientCAFile},
		},
		Authorization: kubeletv1beta1.KubeletAuthorization{Mode: kubeletv1beta1.KubeletAuthorizationModeWebhook},
		ClusterDNS:    []string{k.DNSIP},
		ClusterDomain: k.ClusterDomain,
		// Pods get the cluster's DNS and nothing of the host's resolver:
		// an empty base resolv.conf.
		ResolverConfig:  ptr.To(k.ResolvConf),
		VolumePluginDir: k.VolumePluginDir,
		PodLogsDir:      k.PodLogsDir,
		// The root of this machine lacks CAP_SYS_RESOURCE: no negative score.
		OOMScoreAdj:         ptr.To[int32](0),
		FailSwapOn:          ptr.To(false),
		SerializeImagePulls: ptr.To(false),
		// Imported images cannot be pulled again: never collect them.
		ImageGCHighThresholdPercent: ptr.To[int32](100),
		ImageGCLowThresholdPercent:  ptr.To[int32](99),
		EvictionHard: map[string]string{
			"memory.available":  "100Mi",
			"nodefs.available":  "1%",
			"imagefs.available": "1%",
			"nodefs.inodesFree": "1%",
		},
	}
	return yaml.Marshal(cfg)
}
