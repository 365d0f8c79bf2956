package components

import (
	"fmt"
	"strconv"
	"strings"

	appsv1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/apps/v1"
	corev1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/core/v1"
	metav1 "github.com/pulumi/pulumi-kubernetes/sdk/v4/go/kubernetes/meta/v1"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SampleAppUID is the non-root user sample-app's image runs as (distroless "nonroot").
const SampleAppUID = 65532

// ChainHop is one hop's workload.
type ChainHop struct {
	Name           string
	ServiceAccount *corev1.ServiceAccount
	// Deployments are the hop's one Deployment, or one per version.
	Deployments []*appsv1.Deployment
	Service     *Service
}

// newChainHop registers hop i: its ServiceAccount, Service, Deployment and
// disruption budget. Its app exports spans to spansTo, an OTLP/HTTP
// endpoint ("": none).
func newChainHop(ctx *pulumi.Context, s SampleChainSpec, i int, image hopImage, mesh MeshAttachment, spansTo string, parent pulumi.ResourceOption) (*ChainHop, error) {
	hop := s.Hops[i]
	name := HopServiceName(hop)
	selector := map[string]string{"app": name}
	h := &ChainHop{Name: hop}
	var err error
	// One ServiceAccount per hop: Istio's mTLS identity (and so any
	// AuthorizationPolicy) is the ServiceAccount.
	h.ServiceAccount, err = corev1.NewServiceAccount(ctx, name, &corev1.ServiceAccountArgs{
		Metadata:                     &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(name), Namespace: mesh.AppNamespace},
		AutomountServiceAccountToken: pulumi.Bool(false),
	}, parent)
	if err != nil {
		return nil, err
	}
	// The Service comes first: the kubelet gives a pod the
	// SERVICE_<NAME>_SERVICE_HOST/PORT variables only of Services that exist
	// when the pod starts (the tutorial's env-var discovery, which each hop
	// reports on /).
	h.Service, err = NewService(ctx, name, &ServiceArgs{
		Namespace: mesh.AppNamespace,
		Type:      ServiceTypeClusterIP,
		Selector:  selector,
		// "http-"/"grpc-" tell Istio the protocol, so the sidecars speak
		// HTTP (and trace) on it, and istiod sends proxyless clients a
		// gRPC route for it.
		Ports:  hopServicePorts(s),
		Labels: selector,
		// Not awaited: its endpoints are the Deployment's pods, which the
		// Deployment's own await waits for.
		SkipAwait: true,
	}, parent, pulumi.DependsOn(mesh.Injector))
	if err != nil {
		return nil, err
	}
	total := 0
	for _, w := range hopWorkloads(s, hop, image) {
		d, err := appsv1.NewDeployment(ctx, w.name, hopDeployment(s, i, w, mesh, spansTo, h.ServiceAccount),
			parent, pulumi.DependsOn(append([]pulumi.Resource{h.Service.Service}, mesh.Injector...)))
		if err != nil {
			return nil, err
		}
		h.Deployments = append(h.Deployments, d)
		total += w.replicas
	}
	// One budget over every version: they serve the hop together.
	if _, err := newDisruptionBudget(ctx, name, mesh.AppNamespace, total, selector, parent); err != nil {
		return nil, err
	}
	return h, nil
}

// hopWorkload is one Deployment of a hop: the hop itself, or one of its
// configured versions.
type hopWorkload struct {
	// name is the Deployment's: service-<hop>, or service-<hop>-<version>.
	name string
	// version is the pods' version label.
	version string
	// named: a configured version, which its pods report (SERVICE_VERSION)
	// and its Deployment selects by.
	named    bool
	replicas int
	image    hopImage
}

// hopWorkloads are hop's Deployments: one, as the tutorial's, labeled
// version v1, or one per configured version, each with its own image and
// replicas where given.
func hopWorkloads(s SampleChainSpec, hop string, image hopImage) []hopWorkload {
	t := s.trafficOf(hop)
	if !t.versioned() {
		return []hopWorkload{{name: HopServiceName(hop), version: "v1", replicas: s.Replicas, image: image}}
	}
	var out []hopWorkload
	for _, v := range t.Versions {
		w := hopWorkload{name: HopVersionName(hop, v.Name), version: v.Name, named: true, replicas: s.Replicas, image: image}
		if v.Replicas != nil {
			w.replicas = *v.Replicas
		}
		if v.Image != "" {
			w.image = hopImage{ref: pulumi.String(v.Image).ToStringOutput(), pullPolicy: "IfNotPresent"}
		}
		out = append(out, w)
	}
	return out
}

// hopDeployment is the Deployment of w, one workload of hop i: sample-app
// as SERVICE_TYPE <HOP>, calling the next hop by DNS name, exporting spans
// to spansTo unless it is "".
func hopDeployment(s SampleChainSpec, i int, w hopWorkload, mesh MeshAttachment, spansTo string, sa *corev1.ServiceAccount) *appsv1.DeploymentArgs {
	hop := s.Hops[i]
	name := HopServiceName(hop)
	labels := map[string]string{"app": name, "version": w.version}
	matchLabels := map[string]string{"app": name}
	env := corev1.EnvVarArray{
		corev1.EnvVarArgs{Name: pulumi.String("SERVICE_TYPE"), Value: pulumi.String(HopServiceType(hop))},
		corev1.EnvVarArgs{Name: pulumi.String("PORT"), Value: pulumi.Sprintf("%d", s.Port)},
		corev1.EnvVarArgs{Name: pulumi.String("POD_NAMESPACE"), ValueFrom: &corev1.EnvVarSourceArgs{
			FieldRef: &corev1.ObjectFieldSelectorArgs{FieldPath: pulumi.String("metadata.namespace")},
		}},
		corev1.EnvVarArgs{Name: pulumi.String("OTEL_SERVICE_NAME"), Value: pulumi.String(name)},
	}
	if w.named {
		matchLabels["version"] = w.version
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("SERVICE_VERSION"), Value: pulumi.String(w.version)})
	}
	if headers := s.forwardedHeaders(); len(headers) > 0 {
		// The headers any hop's route matches on travel the whole chain.
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("FORWARD_HEADERS"), Value: pulumi.String(strings.Join(headers, ","))})
	}
	grpc := s.Transport == ChainTransportGRPC
	if grpc {
		env = append(env,
			corev1.EnvVarArgs{Name: pulumi.String("TRANSPORT"), Value: pulumi.String(string(ChainTransportGRPC))},
			corev1.EnvVarArgs{Name: pulumi.String("GRPC_PORT"), Value: pulumi.Sprintf("%d", s.GRPCPort)},
			// Straight to istiod with the workload certificate: the agent
			// proxies one xDS stream per pod, and the hop's gRPC-Go opens
			// two (its server's and its client's; sample-app's xdsdirect).
			corev1.EnvVarArgs{Name: pulumi.String("GRPC_XDS_DIRECT"), Value: pulumi.String("true")})
	}
	if i+1 < len(s.Hops) {
		next := pulumi.String(fmt.Sprintf("http://%s:%d", HopServiceName(s.Hops[i+1]), s.Port)).ToStringOutput()
		if grpc {
			next = mesh.AppNamespace.ApplyT(func(ns string) string { return hopGRPCTarget(s, s.Hops[i+1], ns) }).(pulumi.StringOutput)
		}
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("NEXT"), Value: next})
	}
	if spansTo != "" {
		// Without it, sample-app exports nothing (trace headers still propagate).
		env = append(env, corev1.EnvVarArgs{Name: pulumi.String("OTEL_EXPORTER_OTLP_ENDPOINT"), Value: pulumi.String(spansTo)})
	}
	probe := func(path string) corev1.ProbePtrInput {
		return HTTPProbe{Path: path, PeriodSeconds: 5}.args(s.Port)
	}
	annotations := mergeMaps(mesh.PodAnnotations, map[string]string{
		"prometheus.io/scrape": "true",
		"prometheus.io/port":   strconv.Itoa(s.Port),
		"prometheus.io/path":   "/metrics",
	})
	ports := corev1.ContainerPortArray{corev1.ContainerPortArgs{Name: pulumi.String("http"), ContainerPort: pulumi.Int(s.Port)}}
	var injected corev1.ContainerArray
	if grpc {
		labels = mergeMaps(labels, proxylessPodLabels(mesh.Proxyless))
		annotations = mergeMaps(annotations, proxylessPodAnnotations(mesh.Proxyless))
		ports = append(ports, corev1.ContainerPortArgs{Name: pulumi.String("grpc"), ContainerPort: pulumi.Int(s.GRPCPort)})
		injected = corev1.ContainerArray{grpcAgentContainer()}
	}
	return &appsv1.DeploymentArgs{
		Metadata: &metav1.ObjectMetaArgs{Annotations: ownedAnnotations(), Name: pulumi.String(w.name), Namespace: mesh.AppNamespace, Labels: stringMap(labels)},
		Spec: &appsv1.DeploymentSpecArgs{
			Replicas: pulumi.Int(w.replicas),
			Selector: &metav1.LabelSelectorArgs{MatchLabels: stringMap(matchLabels)},
			Template: &corev1.PodTemplateSpecArgs{
				Metadata: &metav1.ObjectMetaArgs{
					Labels:      stringMap(labels),
					Annotations: stringMap(annotations),
				},
				Spec: &corev1.PodSpecArgs{
					TerminationGracePeriodSeconds: s.Shutdown.gracePeriod(),
					TopologySpreadConstraints:     topologySpread(s.TopologySpread, map[string]string{"app": name}),
					ServiceAccountName:            sa.Metadata.Name(),
					AutomountServiceAccountToken:  pulumi.Bool(false),
					SecurityContext:               restrictedPodSecurityContext(SampleAppUID),
					Containers: append(corev1.ContainerArray{corev1.ContainerArgs{
						Name:            pulumi.String("sample-app"),
						Image:           w.image.ref,
						ImagePullPolicy: pulumi.String(w.image.pullPolicy),
						Ports:           ports,
						Env:             env,
						LivenessProbe:   probe("/healthz"),
						ReadinessProbe:  probe("/readyz"),
						Resources:       s.Resources.args(),
						SecurityContext: restrictedContainerSecurityContext(true),
						Lifecycle:       s.Shutdown.lifecycle(),
					}}, injected...),
				},
			},
		},
	}
}

// hopPolicies let exactly the chain's own traffic reach hop i: from the
// ingress gateway for the first hop, from the previous hop for the others,
// by mTLS identity (AuthorizationPolicy) and by pod (NetworkPolicy), and let
// hop i call the next one.
func hopPolicies(ctx *pulumi.Context, s SampleChainSpec, i int, mesh MeshAttachment, parent pulumi.ResourceOption) error {
	name := HopServiceName(s.Hops[i])
	selector := map[string]string{"app": name}
	caller := peer{namespace: mesh.Gateway.Namespace, labels: mesh.Gateway.Selector}
	prev := ""
	if i > 0 {
		prev = HopServiceName(s.Hops[i-1])
		caller = peer{labels: map[string]string{"app": prev}}
	}
	if mesh.Policy.Authorization {
		_, err := newIstioResourceInNamespace(ctx, name+"-allow", istioResource{
			apiVersion: "security.istio.io/v1", kind: "AuthorizationPolicy", name: name, namespace: mesh.AppNamespace,
		}, func(ns string) interface{} {
			principal := mesh.Gateway.Principal
			if prev != "" {
				// Each hop runs as its own ServiceAccount, named after it.
				principal = Principal(ns, prev)
			}
			return allowSpec(selector, []string{principal}, []int{hopCallPort(s, i)})
		}, parent, pulumi.DependsOn(mesh.IstioAPI))
		if err != nil {
			return err
		}
	}
	if mesh.Policy.NetworkPolicies {
		var egress []flow
		if i+1 < len(s.Hops) {
			egress = []flow{{peers: []peer{{labels: map[string]string{"app": HopServiceName(s.Hops[i+1])}}}, ports: []int{hopCallPort(s, i+1)}}}
		}
		if _, err := networkPolicy(ctx, name, name, mesh.AppNamespace, selector,
			[]flow{{peers: []peer{caller}, ports: []int{hopCallPort(s, i)}}}, egress, []string{"Ingress", "Egress"}, parent); err != nil {
			return err
		}
	}
	return nil
}

// hopCallPort is the port hop i is called on in the chain: the first hop's
// HTTP port by the ingress gateway, the others' by the previous hop, on
// its gRPC port with the grpc transport. Under proxyless gRPC the hop's
// own gRPC server enforces the AuthorizationPolicy (istiod sends it as
// RBAC with the listener), so every hop's gRPC port admits only its
// predecessor and the first hop's nobody. No proxy stands in front of a
// proxyless hop's plain HTTP port: the first hop's rule there (the
// ingress gateway) states the same intent as with http, and only a
// NetworkPolicy, where the cluster enforces them, guards that port.
func hopCallPort(s SampleChainSpec, i int) int {
	if i > 0 && s.Transport == ChainTransportGRPC {
		return s.GRPCPort
	}
	return s.Port
}
