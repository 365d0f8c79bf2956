package components

import (
	"encoding/json"

	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// hopServicePorts are a hop's Service ports: HTTP, the tutorial's, and
// with the grpc transport the port the previous hop calls.
func hopServicePorts(s SampleChainSpec) []ServicePort {
	ports := []ServicePort{{Name: "http-web", Port: s.Port}}
	if s.Transport == ChainTransportGRPC {
		ports = append(ports, ServicePort{Name: "grpc-hop", Port: s.GRPCPort})
	}
	return ports
}

// proxylessPodLabels are the labels of a proxyless hop's pods: the mesh's
// opt-in to injection, and security.istio.io/tlsMode, which the
// grpc-agent template cannot set (Istio's docs: the application decides
// whether it uses the mesh's credentials) and by which istiod tells its
// clients that the endpoint speaks mTLS.
func proxylessPodLabels(p *ProxylessInjection) map[string]string {
	return mergeMaps(p.PodLabels, map[string]string{"security.istio.io/tlsMode": "istio"})
}

// ProxylessPodAnnotations select the grpc-agent template and hold the app
// until pilot-agent is ready: without the xDS bootstrap it writes, the
// app's gRPC server and client could not start. Every proxyless pod
// carries them (the hops, and test/e2e's probes).
func ProxylessPodAnnotations() map[string]string {
	proxyConfig, _ := json.Marshal(map[string]bool{"holdApplicationUntilProxyStarts": true})
	return map[string]string{
		"inject.istio.io/templates": GRPCAgentTemplate,
		"proxy.istio.io/config":     string(proxyConfig),
	}
}

// proxylessPodAnnotations are a hop's: the mesh's, and every proxyless pod's.
func proxylessPodAnnotations(p *ProxylessInjection) map[string]string {
	return mergeMaps(p.PodAnnotations, ProxylessPodAnnotations())
}

// grpcAgentContainer is the pod's own istio-proxy container, which
// istiod's injector merges the template's onto (Istio's documented way to
// customize the injected container; image "auto" keeps the injected
// image). The grpc-agent template sets no securityContext, so without this
// the app namespace's restricted Pod Security would refuse the pod; it
// runs as the sidecar's user, as Envoy's template does. Its resources are
// pilot-agent's alone (BENCHMARKS.md: about 34 MiB resident); the chart's
// proxy resources, which the template would apply, are sized for Envoy.
func grpcAgentContainer() corev1.ContainerArgs {
	sc := restrictedContainerSecurityContext(true)
	sc.RunAsUser, sc.RunAsGroup, sc.RunAsNonRoot = pulumi.Int(SidecarUID), pulumi.Int(SidecarUID), pulumi.Bool(true)
	return corev1.ContainerArgs{
		Name:  pulumi.String("istio-proxy"),
		Image: pulumi.String("auto"),
		// The API server defaults the pull policy before the injector
		// runs, from this image: "auto" has no tag, so it would be Always,
		// and the merge keeps ours. IfNotPresent is what the injected,
		// tagged proxy image would get by itself.
		ImagePullPolicy: pulumi.String("IfNotPresent"),
		SecurityContext: sc,
		Resources:       grpcAgentResources.args(),
	}
}

// grpcAgentResources are the injected pilot-agent's requests and limits.
var grpcAgentResources = Resources{
	Requests: ResourceList{CPU: "10m", Memory: "48Mi"},
	Limits:   ResourceList{CPU: "500m", Memory: "128Mi"},
}
